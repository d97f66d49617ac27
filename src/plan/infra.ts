/**
 * The infra ("pause") process: the first process of a pod, which creates and holds its namespaces.
 *
 * clone() gives it new network, IPC, UTS and PID namespaces (those the pod does not take from the
 * host) and a mount namespace of its own. It names the pod (sethostname), brings up loopback,
 * writes the pod's namespaced sysctls, then pivots into a root that holds nothing but the static
 * pause program and execs it. A copy of Node's address space would cost tens of MiB for the pod's
 * lifetime; the pause program costs a few hundred KiB. Its root is empty so that containers sharing
 * its PID namespace find nothing of the host behind /proc/1/root.
 */
import type { InfraInput } from './inputs.js';
import type { NativeOp, NsName, Plan } from './types.js';

export function infraPlan(input: InfraInput): Plan {
  const own = new Set(input.namespaces);
  const ops: NativeOp[] = [];
  input.cgroupProcs.forEach((procs, i) => {
    ops.push({ op: 'writeFile', target: procs, data: '0', ...(i === 0 ? { why: 'enter the pod cgroup, in every hierarchy' } : {}) });
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
    { op: 'mount', source: '', target: '/', flags: ['REC', 'PRIVATE'], why: 'nothing mounted from here on may propagate to the host' },
    { op: 'mount', source: 'tmpfs', target: input.infraRoot, fstype: 'tmpfs', data: 'size=64k,mode=0755', why: 'an empty root: the pause program needs nothing else' },
    { op: 'openRoot', target: input.infraRoot },
    { op: 'bind', source: input.pauseBinary, target: '/pause', readOnly: true, why: 'the only file in the infra root' },
    { op: 'pivotRoot', why: 'leave the host file system behind (chroot would not)' },
    { op: 'closeFds', why: 'no fd of the supervisor may reach the pod' },
    {
      op: 'credentials', bounding: [], effective: [], permitted: [], inheritable: [],
      why: 'pause needs no capability to wait for signals and reap children',
    },
    { op: 'noNewPrivs' },
    { op: 'exec', target: '/pause', argv: ['/pause'], env: [], why: 'PID 1 of the pod: reaps orphans, exits on SIGTERM' },
  );
  const order: NsName[] = ['mnt', 'uts', 'ipc', 'net', 'pid'];
  return { name: 'infra', clone: order.filter((n) => n === 'mnt' || own.has(n)), ops };
}
