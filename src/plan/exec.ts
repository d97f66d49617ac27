/**
 * A process that joins a running container: what `tspod exec` and `preStop` hooks start.
 *
 * A container is not a thing the kernel knows; it is a process with a set of namespaces, a cgroup,
 * a root, an environment, a user and capabilities. A second process "enters the container" by
 * taking on each of those from the container's main process, which is what runc exec and nsenter
 * do. The clone creates no namespace: every namespace is joined with one setns() on the container's
 * pidfd, and everything else is repeated from the container's own plan (the ExecContext recorded
 * when the instance started). The order of the steps below is the point of this file.
 */
import type { ExecContext } from '../state/types.js';
import { sessionOps, withSeccomp } from './container.js';
import type { NativeOp, NsName, Plan } from './types.js';

/** The namespaces of the container that the process joins (never its user or time namespace: it has none of its own). */
export const EXEC_NAMESPACES: NsName[] = ['cgroup', 'ipc', 'uts', 'net', 'pid', 'mnt'];

export interface ExecInput {
  /** the container's name (the plan's setns target is `container:<name>`) */
  container: string;
  context: ExecContext;
  argv: string[];
  /** give the process a new session with its stdin (a terminal) as controlling terminal */
  tty: boolean;
}

/** The setns target that names the container's pidfd in `toNativePlan(..., { pidfds })`. */
export function execTarget(container: string): string {
  return `container:${container}`;
}

export function execPlan(input: ExecInput): Plan {
  const { context: ctx, argv } = input;
  const [file] = argv;
  if (file === undefined) throw new Error(`exec in container "${input.container}": no command given`);
  const env = input.tty && !ctx.env.some((e) => e.startsWith('TERM=')) ? [...ctx.env, 'TERM=xterm'] : ctx.env;
  const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5);
  const ops: NativeOp[] = [
    ...ctx.cgroupProcs.map((procs, i): NativeOp => ({
      op: 'writeFile',
      target: procs,
      data: '0',
      ...(i === 0
        ? {
            why: 'join the container cgroup first: its cgroup.procs are host paths, unreachable once in its mount namespace',
          }
        : {}),
    })),
    {
      op: 'setns',
      target: execTarget(input.container),
      ns: EXEC_NAMESPACES,
      why: 'all of its namespaces in one call; the cgroup namespace after the cgroup move, so its root is the container cgroup; mnt also moves our root and cwd to the container root',
    },
    {
      op: 'fork',
      why: 'a joined PID namespace applies to children only: the grandchild is the process in the container',
    },
    ...(ctx.userns ? userNamespaceOps(input.container) : []),
    {
      op: 'openRoot',
      target: '/',
      why: 'after setns(mnt) "/" is the container root: resolve the working directory inside it',
    },
    { op: 'chdir', target: ctx.workingDir, why: 'the container working directory' },
    ...sessionOps(input.tty ? 0 : undefined),
    { op: 'closeFds', why: 'only stdin, stdout and stderr cross into the container' },
    credentials(ctx),
  ];
  // no_new_privs changes only what execve may grant, so anywhere before exec does; as in the container.
  if (ctx.noNewPrivs) ops.push({ op: 'noNewPrivs', why: 'the container runs with no_new_privs' });
  ops.push({
    op: 'exec',
    target: file,
    argv,
    env,
    ...(pathVar !== undefined ? { searchPath: pathVar } : {}),
    why: 'the command, with the container environment (its PATH for the search)',
  });
  // The container's own seccomp filter, at the same place as in the container's plan.
  return { name: `exec in ${input.container}`, clone: [], ops: withSeccomp(ops, ctx.seccomp, ctx.noNewPrivs) };
}

/*
 * A container of a pod with a user namespace: its cgroup and PID namespaces were made by host root
 * when it was built, so they belong to the host's user namespace, and only host root may join them.
 * Joining the pod's user namespace first (as nsenter does for an unprivileged caller) would give up
 * that right before it is used: setns(2) with all the flags at once checks every other namespace
 * against the user namespace being joined, and fails with EPERM. So the user namespace comes after
 * the others, as it came last for the container itself; then the process is root there, an
 * unprivileged host id, before it touches anything of the container.
 */
function userNamespaceOps(container: string): NativeOp[] {
  return [
    {
      op: 'setns',
      target: execTarget(container),
      ns: ['user'],
      why: "the pod's user namespace, after the namespaces that belong to the host's: it gives up every host capability",
    },
    { op: 'setresuid', uid: 0, gid: 0, why: "root of the pod's user namespace (host uid 0 is not mapped there)" },
  ];
}

/* After setns and fork: joining namespaces needs CAP_SYS_ADMIN (and CAP_SYS_CHROOT for mnt), which
 * the container set may not have. A non-root user keeps the bounding set but no effective
 * capability, as the container did. */
function credentials(ctx: ExecContext): NativeOp {
  const caps = ctx.user && ctx.user.uid !== 0 ? [] : ctx.capabilities;
  return {
    op: 'credentials',
    ...(ctx.user ? { uid: ctx.user.uid, gid: ctx.user.gid, groups: ctx.user.groups } : {}),
    bounding: ctx.capabilities,
    effective: caps,
    permitted: caps,
    inheritable: [],
    why: 'the same user and capabilities as the container',
  };
}
