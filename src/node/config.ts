/**
 * The node configuration: what the operator says about this node, in one JSON file
 * (`TSPOD_NODE_CONFIG`, else /etc/tspod/node.json; no file at the default place means no settings).
 *
 *     {
 *       "name": "lab-1",
 *       "labels": { "disktype": "ssd" },
 *       "taints": [ { "key": "dedicated", "value": "gpu", "effect": "NoSchedule" } ],
 *       "capacity": { "cpu": "2", "memory": "1Gi", "example.com/dongle": "2" },
 *       "systemReserved": { "cpu": "100m", "memory": "256Mi" },
 *       "kubeReserved": { "memory": "128Mi" },
 *       "evictionHard": { "memory.available": "100Mi", "nodefs.available": "10%" }
 *     }
 *
 * The words are the kubelet's: `--node-labels` and `--register-with-taints`, its capacity as the
 * node reports it (read from the host unless given here; extended resources exist only if given
 * here, as a device plugin would advertise them), and the KubeletConfiguration's reservations,
 * which allocatable subtracts from capacity. Every field is optional.
 */
import fs from 'node:fs';
import { dnsSubdomain, labelValue, qualifiedName } from '../manifest/names.js';
import { isQuantity } from '../manifest/quantity.js';
import type { TaintEffect } from '../manifest/types.js';
import { resourceKind } from '../manifest/walk.js';
import { amountsOf, type Amounts } from './resources.js';

export const DEFAULT_NODE_CONFIG = '/etc/tspod/node.json';

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

/** A hard eviction threshold: an amount, or a percentage of capacity. */
export type Threshold = { bytes: number } | { percent: number };

export interface NodeConfig {
  file?: string;
  name?: string;
  labels: Record<string, string>;
  taints: Taint[];
  capacity: Amounts;
  systemReserved: Amounts;
  kubeReserved: Amounts;
  /** undefined: the kubelet's defaults (memory.available 100Mi, nodefs.available 10%) */
  evictionHard?: Partial<Record<'memory.available' | 'nodefs.available', Threshold>>;
}

/** Labels the node sets itself; the operator cannot (the kubelet refuses them in --node-labels too). */
export const OWN_LABELS = [
  'kubernetes.io/hostname',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
];
const FIELDS = ['name', 'labels', 'taints', 'capacity', 'systemReserved', 'kubeReserved', 'evictionHard'];
const EFFECTS: TaintEffect[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

class ConfigProblem extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function need(ok: boolean, field: string, message: string): void {
  if (!ok) throw new ConfigProblem(`${field}: ${message}`);
}

function strings(v: unknown, field: string): Record<string, string> {
  if (v === undefined) return {};
  need(isObject(v), field, 'expected an object');
  for (const [k, s] of Object.entries(v as object)) need(typeof s === 'string', `${field}[${k}]`, 'expected a string');
  return v as Record<string, string>;
}

function labels(v: unknown): Record<string, string> {
  const out = strings(v, 'labels');
  for (const [k, val] of Object.entries(out)) {
    const bad = qualifiedName(k) ?? labelValue(val);
    need(!bad, `labels[${k}]`, bad!);
    need(!OWN_LABELS.includes(k), `labels[${k}]`, 'is set by the node itself');
  }
  return out;
}

function taints(v: unknown): Taint[] {
  if (v === undefined) return [];
  need(Array.isArray(v), 'taints', 'expected a list');
  return (v as unknown[]).map((t, i) => {
    const at = `taints[${i}]`;
    need(isObject(t), at, 'expected an object');
    const { key, value, effect, ...rest } = t as Record<string, unknown>;
    need(Object.keys(rest).length === 0, at, `unknown field "${Object.keys(rest)[0]}" (key, value, effect)`);
    need(
      typeof key === 'string' && !qualifiedName(key),
      `${at}.key`,
      typeof key === 'string' ? qualifiedName(key)! : 'required',
    );
    need(
      value === undefined || (typeof value === 'string' && !labelValue(value)),
      `${at}.value`,
      'must be a label value',
    );
    need(EFFECTS.includes(effect as TaintEffect), `${at}.effect`, `must be one of ${EFFECTS.join(', ')}`);
    return { key: key as string, ...(value ? { value: value as string } : {}), effect: effect as TaintEffect };
  });
}

function resources(v: unknown, field: string, allowed: (name: string) => boolean): Amounts {
  const list = strings(v, field);
  for (const [k, q] of Object.entries(list)) {
    need(allowed(k), `${field}[${k}]`, 'not a resource the node can have here');
    need(isQuantity(q), `${field}[${k}]`, `invalid quantity "${q}"`);
  }
  return amountsOf(list);
}

function threshold(q: string, field: string): Threshold {
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(q);
  if (pct) {
    need(Number(pct[1]) <= 100, field, 'a percentage is at most 100%');
    return { percent: Number(pct[1]) };
  }
  need(isQuantity(q), field, `invalid quantity "${q}" (an amount such as 100Mi, or a percentage such as 10%)`);
  return { bytes: amountsOf({ memory: q }).memory! };
}

function evictionHard(v: unknown): NodeConfig['evictionHard'] {
  if (v === undefined) return undefined;
  const out: NonNullable<NodeConfig['evictionHard']> = {};
  for (const [k, q] of Object.entries(strings(v, 'evictionHard'))) {
    need(
      k === 'memory.available' || k === 'nodefs.available',
      `evictionHard[${k}]`,
      'tspod knows memory.available and nodefs.available',
    );
    out[k as 'memory.available'] = threshold(q, `evictionHard[${k}]`);
  }
  return out;
}

const schedulable = (k: string) =>
  ['cpu', 'memory', 'ephemeral-storage', 'pods'].includes(k) || resourceKind(k) === 'extended';
const reservable = (k: string) => ['cpu', 'memory', 'ephemeral-storage'].includes(k);

export function parseNodeConfig(text: string, file?: string): NodeConfig {
  try {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (err) {
      throw new ConfigProblem((err as Error).message);
    }
    need(isObject(v), '(root)', 'expected an object');
    const o = v as Record<string, unknown>;
    const unknown = Object.keys(o).find((k) => !FIELDS.includes(k));
    need(unknown === undefined, unknown ?? '', `unknown field (${FIELDS.join(', ')})`);
    need(
      o.name === undefined || (typeof o.name === 'string' && !dnsSubdomain(o.name)),
      'name',
      'must be a DNS subdomain',
    );
    return {
      file,
      ...(o.name ? { name: o.name as string } : {}),
      labels: labels(o.labels),
      taints: taints(o.taints),
      capacity: resources(o.capacity, 'capacity', schedulable),
      systemReserved: resources(o.systemReserved, 'systemReserved', reservable),
      kubeReserved: resources(o.kubeReserved, 'kubeReserved', reservable),
      evictionHard: evictionHard(o.evictionHard),
    };
  } catch (err) {
    if (err instanceof ConfigProblem)
      throw new Error(`node configuration ${file ?? ''}: ${err.message}`.replace('  ', ' '));
    throw err;
  }
}

/** Reads the node configuration; the default file may be absent, a file named in the environment may not. */
export function loadNodeConfig(env = process.env): NodeConfig {
  const file = env.TSPOD_NODE_CONFIG || DEFAULT_NODE_CONFIG;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !env.TSPOD_NODE_CONFIG) return parseNodeConfig('{}');
    throw new Error(`reading the node configuration ${file}`, { cause: err });
  }
  return parseNodeConfig(text, file);
}
