/**
 * A container process, step by step (ARCHITECTURE.md section 6).
 *
 * clone() gives the container a mount namespace and (unless the pod shares one) a PID namespace of
 * its own; it then joins the infra's network, IPC and UTS namespaces, builds its root file system
 * inside its private mount namespace, pivots into it, locks down /proc and /sys, drops privileges
 * and execs the command. The order of the steps is the point of this file; each constraint says why.
 */
import path from 'node:path';
import { devOps } from './dev.js';
import type { BindMount, ContainerInput, SeccompStep } from './inputs.js';
import { MASKED_PATHS, READ_ONLY_PATHS } from './paths.js';
import type { NativeOp, NsName, Plan } from './types.js';
import { nth } from '../checked.js';

export function containerPlan(c: ContainerInput): Plan {
  const ops: NativeOp[] = [
    ...cgroupOps(c),
    ...joinOps(c),
    ...rootfsOps(c),
    ...devOps(c.shm, c.privileged),
    {
      op: 'mountFs',
      source: 'sysfs',
      target: '/sys',
      attrs: c.privileged ? ['NOSUID', 'NODEV', 'NOEXEC'] : ['RDONLY', 'NOSUID', 'NODEV', 'NOEXEC'],
      why: 'sysfs shows the network devices of the namespace that mounts it: ours',
    },
    ...cgroupFsOps(c),
    ...sortByDepth([...c.podFiles, ...c.volumes]).map((m) => bindOp(m, c.privileged)),
    { op: 'pivotRoot', why: 'make the overlay "/" and detach the host tree (chroot alone can be escaped)' },
    ...(c.privileged || c.procUnmasked ? [] : hardenOps()),
    ...(c.rootfs.readOnly ? [readOnlyRoot()] : []),
    ...(c.userns ? userNamespaceOps() : []),
    ...processOps(c),
  ];
  const clone: NsName[] = ['mnt'];
  if (!c.sharePid && !c.hostPid) clone.push('pid');
  return { name: c.name, clone, ops };
}

/* Join the cgroup first, then unshare the cgroup namespace: its root is the cgroup the process is in
 * at that moment, so the container sees its own cgroup as "/". */
function cgroupOps(c: ContainerInput): NativeOp[] {
  if (c.cgroupProcs.length === 0) return [];
  return [
    ...c.cgroupProcs.map((procs, i): NativeOp => ({
      op: 'writeFile',
      target: procs,
      data: '0',
      ...(i === 0 ? { why: 'enter the container cgroup (every hierarchy) before anything is charged to it' } : {}),
    })),
    { op: 'unshare', ns: ['cgroup'], why: 'a cgroup namespace rooted at the container cgroup (must follow the move)' },
  ];
}

/* Join before mounting: /sys shows the mounter's network namespace, /dev/mqueue the mounter's IPC
 * namespace, /proc the mounter's PID namespace. A PID namespace joined by setns applies only to
 * children, hence the fork. */
function joinOps(c: ContainerInput): NativeOp[] {
  const ops: NativeOp[] = [];
  if (c.joinInfra.length > 0) {
    ops.push({ op: 'setns', target: 'infra', ns: c.joinInfra, why: 'one IP, one hostname, one IPC space for the pod' });
  }
  if (c.sharePid) {
    ops.push(
      { op: 'setns', target: 'infra', ns: ['pid'], why: 'shareProcessNamespace: pause is PID 1 for every container' },
      { op: 'fork', why: 'a joined PID namespace applies to children only' },
    );
  }
  return ops;
}

function rootfsOps(c: ContainerInput): NativeOp[] {
  const { idmapped } = c.rootfs;
  return [
    {
      op: 'mount',
      source: '',
      target: '/',
      flags: ['REC', 'PRIVATE'],
      why: 'no mount made from here on may propagate to the host',
    },
    ...(idmapped ?? []).map((target, i): NativeOp => ({
      op: 'idmapMount',
      source: nth(c.rootfs.lowers, i),
      target, // one target for each lower layer
      ...(i === 0
        ? {
            why: "each image layer seen through the pod's user namespace: its root-owned files are the pod root's (needs host root: before joining)",
          }
        : {}),
    })),
    ...overlayOps(idmapped ? { ...c.rootfs, lowers: idmapped } : c.rootfs),
    { op: 'openRoot', target: c.rootfs.mountPoint, why: 'every target from here on is resolved inside this root' },
    {
      op: 'mountFs',
      source: 'proc',
      target: '/proc',
      attrs: ['NOSUID', 'NODEV', 'NOEXEC'],
      why: 'a proc of the container PID namespace (needs the new PID namespace first)',
    },
  ];
}

const OVERLAY_WHY =
  "the image's layers stay read-only below (topmost first); this instance writes to its own fresh upper layer; nodev: a device node shipped in the image or made with mknod opens nothing";

/*
 * The overlay root: the image's layer directories (image/layers.ts) as lower directories, topmost
 * first. With the new mount API each one is a fsconfig "lowerdir+" key of its own (Linux 6.8+):
 * the classic "lowerdir=a:b:c" string is limited to one page by mount(2) and to 256 bytes a value
 * by fsconfig, which a few dozen layers under a long store path exceed, and needs ':' escaped.
 * mountFs attaches inside the current root, so the instance directory is that root for this one
 * mount, then the overlay becomes the root. Older kernels get the classic string, refused when too
 * long. "userxattr": the layers' opaque directories are marked with user.overlay.opaque
 * (image/whiteout.ts says why).
 */
function overlayOps(r: ContainerInput['rootfs']): NativeOp[] {
  if (r.lowerdirPlus) {
    const options: [string, string][] = [
      ...r.lowers.map((l): [string, string] => ['lowerdir+', l]),
      ['upperdir', r.upper],
      ['workdir', r.work],
      ['userxattr', ''],
    ];
    return [
      {
        op: 'openRoot',
        target: path.dirname(r.mountPoint),
        why: "the container instance's own directory, where its root is mounted",
      },
      {
        op: 'mountFs',
        source: 'overlay',
        target: `/${path.basename(r.mountPoint)}`,
        options,
        attrs: ['NODEV'],
        why: OVERLAY_WHY,
      },
    ];
  }
  const escape = (p: string) => p.replace(/[\\:,]/g, (ch) => `\\${ch}`);
  const data = `lowerdir=${r.lowers.map(escape).join(':')},upperdir=${escape(r.upper)},workdir=${escape(r.work)},userxattr`;
  if (data.length >= 4096) {
    throw new Error(
      `the image has ${r.lowers.length} layers, too many for an overlay mount on this kernel (its options exceed one page; Linux 6.8 and later take any number up to 500)`,
    );
  }
  return [
    {
      op: 'mount',
      source: 'overlay',
      target: r.mountPoint,
      fstype: 'overlay',
      flags: ['NODEV'],
      data,
      why: OVERLAY_WHY,
    },
  ];
}

/* After /sys, and in the cgroup namespace made first: each cgroup file system shows the container's
 * own cgroup as its root. Read-only (all of it, at once) unless privileged. */
function cgroupFsOps(c: ContainerInput): NativeOp[] {
  if (c.cgroupMounts.length === 0) return [];
  const ops: NativeOp[] = c.cgroupMounts.map((m, i) => ({
    op: 'mountFs',
    source: m.fstype,
    target: m.target,
    options: m.options,
    attrs: ['NOSUID', 'NODEV', 'NOEXEC'],
    ...(i === 0 ? { why: "the container's cgroups at /sys/fs/cgroup, rooted at its own cgroup" } : {}),
  }));
  if (!c.privileged)
    ops.push({ op: 'readOnlyPath', target: '/sys/fs/cgroup', why: "cgroup limits are not the container's to change" });
  return ops;
}

/* Every mount but /dev is nodev (as runc makes them): device nodes are honoured only in the
 * container's own /dev, which holds the harmless ones. The device cgroup is the second wall. A
 * privileged container may use device nodes in its volumes (a hostPath /dev/fuse, say). */
function bindOp(m: BindMount, privileged: boolean): NativeOp {
  const op: NativeOp = {
    op: 'bind',
    source: m.source,
    target: m.target,
    readOnly: m.readOnly,
    ...(privileged ? {} : { attrs: ['NODEV'] }),
    why: m.what,
  };
  if (m.subPath) op.subPath = m.subPath;
  if (m.sourceType) op.sourceType = m.sourceType;
  if (m.idmap) op.idmap = true;
  return op;
}

/*
 * hostUsers: false. Everything above was built by host root, in a mount namespace of the host's
 * user namespace: idmapped mounts and the overlay need CAP_SYS_ADMIN in the initial user namespace,
 * and host root can mount proc, sysfs and mqueue for namespaces the pod's user namespace owns. Only
 * now does the process join the pod's user namespace, which takes every host capability away (it
 * keeps them in the pod's namespace only), and become its root, an unprivileged host id. Then a copy
 * of the mount namespace, which the kernel makes for a less privileged user namespace with every
 * mount locked: the container cannot unmount a mask to see what is under it, nor remount a read-only
 * mount read-write; and the copy belongs to the pod's user namespace, so its capabilities apply to it.
 */
function userNamespaceOps(): NativeOp[] {
  return [
    {
      op: 'setns',
      target: 'infra',
      ns: ['user'],
      why: "join the pod's user namespace last: what came before needed host root",
    },
    {
      op: 'setresuid',
      uid: 0,
      gid: 0,
      why: "root of the pod's user namespace, an unprivileged host id (host uid 0 is not mapped there)",
    },
    {
      op: 'unshare',
      ns: ['mnt'],
      why: "a copy of the mounts owned by the pod's user namespace: every mount locked (no unmasking, no remounting read-write)",
    },
    { op: 'openRoot', target: '/', why: 'the root of the new copy: the rest resolves inside it' },
  ];
}

/* A mount hides what lies under it: /data must be mounted before /data/logs (as containerd sorts). */
export function sortByDepth(mounts: BindMount[]): BindMount[] {
  const depth = (p: string) => p.split('/').filter(Boolean).length;
  return mounts
    .map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m.target) - depth(b.m.target) || a.i - b.i)
    .map((x) => x.m);
}

/* After pivot_root, so that the paths are the container's own /proc and /sys. */
function hardenOps(): NativeOp[] {
  return [
    ...MASKED_PATHS.map((p): NativeOp => ({ op: 'maskPath', target: p, optional: true, why: 'hide host information' })),
    ...READ_ONLY_PATHS.map((p): NativeOp => ({
      op: 'readOnlyPath',
      target: p,
      optional: true,
      why: 'host-wide knobs stay read-only',
    })),
  ];
}

function readOnlyRoot(): NativeOp {
  // A bind remount replaces the mount's flags: NODEV must be said again or it is cleared.
  return {
    op: 'mount',
    source: '',
    target: '/',
    flags: ['REMOUNT', 'BIND', 'RDONLY', 'NODEV'],
    why: 'readOnlyRootFilesystem (the root mount only, not the volumes)',
  };
}

/**
 * A session and a session keyring of the container's own, before the credentials change (the new
 * keyring is then charged to root's key quota, not to the container user's). Without setsid the
 * process would keep the operator's controlling terminal (open /dev/tty, inject keystrokes with
 * TIOCSTI); without a new session keyring it would possess the keys of the operator's session.
 * Shared with plan/exec.ts: a process that joins the container gets the same.
 */
export function sessionOps(terminal?: number): NativeOp[] {
  return [
    { op: 'sessionKeyring', why: "a fresh session keyring: no key of the host's sessions is reachable" },
    terminal === undefined
      ? { op: 'setsid', why: "a session of its own, with no controlling terminal (not the operator's)" }
      : { op: 'setsid', fd: terminal, why: 'a session of its own, with the terminal on stdin as controlling terminal' },
  ];
}

/* Credentials come last but one: joining namespaces and mounting needed full root. */
function processOps(c: ContainerInput): NativeOp[] {
  return withSeccomp(credentialOps(c), c.seccomp, c.noNewPrivs);
}

/*
 * The seccomp filter goes as late as the kernel allows, so that none of tspod's own set-up is
 * filtered: seccomp(2) accepts a filter from a process with no_new_privs, or with CAP_SYS_ADMIN.
 * With no_new_privs: right before exec. Without it, the process still has CAP_SYS_ADMIN only until
 * the credentials step, so the filter goes right before that step, and the calls that remain
 * (setgroups, setresuid, capset, prctl, execve) must pass it; the default profile allows them,
 * as runc does the same for the same reason.
 */
export function withSeccomp(ops: NativeOp[], step: SeccompStep | undefined, noNewPrivs: boolean): NativeOp[] {
  if (!step) return ops;
  const at = ops.findIndex((o) => o.op === (noNewPrivs ? 'exec' : 'credentials'));
  const op: NativeOp = {
    op: 'seccomp',
    ...step,
    why: noNewPrivs
      ? 'the system call filter, last before exec (allowed by no_new_privs)'
      : 'the system call filter, while CAP_SYS_ADMIN still allows loading it',
  };
  return [...ops.slice(0, at), op, ...ops.slice(at)];
}

/*
 * A terminal (`tty: true`) is opened after pivot_root, so that it comes from the container's own
 * devpts (mounted by devOps), and before setsid, which makes it the controlling terminal. Its
 * master goes to the supervisor over the console socket (native/child_console.c); TERM=xterm as
 * containerd sets for a tty, unless the container sets TERM itself.
 */
function terminalOps(c: ContainerInput): NativeOp[] {
  if (!c.tty) return sessionOps();
  return [
    {
      op: 'console',
      why: "a terminal of the container's own devpts on stdin, stdout and stderr; its master to the supervisor",
    },
    ...sessionOps(0),
  ];
}

function credentialOps(c: ContainerInput): NativeOp[] {
  const { argv, workingDir } = c.process;
  const [file] = argv;
  if (file === undefined) throw new Error(`container "${c.name}": no command to run`); // manifest/process.ts refuses this first
  const env =
    c.tty && !c.process.env.some((e) => e.startsWith('TERM=')) ? [...c.process.env, 'TERM=xterm'] : c.process.env;
  const caps = c.user && c.user.uid !== 0 ? [] : c.capabilities;
  // In a user namespace the ids are always set: they are the namespace's, and a process that
  // keeps its ids would run as host uid 0 there (unmapped).
  const user = c.user ?? (c.userns ? { uid: 0, gid: 0, groups: [] } : undefined);
  const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5);
  const ops: NativeOp[] = [
    {
      op: 'chdir',
      target: workingDir,
      create: 'dir',
      why: 'the working directory, created if missing, inside the root',
    },
    ...terminalOps(c),
    { op: 'closeFds', why: 'only stdin, stdout and stderr cross into the container' },
    {
      op: 'credentials',
      ...(user ? { uid: user.uid, gid: user.gid, groups: user.groups } : {}),
      bounding: c.capabilities,
      effective: caps,
      permitted: caps,
      inheritable: [],
      why: c.userns
        ? "the default capability set, held in the pod's user namespace only; inheritable and ambient empty"
        : 'the default capability set; inheritable and ambient empty',
    },
  ];
  if (c.noNewPrivs) ops.push({ op: 'noNewPrivs', why: 'allowPrivilegeEscalation: false' });
  ops.push({ op: 'exec', target: file, argv, env, ...(pathVar !== undefined ? { searchPath: pathVar } : {}) });
  return ops;
}
