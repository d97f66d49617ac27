/**
 * The node's allocatable resources: what the kubelet reports as `status.allocatable`, and what a
 * `resourceFieldRef` of a container without that limit reads.
 *
 * The kubelet computes allocatable = capacity − kube-reserved − system-reserved − the hard
 * eviction threshold; src/node/node.ts does the same, from the host and the node configuration
 * (the kubelet's defaults when there is none: every online CPU, MemTotal − 100 MiB, 90 % of the
 * file system that holds tspod's root). Admission counts requests against the same numbers.
 */
import type { Allocatable } from '../manifest/types.js';
import { loadNode } from '../node/node.js';

export function nodeAllocatable(root: string): Allocatable {
  const a = loadNode({ root, runRoot: '' }).allocatable;
  return { cpuMillis: a.cpu!, memoryBytes: a.memory!, ephemeralStorageBytes: a['ephemeral-storage']! };
}
