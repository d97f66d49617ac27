/**
 * A container's standard streams, as the kubelet asks the runtime for them (CRI `stdin`,
 * `stdin_once`, `tty`): what the child gets on fds 0, 1 and 2, and the ends the supervisor keeps.
 *
 * - Without `tty`, stdout and stderr are two pipes whose read ends the supervisor logs; stdin is
 *   /dev/null, unless the container has `stdin: true`: then it is a pipe whose write end the
 *   supervisor holds for the container's whole life (attach sessions write to it; with stdinOnce
 *   it is closed after the first one), so the container sees EOF only when the runtime says so.
 * - With `tty`, the three are one terminal, made by the child itself in the container's devpts
 *   (the plan's `console` step, native/child_console.c), whose master arrives over a socket pair
 *   once the child has reached execve. The supervisor reads the master (the CRI log records it as
 *   stdout: a terminal has one output stream) and writes what attached users type to it.
 *
 * Every fd made here is close-on-exec; the child's copies are made by its dup2s.
 */
import fs from 'node:fs';
import type { Container } from '../manifest/types.js';
import type { Host } from './host.js';

/** The supervisor's ends of a started container's streams. */
export interface StdioEnds {
  /** read end of stdout; with a terminal, its master (read and written) */
  stdout: number;
  /** read end of stderr (none with a terminal: it shares the terminal with stdout) */
  stderr?: number;
  /** write end of the stdin pipe (`stdin: true` without a terminal) */
  stdin?: number;
  /** the terminal's master is `stdout` */
  tty: boolean;
}

export interface ContainerStdio {
  /** fds for the child's 0, 1 and 2 */
  child: [number, number, number];
  /** the socket the plan's console step sends the terminal over */
  consoleSocket?: number;
  /** after a successful spawn: close the child's copies, keep (and return) ours */
  started(): StdioEnds;
  /** after a failed spawn: close everything */
  abort(): void;
}

export function containerStdio(host: Host, c: Pick<Container, 'name' | 'stdin' | 'tty'>): ContainerStdio {
  return c.tty ? terminalStdio(host, c.name) : pipeStdio(host, c.stdin ?? false);
}

function pipeStdio(host: Host, stdin: boolean): ContainerStdio {
  const out = host.pipe();
  const err = host.pipe();
  const input = stdin ? host.pipe() : undefined;
  const devnull = input ? undefined : fs.openSync('/dev/null', 'r');
  const closeChildEnds = () => {
    host.closeFd(out[1]);
    host.closeFd(err[1]);
    if (input) host.closeFd(input[0]);
    if (devnull !== undefined) fs.closeSync(devnull);
  };
  return {
    child: [input ? input[0] : devnull!, out[1], err[1]],
    started() {
      closeChildEnds();
      return { stdout: out[0], stderr: err[0], ...(input ? { stdin: input[1] } : {}), tty: false };
    },
    abort() {
      closeChildEnds();
      host.closeFd(out[0]);
      host.closeFd(err[0]);
      if (input) host.closeFd(input[1]);
    },
  };
}

function terminalStdio(host: Host, name: string): ContainerStdio {
  const [ours, theirs] = host.socketpair();
  // Until the console step replaces them: a step that fails before it writes to nothing.
  const devnull = fs.openSync('/dev/null', 'r+');
  const closeChildEnds = () => {
    host.closeFd(theirs);
    fs.closeSync(devnull);
  };
  return {
    child: [devnull, devnull, devnull],
    consoleSocket: theirs,
    started() {
      closeChildEnds();
      try {
        // The child sent the master before its execve, and spawn returns after that: it is queued.
        const master = host.recvFd(ours);
        if (master < 0) throw new Error(`container "${name}": its terminal did not arrive on the console socket`);
        return { stdout: master, tty: true };
      } finally {
        host.closeFd(ours);
      }
    },
    abort() {
      closeChildEnds();
      host.closeFd(ours);
    },
  };
}
