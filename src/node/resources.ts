/**
 * Amounts of node resources, as the scheduler counts them: whole numbers per resource name, CPU in
 * millicores, memory and ephemeral storage in bytes, pods and extended resources (`example.com/
 * dongle`) as counts. Quantities from manifests are rounded up once, here (`0.1` CPU is 100m,
 * `1.5Ki` is 1536 bytes), so that every comparison after is exact.
 */
import { parseCpuMillis, parseQuantity } from '../manifest/quantity.js';
import type { Quantity, ResourceList } from '../manifest/types.js';

export type Amounts = Record<string, number>;

/** The resources every node has, in the order they are shown. */
export const NODE_RESOURCES = ['cpu', 'memory', 'ephemeral-storage', 'pods'] as const;

export function amountOf(name: string, q: Quantity | number): number {
  return name === 'cpu' ? parseCpuMillis(q) : Math.ceil(parseQuantity(q));
}

export function amountsOf(list: ResourceList | Record<string, Quantity> | undefined): Amounts {
  const out: Amounts = {};
  for (const [name, q] of Object.entries(list ?? {})) if (q !== undefined) out[name] = amountOf(name, q);
  return out;
}

export function addAmounts(...lists: Amounts[]): Amounts {
  const out: Amounts = {};
  for (const l of lists) for (const [k, v] of Object.entries(l)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export function maxAmounts(a: Amounts, b: Amounts): Amounts {
  const out: Amounts = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = Math.max(out[k] ?? 0, v);
  return out;
}

const BINARY: [string, number][] = [
  ['Ei', 2 ** 60],
  ['Pi', 2 ** 50],
  ['Ti', 2 ** 40],
  ['Gi', 2 ** 30],
  ['Mi', 2 ** 20],
  ['Ki', 2 ** 10],
];

/** An amount as a person reads it: `250m`, `2` (CPU); `512Mi`, `1.5Gi` (bytes); `3` (counts). */
export function formatAmount(name: string, n: number): string {
  if (name === 'cpu') return n % 1000 === 0 ? String(n / 1000) : `${n}m`;
  if (name !== 'memory' && name !== 'ephemeral-storage') return String(n);
  for (const [suffix, size] of BINARY) {
    if (Math.abs(n) < size) continue;
    const v = n / size;
    // Exact, or one decimal when that says it to within a tenth of a percent.
    if (Number.isInteger(v)) return `${v}${suffix}`;
    const rounded = Math.round(v * 10) / 10;
    if (Math.abs(rounded - v) / v < 0.001) return `${rounded}${suffix}`;
  }
  return String(n);
}
