/**
 * The seam between the runtime's orchestration and the kernel.
 *
 * Everything the runtime does to the host goes through this interface: starting processes from
 * plans, waiting for and signalling them, mounting, and the files it creates. The real
 * implementation calls the addon and node:fs; tests use a recording double (test/unit/runtime) to
 * check orchestration without root: the infra starts before the containers, teardown runs in
 * reverse, a failed start undoes what was done.
 */
import fs from 'node:fs/promises';
import { createCgroup, oomKilled, removeCgroups, type CgroupSet } from '../cgroups/cgroups.js';
import type { Limits } from '../cgroups/limits.js';
import { native, type ExitStatus, type NativePlan } from '../native.js';

export interface Host {
  spawn(plan: NativePlan): { pid: number; pidfd: number };
  waitExit(pidfd: number): Promise<ExitStatus>;
  /** false when the process is already gone */
  signal(pidfd: number, signal: number): boolean;
  closeFd(fd: number): void;
  pipe(): [number, number];
  mount(source: string, target: string, fstype: string, flags: string[], data?: string): void;
  umount(target: string): void;
  mkdir(path: string, mode?: number): Promise<void>;
  writeFile(path: string, data: string, mode?: number): Promise<void>;
  /** rm -rf, for directories tspod created */
  remove(path: string): Promise<void>;
  /** a cgroup in every hierarchy; `record` sees each directory before it is made */
  createCgroup(rel: string, limits: Limits, record: (dir: string) => Promise<void>): Promise<CgroupSet>;
  removeCgroups(dirs: string[]): Promise<void>;
  oomKilled(dirs: string[]): boolean;
}

export const realHost: Host = {
  spawn: (plan) => native.spawn(plan),
  waitExit: (pidfd) => native.waitExit(pidfd),
  signal: (pidfd, sig) => native.pidfdSendSignal(pidfd, sig),
  closeFd: (fd) => native.close(fd),
  pipe: () => native.pipe(),
  mount: (source, target, fstype, flags, data) => native.mount(source, target, fstype, flags, data),
  umount: (target) => native.umount2(target, true),
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
};
