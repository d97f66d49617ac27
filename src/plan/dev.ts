/**
 * A container's /dev: a small tmpfs with only the harmless devices, never the host's /dev.
 *
 * Character devices are made with mknod (the same major:minor numbers as on every Linux system);
 * the pseudo-terminals come from a private devpts instance, so the container cannot reach the host's
 * terminals; /dev/shm is the pod's shared tmpfs (one IPC namespace, one shm); /dev/mqueue is
 * mounted from inside the pod's IPC namespace, so it shows the pod's message queues.
 */
import type { NativeOp } from './types.js';

const DEVICES: [name: string, major: number, minor: number][] = [
  ['null', 1, 3],
  ['zero', 1, 5],
  ['full', 1, 7],
  ['random', 1, 8],
  ['urandom', 1, 9],
  ['tty', 5, 0],
];

const LINKS: [name: string, to: string][] = [
  ['/dev/fd', '/proc/self/fd'],
  ['/dev/stdin', '/proc/self/fd/0'],
  ['/dev/stdout', '/proc/self/fd/1'],
  ['/dev/stderr', '/proc/self/fd/2'],
  ['/dev/ptmx', 'pts/ptmx'],
];

/** A privileged container gets the host's devices (as in Kubernetes), still with its own devpts. */
function baseDev(privileged: boolean): NativeOp[] {
  if (privileged) return [{ op: 'bind', source: '/dev', target: '/dev', why: "privileged: the host's devices" }];
  return [
    {
      op: 'mountFs',
      source: 'tmpfs',
      target: '/dev',
      options: [
        ['mode', '755'],
        ['size', '65536k'],
      ],
      attrs: ['NOSUID', 'STRICTATIME'],
      why: "a fresh /dev: the host's devices stay out of reach",
    },
    ...DEVICES.map(([name, major, minor]): NativeOp => ({
      op: 'mknod',
      target: `/dev/${name}`,
      mode: 0o666,
      major,
      minor,
    })),
    ...LINKS.map(([target, data]): NativeOp => ({ op: 'symlink', target, data })),
  ];
}

export function devOps(podShm: string, privileged = false): NativeOp[] {
  return [
    ...baseDev(privileged),
    {
      op: 'mountFs',
      source: 'devpts',
      target: '/dev/pts',
      options: [
        ['newinstance', ''],
        ['ptmxmode', '0666'],
        ['mode', '0620'],
        ['gid', '5'],
      ],
      attrs: ['NOSUID', 'NOEXEC'],
      why: "a private devpts: the host's terminals are not visible",
    },
    {
      op: 'bind',
      source: podShm,
      target: '/dev/shm',
      readOnly: false,
      attrs: ['NOSUID', 'NODEV', 'NOEXEC'],
      why: "the pod's shared memory, the same tmpfs in every container",
    },
    {
      op: 'mountFs',
      source: 'mqueue',
      target: '/dev/mqueue',
      attrs: ['NOSUID', 'NODEV', 'NOEXEC'],
      why: 'POSIX message queues of the pod IPC namespace (joined above)',
    },
  ];
}
