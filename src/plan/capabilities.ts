/**
 * Linux capabilities by name and number (linux/capability.h), and the set a Kubernetes pod gets.
 *
 * Root's power is split into ~41 capabilities. A container keeps only the 14 that containerd gives
 * by default (KUBERNETES-FACTS.md): enough to be "root" inside its own files, not enough to load
 * modules, mount, trace other processes or change the clock. The plan shows names; the addon gets
 * numbers.
 */
import { CAPABILITIES as CAPABILITY_NAMES, normalizeCapability } from '../manifest/security.js';

/** Every capability, as CAP_ names, in the kernel's numbering (the manifest vocabulary's list). */
export const CAPABILITIES: readonly string[] = CAPABILITY_NAMES.map((c) => `CAP_${c}`);

/** A capability's kernel name, CAP_CHOWN and so on. */
export type CapName = string;

/** containerd's default set for a non-privileged container. */
export const DEFAULT_CAPABILITIES: CapName[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

export function capNumber(name: string | number): number {
  if (typeof name === 'number') return name;
  const n = CAPABILITIES.indexOf(name);
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
export function containerCapabilities(opts: {
  privileged?: boolean;
  add?: string[];
  drop?: string[];
  available?: CapName[];
}): CapName[] {
  // A capability the runtime does not hold itself (not in its bounding set) cannot be granted.
  const available = opts.available ?? [...CAPABILITIES];
  return wanted(opts).filter((c) => available.includes(c));
}

function wanted(opts: { privileged?: boolean; add?: string[]; drop?: string[] }): CapName[] {
  if (opts.privileged) return [...CAPABILITIES];
  const drop = (opts.drop ?? []).map((d) => d.toUpperCase());
  let set: CapName[] = drop.includes('ALL')
    ? []
    : DEFAULT_CAPABILITIES.filter((c) => !drop.map(normalizeCapability).includes(c));
  for (const a of opts.add ?? []) {
    if (a.toUpperCase() === 'ALL') set = [...CAPABILITIES];
    const c = normalizeCapability(a);
    if (c && !set.includes(c)) set.push(c);
  }
  return CAPABILITIES.filter((c) => set.includes(c));
}
