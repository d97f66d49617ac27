/**
 * The device policy of a container: which device nodes its processes may open, and create.
 *
 * File permissions alone do not protect devices: a container's root holds CAP_MKNOD (Kubernetes
 * gives it), so it can make a node for any major:minor (`mknod /tmp/k c 1 11` is the host's kernel
 * log, `b 7 0` a loop device, `c 10 232` kvm) and open it; an image can ship such nodes too. The
 * kernel's device controller checks every open and mknod of a device node against the cgroup's
 * rules, whoever the caller and whatever the node's mode. The runtime default that runc, crun and
 * containerd apply (and that tspod applies): deny everything, allow *creating* any node (images and
 * package scripts that mknod keep working), allow read/write only of the harmless devices that the
 * container's /dev holds. A privileged container gets every device, as in Kubernetes.
 *
 * On cgroup v1 the rules are lines written to `devices.deny` / `devices.allow`; on cgroup v2 there
 * are no files: a BPF program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup decides
 * (device-bpf.ts builds it from the same rules). Pure: the caller writes or attaches.
 */

export interface DeviceRule {
  type: 'c' | 'b';
  /** undefined: any */
  major?: number;
  minor?: number;
  access: string; // some of "rwm"
}

const rw = (major: number, minor?: number): DeviceRule => ({
  type: 'c',
  major,
  ...(minor !== undefined ? { minor } : {}),
  access: 'rwm',
});

/** The runtime default for a non-privileged container (KUBERNETES-FACTS.md, "Devices"). */
export const DEFAULT_DEVICE_RULES: readonly DeviceRule[] = [
  { type: 'c', access: 'm' },
  { type: 'b', access: 'm' },
  rw(1, 3),
  rw(1, 5),
  rw(1, 7),
  rw(1, 8),
  rw(1, 9), // null zero full random urandom
  rw(5, 0),
  rw(5, 2),
  rw(136), // tty, ptmx, pts/*
];

/** One rule as the v1 controller reads it: `c 1:3 rwm`, `b *:* m`. */
export function v1Rule(r: DeviceRule): string {
  return `${r.type} ${r.major ?? '*'}:${r.minor ?? '*'} ${r.access}`;
}

/**
 * [file, value] writes for a v1 devices cgroup, in order: first deny all (a new cgroup inherits
 * its parent's "allow all"), then each allowed rule. The kernel takes one rule per write.
 */
export function v1DeviceFiles(rules: readonly DeviceRule[]): [string, string][] {
  return [['devices.deny', 'a'], ...rules.map((r): [string, string] => ['devices.allow', v1Rule(r)])];
}
