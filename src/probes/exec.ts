/**
 * An exec probe (pkg/probe/exec): the command runs inside the container exactly as `tspod exec`
 * runs one (its namespaces, cgroup, root, user, capabilities: src/exec/exec.ts), with stdin on
 * /dev/null and stdout and stderr into one pipe, of which the first 10 KiB are kept. Exit 0 is a
 * success, anything else a failure whose output is what the command said. At the timeout the
 * command is SIGKILLed and the attempt fails with `command "..." timed out`, as the kubelet says
 * with its ExecProbeTimeout behaviour (the default since 1.20).
 */
import fs from 'node:fs';
import net from 'node:net';
import { execInContainer, ExecCommandError } from '../exec/exec.js';
import type { Host } from '../runtime/host.js';
import type { ExecContext } from '../state/types.js';
import { MAX_OUTPUT, ProbeError, type ProbeResult } from './result.js';

export interface ExecTarget {
  container: string;
  pidfd: number;
  context: ExecContext;
}

/** Run `argv` in the container; `code` is its exit status (128+N for signal N), -1 on timeout. */
export async function runInContainer(
  host: Host,
  t: ExecTarget,
  argv: string[],
  timeoutMs: number,
): Promise<{ code: number; output: string }> {
  const [readFd, writeFd] = host.pipe();
  const devnull = fs.openSync('/dev/null', 'r');
  let proc: { pid: number; pidfd: number };
  try {
    proc = execInContainer(
      { container: t.container, pidfd: t.pidfd, context: t.context, argv, stdio: [devnull, writeFd, writeFd] },
      host,
    );
  } catch (err) {
    fs.closeSync(readFd);
    if (err instanceof ExecCommandError) return { code: err.status, output: err.message };
    throw new ProbeError((err as Error).message, { cause: err });
  } finally {
    fs.closeSync(devnull);
    fs.closeSync(writeFd);
  }
  const output = collect(readFd);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    host.signal(proc.pidfd, 9);
  }, timeoutMs);
  const exit = await host.waitExit(proc.pidfd);
  clearTimeout(timer);
  host.closeFd(proc.pidfd);
  const text = await output.text();
  if (timedOut) return { code: -1, output: text };
  return { code: exit.code ?? 128 + (exit.signal ?? 0), output: text };
}

/** Read a pipe to its end (every writer closed it), keeping the first MAX_OUTPUT bytes. */
function collect(fd: number): { text: () => Promise<string> } {
  const sock = new net.Socket({ fd, readable: true, writable: false });
  const chunks: Buffer[] = [];
  let size = 0;
  const ended = new Promise<void>((resolve) => {
    sock.on('data', (c: Buffer) => {
      if (size < MAX_OUTPUT) chunks.push(c.subarray(0, MAX_OUTPUT - size));
      size += c.length;
    });
    sock.once('close', () => resolve());
    sock.once('error', () => resolve());
  });
  return {
    // A process the command left behind may hold the pipe open: do not wait for it for long.
    text: async () => {
      await Promise.race([ended, new Promise((r) => setTimeout(r, 200))]);
      sock.destroy();
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

export async function probeExec(host: Host, t: ExecTarget, command: string[], timeoutMs: number): Promise<ProbeResult> {
  const r = await runInContainer(host, t, command, timeoutMs);
  if (r.code === -1) return { outcome: 'failure', output: `command ${JSON.stringify(command.join(' '))} timed out` };
  return { outcome: r.code === 0 ? 'success' : 'failure', output: r.output };
}
