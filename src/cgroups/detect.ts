/**
 * Which cgroup hierarchies this host has, per controller.
 *
 * cgroups group processes so the kernel can account for them and limit them. There are two
 * versions: v1 has one hierarchy per controller (memory, cpu, pids...), each mounted on its own;
 * v2 has a single hierarchy where controllers are enabled per subtree. Hosts can mix them ("hybrid":
 * v1 controllers plus a cgroup2 mount, sometimes with a controller or two moved onto it), so tspod
 * decides per controller: v2 when the cgroup2 root offers it, else its v1 hierarchy. The cgroup2
 * mount is used even without controllers, to track a pod's processes (and kill them all at once
 * with cgroup.kill). Parsing is pure; the caller reads /proc/self/mountinfo.
 */
import { parseMountinfo } from '../mountinfo.js';

export type Controller = 'memory' | 'cpu' | 'cpuacct' | 'pids' | 'devices';
/** `devices` is v1 only: on cgroup v2 the device policy is a BPF program, not a controller. */
export const CONTROLLERS: Controller[] = ['memory', 'cpu', 'cpuacct', 'pids', 'devices'];

export interface CgroupLayout {
  /** the cgroup2 mount point, if any */
  unified?: string;
  /** controllers available on the cgroup2 root (cgroup.controllers) */
  unifiedControllers: string[];
  /** v1 mount point of each controller tspod uses from v1 */
  v1: Partial<Record<Controller, string>>;
}

export function detectLayout(mountinfo: string, unifiedControllers: (mountPoint: string) => string[]): CgroupLayout {
  const mounts = parseMountinfo(mountinfo);
  const unified = mounts.find((m) => m.fstype === 'cgroup2')?.mountPoint;
  const available = unified ? unifiedControllers(unified) : [];
  const layout: CgroupLayout = { unified, unifiedControllers: available, v1: {} };
  for (const c of CONTROLLERS) {
    const onV2 = c === 'cpuacct' ? available.includes('cpu') : available.includes(c);
    if (onV2) continue;
    const m = mounts.find((x) => x.fstype === 'cgroup' && x.superOptions.includes(c));
    if (m) layout.v1[c] = m.mountPoint;
  }
  return layout;
}

/** A cgroup file system a container gets at /sys/fs/cgroup (its cgroup namespace makes it see its own cgroup as the root). */
export interface CgroupMount {
  fstype: 'tmpfs' | 'cgroup' | 'cgroup2';
  target: string;
  /** fsconfig options: a v1 hierarchy is named by its controllers */
  options: [string, string][];
}

/**
 * What a container sees under /sys/fs/cgroup, as runc gives it: on a cgroup2-only host the cgroup2
 * file system itself; otherwise a tmpfs with one mount per v1 hierarchy the container is placed in
 * (named as on the host) and the cgroup2 mount at `unified`. Only hierarchies tspod places the
 * container in are shown: in the others its cgroup namespace would be rooted at tspod's own cgroup.
 */
export function containerCgroupMounts(layout: CgroupLayout): CgroupMount[] {
  const byMount = new Map<string, string[]>();
  for (const c of CONTROLLERS) {
    const m = layout.v1[c];
    if (m) byMount.set(m, [...(byMount.get(m) ?? []), c]);
  }
  if (byMount.size === 0) return layout.unified ? [{ fstype: 'cgroup2', target: '/sys/fs/cgroup', options: [] }] : [];
  const base = '/sys/fs/cgroup';
  return [
    {
      fstype: 'tmpfs',
      target: base,
      options: [
        ['mode', '755'],
        ['size', '64k'],
      ],
    },
    ...[...byMount].map(([mount, controllers]): CgroupMount => ({
      fstype: 'cgroup',
      target: `${base}/${mount.split('/').pop()}`,
      options: controllers.map((c): [string, string] => [c, '']),
    })),
    ...(layout.unified
      ? [{ fstype: 'cgroup2' as const, target: `${base}/${layout.unified.split('/').pop()}`, options: [] }]
      : []),
  ];
}
