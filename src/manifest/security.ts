/**
 * The security vocabulary of a manifest: Linux capability names and the sysctls a pod may set.
 *
 * Capabilities are written as in Kubernetes manifests (`NET_ADMIN`), and like containerd tspod also
 * accepts the kernel's spelling (`CAP_NET_ADMIN`) and any letter case; `ALL` stands for every
 * capability. An unknown name is an error here rather than a surprise at start-up.
 *
 * Sysctls: only the *safe* set, namespaced per pod, that the kubelet allows without an opt-in.
 * tspod has no opt-in for unsafe sysctls (the kubelet's `--allowed-unsafe-sysctls`), so any other
 * name is refused. Network sysctls act on the pod's network namespace, so a `hostNetwork` pod may
 * not set them; likewise `kernel.shm_rmid_forced` and `hostIPC` (both would change the host).
 */

/** Every capability of Linux 5.9 and later, without the `CAP_` prefix. */
export const CAPABILITIES: readonly string[] = [
  'CHOWN',
  'DAC_OVERRIDE',
  'DAC_READ_SEARCH',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE',
  'NET_BROADCAST',
  'NET_ADMIN',
  'NET_RAW',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_CHROOT',
  'SYS_PTRACE',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_BOOT',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'MKNOD',
  'LEASE',
  'AUDIT_WRITE',
  'AUDIT_CONTROL',
  'SETFCAP',
  'MAC_OVERRIDE',
  'MAC_ADMIN',
  'SYSLOG',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
  'AUDIT_READ',
  'PERFMON',
  'BPF',
  'CHECKPOINT_RESTORE',
];

/** `net_admin`, `NET_ADMIN`, `CAP_NET_ADMIN` → `CAP_NET_ADMIN`; `all` → `ALL`; unknown → undefined. */
export function normalizeCapability(name: string): string | undefined {
  const upper = name.toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const bare = upper.startsWith('CAP_') ? upper.slice(4) : upper;
  return CAPABILITIES.includes(bare) ? `CAP_${bare}` : undefined;
}

export function capabilityName(s: string): string | undefined {
  return normalizeCapability(s) ? undefined : `unknown capability "${s}"`;
}

/** The sysctls Kubernetes considers safe: namespaced, and unable to affect other pods. */
export const SAFE_SYSCTLS: readonly string[] = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ping_group_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
];

/**
 * Since Kubernetes 1.23 a sysctl may be written with `/` separators (`kernel/shm_rmid_forced`),
 * as under /proc/sys; it means the dotted name. In that spelling a `.` is part of a component
 * (`net/ipv4/conf/eth0.100/forwarding`), so the two characters swap, as the kubelet converts.
 */
export function dottedSysctl(s: string): string {
  const first = s.search(/[./]/);
  if (first < 0 || s[first] === '.') return s;
  return s.replace(/[./]/g, (ch) => (ch === '/' ? '.' : '/'));
}

export function safeSysctl(raw: string): string | undefined {
  const s = dottedSysctl(raw);
  if (SAFE_SYSCTLS.includes(s)) return undefined;
  return `sysctl "${s}" is not in the safe set (${SAFE_SYSCTLS.join(', ')})`;
}
