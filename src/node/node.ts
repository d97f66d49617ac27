/**
 * This node as the scheduler sees it: a name, labels, taints, and for each resource its capacity
 * and its allocatable part.
 *
 * Capacity is read from the host as the kubelet's cAdvisor reads it: the CPUs the kernel has
 * (`/proc/cpuinfo`, os.cpus()), `MemTotal` of /proc/meminfo, and the size of the file system that
 * holds tspod's data root (statfs(2): container layers, emptyDir volumes and logs live there, so it
 * is the node's ephemeral storage); 110 pods, the kubelet's default `maxPods`. The node
 * configuration (config.ts) may say otherwise, and adds labels, taints and extended resources.
 *
 * Allocatable is what pods may request: capacity minus `systemReserved`, minus `kubeReserved`,
 * minus the hard eviction threshold for memory and ephemeral storage (the kubelet's node
 * allocatable formula; its default thresholds are memory.available 100Mi and nodefs.available 10%).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Roots } from '../paths.js';
import { hostLsmFacts, type LsmFacts } from './lsm.js';
import { loadNodeConfig, OWN_LABELS, type NodeConfig, type Taint, type Threshold } from './config.js';
import type { Amounts } from './resources.js';
import { nth } from '../checked.js';

export interface HostFacts {
  hostname: string;
  /** GOARCH spelling: amd64, arm64... */
  arch: string;
  cpus: number;
  memoryBytes: number;
  storageBytes: number;
}

export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  taints: Taint[];
  capacity: Amounts;
  allocatable: Amounts;
  /** where the configuration came from, for explanations */
  configFile?: string;
  /** the host's security modules (admission/lsm.ts); absent: none active */
  lsm?: LsmFacts;
}

const DEFAULT_MAX_PODS = 110;
const DEFAULT_EVICTION_HARD: NonNullable<NodeConfig['evictionHard']> = {
  'memory.available': { bytes: 100 * 2 ** 20 },
  'nodefs.available': { percent: 10 },
};

/** Node.js's process.arch in the words of Go's GOARCH, which the kubernetes.io/arch label uses. */
export function goArch(arch: string = process.arch, endianness = os.endianness()): string {
  const names: Record<string, string> = {
    x64: 'amd64',
    ia32: '386',
    ppc64: endianness === 'LE' ? 'ppc64le' : 'ppc64',
    loong64: 'loong64',
  };
  return names[arch] ?? arch;
}

/** statfs(2) of the data root, or of its nearest existing parent before the first run made it. */
function fileSystemSize(dir: string): number {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      const st = fs.statfsSync(d);
      return st.blocks * st.bsize;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || d === '/') throw new Error(`statfs ${d}`, { cause: err });
    }
  }
}

export function hostFacts(roots: Roots): HostFacts {
  return {
    // The kubelet lower-cases the host name it registers under.
    hostname: os.hostname().toLowerCase(),
    arch: goArch(),
    cpus: os.cpus().length,
    memoryBytes: os.totalmem(),
    storageBytes: fileSystemSize(roots.root),
  };
}

function thresholdBytes(t: Threshold | undefined, capacity: number): number {
  if (!t) return 0;
  return 'bytes' in t ? t.bytes : Math.ceil((capacity * t.percent) / 100);
}

/** The node from the host's facts and the operator's configuration (pure). */
export function buildNode(facts: HostFacts, config: NodeConfig): NodeInfo {
  const name = config.name ?? facts.hostname;
  const capacity: Amounts = {
    cpu: facts.cpus * 1000,
    memory: facts.memoryBytes,
    'ephemeral-storage': facts.storageBytes,
    pods: DEFAULT_MAX_PODS,
    ...config.capacity,
  };
  const eviction = config.evictionHard ?? DEFAULT_EVICTION_HARD;
  const held: Amounts = {
    memory: thresholdBytes(eviction['memory.available'], capacity.memory!),
    'ephemeral-storage': thresholdBytes(eviction['nodefs.available'], capacity['ephemeral-storage']!),
  };
  const allocatable: Amounts = {};
  for (const [r, c] of Object.entries(capacity)) {
    const minus = (config.systemReserved[r] ?? 0) + (config.kubeReserved[r] ?? 0) + (held[r] ?? 0);
    allocatable[r] = Math.max(0, c - minus);
  }
  const own = [name, 'linux', facts.arch, 'linux', facts.arch];
  return {
    name,
    labels: { ...config.labels, ...Object.fromEntries(OWN_LABELS.map((l, i) => [l, nth(own, i)])) },
    taints: config.taints,
    capacity,
    allocatable,
    ...(config.file ? { configFile: config.file } : {}),
  };
}

export function loadNode(roots: Roots, env = process.env): NodeInfo {
  return { ...buildNode(hostFacts(roots), loadNodeConfig(env)), lsm: hostLsmFacts() };
}
