/**
 * `tspod exec`: run a command in a running container, from this process, and hand back its exit
 * status (exec.ts starts it; plan/exec.ts says how it joins the container).
 *
 * Without `-t`, the process gets this process's own stdout and stderr and, with `-i`, its stdin
 * (else /dev/null): the very same open files, not a relay. So nothing here may touch
 * process.stdin/stdout/stderr meanwhile: Node would switch those files to non-blocking mode, and
 * the process would share that mode and see EAGAIN. With `-t`, it gets a pseudo-terminal
 * (terminal.ts).
 *
 * Signals: SIGTERM and SIGHUP sent to this process are passed on to the command. SIGINT and
 * SIGQUIT are not: from a terminal they reach the whole foreground process group, the command
 * included; with `-t`, the user's keys go through the pty instead.
 */
import fs from 'node:fs';
import { kernel } from '../kernel.js';
import type { Roots } from '../paths.js';
import { isAlive } from '../state/store.js';
import type { ExecContext, PodState, ProcessRef } from '../state/types.js';
import { execInContainer, shellStatus } from './exec.js';
import { getPod, pickContainer, stateOf } from '../pods/pods.js';
import { openPtySession } from './terminal.js';

export interface ExecOptions {
  container?: string;
  argv: string[];
  interactive: boolean;
  tty: boolean;
  /** `-e NAME=VALUE`: set (or replace) variables of the container's environment */
  env?: string[];
  /** `-u UID[:GID]`: run as this user instead of the container's */
  user?: { uid: number; gid?: number };
  /** `-w DIR`: the working directory instead of the container's */
  workdir?: string;
}

/** The container's ExecContext with the -e, -u and -w of this exec applied. */
export function withOverrides(ctx: ExecContext, o: Pick<ExecOptions, 'env' | 'user' | 'workdir'>): ExecContext {
  const names = new Set((o.env ?? []).map((e) => e.slice(0, e.indexOf('='))));
  const env = [...ctx.env.filter((e) => !names.has(e.slice(0, e.indexOf('=')))), ...(o.env ?? [])];
  const user = o.user
    ? { uid: o.user.uid, gid: o.user.gid ?? (o.user.uid === ctx.user?.uid ? ctx.user.gid : 0), groups: [] }
    : ctx.user;
  return { ...ctx, env, ...(user ? { user } : {}), workingDir: o.workdir ?? ctx.workingDir };
}

/**
 * The container's main process as a pidfd, checked to be the recorded process (not a reused pid),
 * with the record of that process and of how to join it.
 */
function openContainer(
  name: string,
  state: PodState,
  container: string,
): { pidfd: number; process: ProcessRef; exec: ExecContext } {
  const { process: proc, exec } = state.containers[container] ?? {};
  const notRunning = new Error(`container "${container}" of pod "${name}" is not running`);
  if (!proc || !exec || !isAlive(proc)) throw notRunning;
  let pidfd: number;
  try {
    pidfd = kernel.pidfdOpen(proc.pid);
  } catch (err) {
    throw new Error(notRunning.message, { cause: err });
  }
  if (!isAlive(proc)) {
    kernel.closeFd(pidfd);
    throw notRunning;
  }
  return { pidfd, process: proc, exec };
}

export async function execSession(roots: Roots, name: string, o: ExecOptions): Promise<number> {
  const state = stateOf(await getPod(roots, name));
  const container = pickContainer(state, o.container);
  const running = openContainer(name, state, container);
  const context = withOverrides(running.exec, o);
  const forward = (sig: NodeJS.Signals) => child && kernel.signal(child.pidfd, sig === 'SIGTERM' ? 15 : 1);
  const ignore = () => undefined;
  let child: { pid: number; pidfd: number } | undefined;
  process.on('SIGTERM', forward).on('SIGHUP', forward).on('SIGINT', ignore).on('SIGQUIT', ignore);
  const pty = o.tty ? openPtySession(`/proc/${running.process.pid}/root`) : undefined;
  const devnull = fs.openSync('/dev/null', 'r');
  try {
    const stdio: [number, number, number] = pty
      ? [pty.slave, pty.slave, pty.slave]
      : [o.interactive ? 0 : devnull, 1, 2];
    child = execInContainer({ container, pidfd: running.pidfd, context, argv: o.argv, stdio, tty: o.tty });
    pty?.started();
    const status = await kernel.waitExit(child.pidfd);
    await pty?.finish();
    return shellStatus(status);
  } finally {
    if (child) kernel.closeFd(child.pidfd);
    kernel.closeFd(running.pidfd);
    fs.closeSync(devnull);
    process.off('SIGTERM', forward).off('SIGHUP', forward).off('SIGINT', ignore).off('SIGQUIT', ignore);
  }
}
