/**
 * Plans as text, for `tspod run --dry-run` and `--explain`: one line per step, in the order the
 * child runs them, with the reason for each. Pure.
 */
import os from 'node:os';
import type { NativeOp, Plan } from './types.js';

const CLONE_FLAG: Record<string, string> = {
  mnt: 'CLONE_NEWNS',
  uts: 'CLONE_NEWUTS',
  ipc: 'CLONE_NEWIPC',
  net: 'CLONE_NEWNET',
  pid: 'CLONE_NEWPID',
  cgroup: 'CLONE_NEWCGROUP',
  user: 'CLONE_NEWUSER',
  time: 'CLONE_NEWTIME',
};

export function describeClone(plan: Plan): string {
  return `clone(${[...plan.clone.map((n) => CLONE_FLAG[n]), 'CLONE_PIDFD'].join(' | ')})`;
}

const q = (s: string) => JSON.stringify(s);
const errnoName = (n: number) => Object.entries(os.constants.errno).find(([, v]) => v === n)?.[0] ?? String(n);
const list = (xs: readonly unknown[]) => xs.join(',');

/** One op in words (without its `why`). */
export function describeOp(op: NativeOp): string {
  switch (op.op) {
    case 'setns':
      return `setns(${op.target}, ${op.ns.join('+')})`;
    case 'unshare':
      return `unshare(${op.ns.join('+')})`;
    case 'fork':
      return 'fork (CLONE_PARENT): continue in a child';
    case 'writeFile':
      return `write ${q(op.data)} to ${op.target}`;
    case 'mount':
      return `mount(${q(op.source)}, ${op.target}${op.fstype ? `, ${op.fstype}` : ''}${op.flags ? `, ${op.flags.join('|')}` : ''}${op.data ? `, ${q(op.data)}` : ''})`;
    case 'openRoot':
      return `root ${op.target} (targets below resolve inside it)`;
    case 'mountFs':
      return `mount ${op.source} on ${op.target}${op.options?.length ? ` (${list(op.options.map(([k, v]) => (v ? `${k}=${v}` : k)))})` : ''}${op.attrs?.length ? ` [${list(op.attrs.map((a) => a.toLowerCase()))}]` : ''}`;
    case 'bind':
      return `bind ${op.source}${op.subPath ? ` (subPath ${op.subPath})` : ''} on ${op.target}${op.readOnly ? ' read-only' : ''}${op.idmap ? " idmapped (the pod's user namespace)" : ''}`;
    case 'awaitIdMap':
      return `wait for uid_map ${q(op.uidMap)} and gid_map ${q(op.gidMap)} (written by tspod)`;
    case 'setresuid':
      return `setgroups([]); setresgid(${op.gid}); setresuid(${op.uid})`;
    case 'idmapMount':
      return `open_tree(${op.source}) idmapped (the pod's user namespace), read-only, on ${op.target}`;
    case 'mknod':
      return `mknod ${op.target} c ${op.major}:${op.minor} mode ${op.mode.toString(8)}`;
    case 'symlink':
      return `symlink ${op.target} -> ${op.data}`;
    case 'pivotRoot':
      return 'pivot_root(".", ".") and detach the old root';
    case 'maskPath':
      return `mask ${op.target}`;
    case 'readOnlyPath':
      return `read-only ${op.target}`;
    case 'sethostname':
      return `sethostname(${q(op.data)})`;
    case 'loopbackUp':
      return 'ip link set lo up';
    case 'chdir':
      return `chdir ${op.target}`;
    case 'credentials': {
      const who = op.uid !== undefined ? `uid ${op.uid} gid ${op.gid} groups [${list(op.groups ?? [])}]` : 'uid 0';
      return `${who}; capabilities bounding [${list(op.bounding)}] effective [${list(op.effective)}] inheritable [] ambient []`;
    }
    case 'noNewPrivs':
      return 'prctl(PR_SET_NO_NEW_PRIVS)';
    case 'closeFds':
      return 'close_range(3, ~0, CLOSE_RANGE_CLOEXEC)';
    case 'setsid':
      return op.fd !== undefined && op.fd >= 0 ? `setsid(); ioctl(${op.fd}, TIOCSCTTY)` : 'setsid()';
    case 'console':
      return 'open /dev/pts/ptmx in the root, TIOCGPTPEER; send the master (SCM_RIGHTS); dup2 the slave onto 0, 1, 2';
    case 'sessionKeyring':
      return 'keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)';
    case 'seccomp': {
      const allowed = new Set(op.filter.rules.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names))
        .size;
      const def =
        op.filter.defaultAction === 'SCMP_ACT_ERRNO'
          ? `errno ${errnoName(op.filter.defaultErrno)}`
          : op.filter.defaultAction;
      const size = op.instructions !== undefined ? `, ${op.instructions} BPF instructions` : '';
      return `seccomp(SECCOMP_SET_MODE_FILTER) ${op.profile}: default ${def}, ${allowed} system calls allowed, ${op.filter.rules.length} rules [${op.filter.architectures.join(',')}]${size}`;
    }
    case 'exec':
      return `execve(${q(op.target)}, ${JSON.stringify(op.argv)})${op.searchPath ? ` searching PATH=${op.searchPath}` : ''}`;
  }
}

export function formatOp(op: NativeOp, index: number): string {
  return `${String(index + 1).padStart(3)}. ${describeOp(op)}${op.why ? `  # ${op.why}` : ''}`;
}

export function formatPlan(plan: Plan): string[] {
  return [`${plan.name}: ${describeClone(plan)}`, ...plan.ops.map(formatOp)];
}
