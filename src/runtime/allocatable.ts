/**
 * The node's allocatable resources: what the kubelet reports as `status.allocatable`, and what a
 * `resourceFieldRef` of a container without that limit reads.
 *
 * The kubelet computes allocatable = capacity − kube-reserved − system-reserved − the hard
 * eviction threshold. tspod reserves nothing, and uses the kubelet's default thresholds
 * (`memory.available<100Mi`, `nodefs.available<10%`), so: CPU = every online CPU (the
 * kubelet's NumCores), memory = MemTotal − 100 MiB, ephemeral storage = 90 % of the file system
 * that holds tspod's root (the kubelet's root directory is its "nodefs").
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Allocatable } from '../manifest/types.js';

const EVICTION_MEMORY = 100 * 1024 * 1024;
const EVICTION_NODEFS = 0.1;

/** statfs of `dir`, or of its nearest existing parent (the root may not be made yet). */
function fsBytes(dir: string): number {
  let d = path.resolve(dir);
  for (;;) {
    try {
      const st = fs.statfsSync(d);
      return st.blocks * st.bsize;
    } catch (err) {
      const parent = path.dirname(d);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === d) throw err;
      d = parent;
    }
  }
}

export function nodeAllocatable(root: string): Allocatable {
  return {
    cpuMillis: os.cpus().length * 1000,
    memoryBytes: Math.max(0, os.totalmem() - EVICTION_MEMORY),
    ephemeralStorageBytes: Math.floor(fsBytes(root) * (1 - EVICTION_NODEFS)),
  };
}
