/**
 * Linux capabilities by name and number (linux/capability.h), and the set a Kubernetes pod gets.
 *
 * Root's power is split into ~41 capabilities. A container keeps only the 14 that containerd gives
 * by default (KUBERNETES-FACTS.md): enough to be "root" inside its own files, not enough to load
 * modules, mount, trace other processes or change the clock. The plan shows names; the addon gets
 * numbers.
 */
export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

export type CapName = (typeof CAPABILITIES)[number];

/** containerd's default set for a non-privileged container. */
export const DEFAULT_CAPABILITIES: CapName[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** "NET_ADMIN", "CAP_NET_ADMIN", "net_admin" → "CAP_NET_ADMIN"; undefined when unknown. */
export function capName(name: string): CapName | undefined {
  const upper = name.toUpperCase();
  const full = (upper.startsWith('CAP_') ? upper : `CAP_${upper}`) as CapName;
  return CAPABILITIES.includes(full) ? full : undefined;
}

export function capNumber(name: string | number): number {
  if (typeof name === 'number') return name;
  const n = CAPABILITIES.indexOf(name as CapName);
  if (n < 0) throw new Error(`unknown capability "${name}"`);
  return n;
}

/** Capabilities in a mask as /proc/<pid>/status shows them (CapBnd:	000001fffeffffff). */
export function capsFromMask(hex: string): CapName[] {
  const mask = BigInt(`0x${hex}`);
  return CAPABILITIES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

/**
 * The capability set of a container: the default set, minus `drop`, plus `add` (Kubernetes applies
 * drop "ALL" first, then add); everything for a privileged container; never more than `available`.
 */
export function containerCapabilities(opts: { privileged?: boolean; add?: string[]; drop?: string[]; available?: CapName[] }): CapName[] {
  // A capability the runtime does not hold itself (not in its bounding set) cannot be granted.
  const available = opts.available ?? [...CAPABILITIES];
  return wanted(opts).filter((c) => available.includes(c));
}

function wanted(opts: { privileged?: boolean; add?: string[]; drop?: string[] }): CapName[] {
  if (opts.privileged) return [...CAPABILITIES];
  const drop = (opts.drop ?? []).map((d) => d.toUpperCase());
  let set: CapName[] = drop.includes('ALL') ? [] : DEFAULT_CAPABILITIES.filter((c) => !drop.map(capName).includes(c));
  for (const a of opts.add ?? []) {
    if (a.toUpperCase() === 'ALL') set = [...CAPABILITIES];
    const c = capName(a);
    if (c && !set.includes(c)) set.push(c);
  }
  return CAPABILITIES.filter((c) => set.includes(c));
}
