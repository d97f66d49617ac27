/**
 * The infra ("pause") process: the first process of a pod, which creates and holds its namespaces.
 *
 * clone() gives it new network, IPC, UTS and PID namespaces (those the pod does not take from the
 * host) and a mount namespace of its own. It names the pod (sethostname), brings up loopback,
 * writes the pod's namespaced sysctls, then pivots into a root that holds nothing but the static
 * pause program and execs it. A copy of Node's address space would cost tens of MiB for the pod's
 * lifetime; the pause program costs a few hundred KiB. Its root is empty so that containers sharing
 * its PID namespace find nothing of the host behind /proc/1/root.
 *
 * With `hostUsers: false` the same clone also makes the pod's user namespace: the kernel creates it
 * before the others, so the network, IPC, UTS, PID and mount namespaces made with it belong to it,
 * and capabilities held in the pod's user namespace act on them. The child waits until tspod has
 * written its uid and gid maps, and ends as root of that namespace: an unprivileged host id.
 */
import type { InfraInput } from './inputs.js';
import type { NativeOp, NsName, Plan } from './types.js';

export function infraPlan(input: InfraInput): Plan {
  const own = new Set(input.namespaces);
  const ops: NativeOp[] = [];
  if (input.userns) {
    ops.push({
      op: 'awaitIdMap',
      uidMap: input.userns.uidMap,
      gidMap: input.userns.gidMap,
      why: "clone made the pod's user namespace (first, so it owns the namespaces made with it); tspod maps its 65536 host ids",
    });
  }
  input.cgroupProcs.forEach((procs, i) => {
    ops.push({
      op: 'writeFile',
      target: procs,
      data: '0',
      ...(i === 0 ? { why: 'enter the pod cgroup, in every hierarchy' } : {}),
    });
  });
  if (own.has('uts')) {
    ops.push({ op: 'sethostname', data: input.hostname, why: 'a new UTS namespace starts with the host name' });
  }
  if (own.has('net')) {
    ops.push({ op: 'loopbackUp', why: 'a new network namespace has only lo, and it is down' });
  }
  for (const s of input.sysctls) {
    ops.push({
      op: 'writeFile',
      target: `/proc/sys/${s.name.replace(/\./g, '/')}`,
      data: s.value,
      why: 'net.* and kernel.shm* sysctls belong to the namespaces of the process that writes them',
    });
  }
  ops.push(
    {
      op: 'mount',
      source: '',
      target: '/',
      flags: ['REC', 'PRIVATE'],
      why: 'nothing mounted from here on may propagate to the host',
    },
    {
      op: 'mount',
      source: 'tmpfs',
      target: input.infraRoot,
      fstype: 'tmpfs',
      // uid=0,gid=0 are read in the pod's user namespace: the root belongs to the pod's root.
      data: input.userns ? 'size=64k,mode=0755,uid=0,gid=0' : 'size=64k,mode=0755',
      why: 'an empty root: the pause program needs nothing else',
    },
    { op: 'openRoot', target: input.infraRoot },
    ...(input.userns
      ? [
          {
            op: 'setresuid',
            uid: 0,
            gid: 0,
            why: "root of the pod's user namespace from here: host uid 0 (which opened the host's root-only directories above) is not mapped in it, so it could not create /pause",
          } satisfies NativeOp,
        ]
      : []),
    { op: 'bind', source: input.pauseBinary, target: '/pause', readOnly: true, why: 'the only file in the infra root' },
    { op: 'pivotRoot', why: 'leave the host file system behind (chroot would not)' },
    { op: 'closeFds', why: 'no fd of the supervisor may reach the pod' },
    {
      op: 'credentials',
      bounding: [],
      effective: [],
      permitted: [],
      inheritable: [],
      // With a user namespace, until here the process had host uid 0 (and owned the root-owned host
      // directories it mounted from); uid 0 of the namespace is the pod's unprivileged host id.
      ...(input.userns ? { uid: 0, gid: 0, groups: [] } : {}),
      why: input.userns
        ? "root of the pod's user namespace (an unprivileged host id), with no capability"
        : 'pause needs no capability to wait for signals and reap children',
    },
    { op: 'noNewPrivs' },
    {
      op: 'exec',
      target: '/pause',
      argv: ['/pause'],
      env: [],
      why: 'PID 1 of the pod: reaps orphans, exits on SIGTERM',
    },
  );
  const order: NsName[] = ['mnt', 'uts', 'ipc', 'net', 'pid'];
  const clone = order.filter((n) => n === 'mnt' || own.has(n));
  return { name: 'infra', clone: input.userns ? ['user', ...clone] : clone, ops };
}
