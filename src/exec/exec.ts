/**
 * Starting a process inside a running container (plan/exec.ts says how), for `tspod exec` and for
 * `preStop` hooks.
 *
 * The addon clones a child of *this* process, which joins the container's cgroup and namespaces and
 * forks once more (a joined PID namespace applies to children only); CLONE_PARENT makes that
 * grandchild our child too, so we hold a pidfd for it and wait for it like any child. Until execve
 * the process is non-dumpable: a process of the container cannot open /proc/<pid>/exe or root of
 * the half-joined child, which still maps the host's node.
 */
import { execPlan, execTarget } from '../plan/exec.js';
import { toNativePlan } from '../runtime/execute.js';
import { realHost, type Host } from '../runtime/host.js';
import { stepError } from '../runtime/sandbox.js';
import type { ExecContext } from '../state/types.js';

/** The command could not be started: status 126 (cannot execute) or 127 (not found), as a shell says. */
export class ExecCommandError extends Error {
  constructor(
    message: string,
    readonly status: number,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

export interface ExecRequest {
  container: string;
  /** pidfd of the container's main process */
  pidfd: number;
  context: ExecContext;
  argv: string[];
  stdio: [number, number, number];
  tty?: boolean;
}

/** Start the process; resolves to its pid and pidfd (the caller waits for it and closes the pidfd). */
export function execInContainer(r: ExecRequest, host: Host = realHost): { pid: number; pidfd: number } {
  const plan = execPlan({ container: r.container, context: r.context, argv: r.argv, tty: r.tty ?? false });
  try {
    return host.spawn(toNativePlan(plan, { pidfds: { [execTarget(r.container)]: r.pidfd }, stdio: r.stdio }));
  } catch (err) {
    const e = err as { op?: string; code?: string };
    const what = `command "${r.argv[0]}" in container "${r.container}"`;
    if (e.op === 'exec' && (e.code === 'ENOENT' || e.code === 'ENOTDIR'))
      throw new ExecCommandError(`${what}: not found`, 127, { cause: err });
    if (e.op === 'exec' && (e.code === 'EACCES' || e.code === 'ENOEXEC' || e.code === 'EPERM')) {
      throw new ExecCommandError(`${what}: cannot be executed`, 126, { cause: err });
    }
    throw stepError(`exec in container "${r.container}"`, plan, err);
  }
}

/** The exit status a shell would report: the code, or 128+N for a signal. */
export function shellStatus(s: { code: number | null; signal: number | null }): number {
  return s.code ?? 128 + (s.signal ?? 0);
}
