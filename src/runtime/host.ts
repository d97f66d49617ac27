/**
 * The seam between the pod's lifecycle and the host: the only way runtime/, supervisor/ and
 * teardown/ change the system (processes, mounts, files, cgroups, the pod's network).
 *
 * A Host is the Kernel (kernel.ts: the addon's system calls, starting processes from plans,
 * waiting for and signalling them, mounting) plus the files and cgroups tspod makes for a pod. The
 * real one calls the addon and node:fs; unit tests use a recording double
 * (test/unit/runtime/recording-host.ts) to check orchestration without root: the host steps run in
 * order, teardown walks the ledger in reverse, a crash after any step leaves a ledger that gc
 * cleans, and the supervisor's restart, init and stop logic.
 */
import fs from 'node:fs/promises';
import { createCgroup, oomKilled, removeCgroups, type CgroupSet } from '../cgroups/cgroups.js';
import type { Limits } from '../cgroups/limits.js';
import { kernel, type Kernel } from '../kernel.js';
import { attachPod, detachPod, type AttachOptions, type NetworkAttachment } from '../network/index.js';
import { isAlive } from '../state/store.js';
import type { ProcessRef } from '../state/types.js';

export interface Host extends Kernel {
  mkdir(path: string, mode?: number): Promise<void>;
  writeFile(path: string, data: string, mode?: number): Promise<void>;
  /** rm -rf, for directories tspod created */
  remove(path: string): Promise<void>;
  /** a cgroup in every hierarchy; `record` sees each directory before it is made */
  createCgroup(rel: string, limits: Limits, record: (dir: string) => Promise<void>): Promise<CgroupSet>;
  /** rmdir each directory, children first, killing what is left in it; missing ones are fine */
  removeCgroups(dirs: string[]): Promise<void>;
  oomKilled(dirs: string[]): boolean;
  /** is the process still the one recorded (same pid, same start time)? */
  processAlive(ref: ProcessRef): boolean;
  /** CNI ADD through the network's plugins (network/index.ts): null when the pod gets none */
  attachNetwork(o: AttachOptions): Promise<NetworkAttachment | null>;
  /** CNI DEL and unpinning; idempotent */
  detachNetwork(a: NetworkAttachment): Promise<void>;
}

export const realHost: Host = {
  ...kernel,
  mkdir: async (p, mode = 0o755) => {
    await fs.mkdir(p, { recursive: true, mode });
    await fs.chmod(p, mode);
  },
  writeFile: async (p, data, mode = 0o644) => {
    await fs.writeFile(p, data, { mode });
    // The mode exactly (open's mode is masked by the umask): a termination log must stay 0666.
    await fs.chmod(p, mode);
  },
  remove: (p) => fs.rm(p, { recursive: true, force: true, maxRetries: 3 }),
  createCgroup,
  removeCgroups,
  oomKilled,
  processAlive: isAlive,
  attachNetwork: attachPod,
  detachNetwork: (a) => detachPod(a),
};
