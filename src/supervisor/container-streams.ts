/**
 * The supervisor's ends of a running instance's streams (runtime/container-stdio.ts made them):
 * what the log monitor (logs.ts) is handed, the stdin pipe or terminal master that attach sessions
 * write to, and the hub that joins them (attach/hub.ts).
 *
 * - A terminal (`tty: true`): the supervisor holds the master, one fd for both directions, as one
 *   socket (a tty.ReadStream: libuv drives it as a TTY handle). What the container writes is handed
 *   to the attach sessions as it is read, byte for byte (a shell's prompt has no newline), and
 *   copied into a relay pipe whose read end the monitor logs as stdout. Terminal output is
 *   human-paced, so this one stream through Node costs nothing that matters.
 * - Pipes: the monitor reads stdout and stderr itself (the supervisor keeps no copy). Attach
 *   sessions get the same bytes from the log as the monitor writes it (a LogTail, polled while at
 *   least one session is attached), from the moment they attach; stdin is the pipe the supervisor
 *   holds.
 */
import net from 'node:net';
import tty from 'node:tty';
import { AttachHub } from '../attach/hub.js';
import { LogTail } from '../logs/reader.js';
import type { Container } from '../manifest/types.js';
import type { ContainerProcess } from '../runtime/container.js';
import type { Host } from '../runtime/host.js';

/** How often attached sessions of a container without a terminal see what was logged. */
const LOG_POLL_MS = 100;

export interface InstanceStreams {
  /** what the log monitor reads (handed over: the supervisor no longer holds them) */
  output: { stdout: number; stderr?: number };
  hub: AttachHub;
  /** the instance ended and its log drained: close stdin and end the sessions */
  close(): void;
}

type Proc = Pick<ContainerProcess, 'stdout' | 'stderr' | 'stdin' | 'tty'>;

export function instanceStreams(
  c: Container,
  proc: Proc,
  host: Pick<Host, 'setWinsize' | 'pipe'>,
  logFile: string,
): InstanceStreams {
  return proc.tty ? terminalStreams(c, proc, host) : pipeStreams(c, proc, logFile);
}

function terminalStreams(c: Container, proc: Proc, host: Pick<Host, 'setWinsize' | 'pipe'>): InstanceStreams {
  const master = new tty.ReadStream(proc.stdout);
  const [relayRead, relayWrite] = host.pipe();
  const relay = new net.Socket({ fd: relayWrite, readable: false, writable: true });
  relay.on('error', () => undefined); // the monitor is gone: the sessions still get the output
  const hub = new AttachHub(c, {
    input: master,
    resize: (rows, cols) => {
      // (once the socket is destroyed its fd number may already be another file's)
      if (!master.destroyed) host.setWinsize(proc.stdout, rows, cols);
    },
  });
  master.on('data', (chunk: Buffer) => {
    relay.write(chunk);
    hub.output('stdout', chunk);
  });
  // EIO once the last holder of the slave (the container's processes) is gone: the output ended.
  master.on('error', () => undefined);
  master.on('close', () => relay.end());
  master.resume();
  return {
    output: { stdout: relayRead },
    hub,
    close: () => {
      hub.close();
      master.destroy();
      relay.end();
    },
  };
}

/**
 * An adopted instance's (supervisor/adopted.ts): its stdin or terminal was the dead supervisor's
 * and is gone with it; its output is its log monitor's, which attach sessions follow in the log.
 */
export function adoptedStreams(c: Container, logFile: string): InstanceStreams {
  return pipeStreams(c, { stdout: -1, tty: false }, logFile);
}

function pipeStreams(c: Container, proc: Proc, logFile: string): InstanceStreams {
  const input =
    proc.stdin !== undefined ? new net.Socket({ fd: proc.stdin, readable: false, writable: true }) : undefined;
  // EPIPE: the process closed its stdin or is gone; what was written is lost, as on any pipe.
  input?.on('error', () => undefined);
  let tail: LogTail | undefined;
  let timer: NodeJS.Timeout | undefined;
  const pump = () => {
    for (const l of tail?.read() ?? [])
      hub.output(l.stream, l.partial ? l.content : Buffer.concat([l.content, Buffer.from('\n')]));
  };
  const hub = new AttachHub(c, {
    ...(input ? { input, closeInput: () => input.destroySoon() } : {}),
    watch: {
      start: () => {
        tail = new LogTail(logFile);
        tail.read(); // what was logged before the session attached is not its to see
        timer = setInterval(pump, LOG_POLL_MS);
      },
      stop: () => {
        clearInterval(timer);
        tail?.close();
        tail = undefined;
      },
    },
  });
  return {
    output: { stdout: proc.stdout, ...(proc.stderr !== undefined ? { stderr: proc.stderr } : {}) },
    hub,
    close: () => {
      pump(); // the log has drained: its last lines reach the sessions before they end
      hub.close();
      input?.destroy();
    },
  };
}
