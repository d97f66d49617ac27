/**
 * A pod's cgroups on this host: `tspod/<pod-uid>` in each hierarchy tspod uses, with one child per
 * container instance (`<container>-<n>`) and one for the infra. (On cgroup v2 a cgroup whose children
 * use controllers may not hold processes itself, so the infra gets its own child, as in Kubernetes.)
 *
 * A process joins a cgroup by writing its pid to `cgroup.procs`; tspod's children write "0"
 * ("myself") from inside the plan, before anything else, so that every byte and cycle they use is
 * charged to the pod. Every directory is recorded in the pod's state before it is made, so teardown
 * and `gc` can remove it.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { kernel } from '../kernel.js';
import { CONTROLLERS, detectLayout, type CgroupLayout } from './detect.js';
import { deviceProgram, encodeProgram } from './device-bpf.js';
import { v1Files, v2Files, type Limits } from './limits.js';

let cached: CgroupLayout | undefined;

export function cgroupLayout(): CgroupLayout {
  cached ??= detectLayout(fs.readFileSync('/proc/self/mountinfo', 'utf8'), (mp) =>
    fs.readFileSync(path.join(mp, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean),
  );
  return cached;
}

export interface CgroupSet {
  /** one directory per hierarchy */
  dirs: string[];
  /** the cgroup.procs file of each, for the plan's writeFile steps */
  procs: string[];
}

/** The hierarchies tspod uses: the cgroup2 mount (always, for tracking) and the v1 controllers. */
function hierarchies(layout: CgroupLayout): string[] {
  const v1 = [...new Set(CONTROLLERS.map((c) => layout.v1[c]).filter((m): m is string => !!m))];
  return [...(layout.unified ? [layout.unified] : []), ...v1];
}

async function enableV2Controllers(layout: CgroupLayout, rel: string): Promise<void> {
  if (!layout.unified || layout.unifiedControllers.length === 0) return;
  // Each ancestor must pass the controllers down (cgroup.subtree_control) for `rel` to have them.
  const parts = rel.split('/');
  for (let i = 0; i < parts.length - 1; i++) {
    const dir = path.join(layout.unified, ...parts.slice(0, i));
    const offered = (await fsp.readFile(path.join(dir, 'cgroup.controllers'), 'utf8')).split(/\s+/);
    const want = ['memory', 'cpu', 'pids'].filter((c) => offered.includes(c));
    if (want.length) await fsp.writeFile(path.join(dir, 'cgroup.subtree_control'), want.map((c) => `+${c}`).join(' '));
  }
}

async function writeLimits(layout: CgroupLayout, hierarchy: string, dir: string, limits: Limits): Promise<void> {
  const files =
    hierarchy === layout.unified
      ? v2Files(layout.unifiedControllers, limits)
      : CONTROLLERS.filter((c) => layout.v1[c] === hierarchy).flatMap((c) => v1Files(c, limits));
  for (const [file, value] of files) {
    await fsp.writeFile(path.join(dir, file), value).catch((err) => {
      throw new Error(`setting ${file} of cgroup ${dir} to ${value}`, { cause: err });
    });
  }
  if (hierarchy === layout.unified && limits.devices && devicesOnV2(layout)) attachDevicePolicy(dir, limits.devices);
}

/** No v1 `devices` controller: the device policy must be a BPF program on the cgroup2 directory. */
export function devicesOnV2(layout: CgroupLayout): boolean {
  return !!layout.unified && !layout.v1.devices;
}

/**
 * Attach the device program for `rules` to the cgroup2 directory `dir` (device-bpf.ts). Like the
 * v1 files, this happens before the container's first step joins the cgroup, so no process of the
 * container ever runs without it; rmdir of the cgroup releases the program.
 */
export function attachDevicePolicy(dir: string, rules: Limits['devices'] & object): void {
  try {
    kernel.cgroupDeviceAttach(dir, encodeProgram(deviceProgram(rules)));
  } catch (err) {
    throw new Error(`attaching the device program to cgroup ${dir}`, { cause: err });
  }
}

/** Where the cgroup `rel` lives in each hierarchy (nothing is created: --dry-run shows these). */
export function plannedCgroup(rel: string, layout: CgroupLayout = cgroupLayout()): CgroupSet {
  const dirs = hierarchies(layout).map((h) => path.join(h, rel));
  return { dirs, procs: dirs.map((d) => path.join(d, 'cgroup.procs')) };
}

/**
 * Make the cgroup `rel` (e.g. "tspod/<uid>/web-0") in every hierarchy, parents included. `record`
 * is called with each directory before it is made: with all of them at once, before the first is
 * made, so that a saver that coalesces (state/saver.ts) records them in one write, not one each.
 */
export async function createCgroup(
  rel: string,
  limits: Limits,
  record: (dir: string) => Promise<void>,
): Promise<CgroupSet> {
  const layout = cgroupLayout();
  const planned = plannedCgroup(rel);
  // Every level below the shared "tspod" directory belongs to the pod: record them all.
  const levels = rel
    .split('/')
    .map((_, i, parts) => parts.slice(0, i + 1).join('/'))
    .slice(1);
  const hierarchyOf = (dir: string) => dir.slice(0, dir.length - rel.length - 1);
  await Promise.all(planned.dirs.flatMap((dir) => levels.map((level) => record(path.join(hierarchyOf(dir), level)))));
  for (const dir of planned.dirs) {
    const hierarchy = hierarchyOf(dir);
    await fsp.mkdir(dir, { recursive: true });
    if (dir.startsWith(`${layout.unified}/`)) await enableV2Controllers(layout, rel);
    await writeLimits(layout, hierarchy, dir, limits);
  }
  return planned;
}

/** Kill whatever is still in the cgroup (every process there is one tspod started, or a descendant). */
async function killAll(dir: string): Promise<void> {
  try {
    await fsp.writeFile(path.join(dir, 'cgroup.kill'), '1');
    return;
  } catch {
    // v1 has no cgroup.kill: signal the members one by one.
  }
  const procs = await fsp.readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  for (const pid of procs.split('\n').filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Remove cgroup directories, deepest first; processes left inside are killed. Missing ones are fine. */
export async function removeCgroups(dirs: string[]): Promise<void> {
  // With every cgroup below them: a child nobody recorded (a crash between its mkdir and the
  // save) would otherwise keep its parent busy for ever.
  const all = (await Promise.all(dirs.map(subtree))).flat();
  const ordered = [...new Set(all)].sort((a, b) => b.split('/').length - a.split('/').length);
  for (const dir of ordered) {
    for (let attempt = 0; ; attempt++) {
      try {
        await fsp.rmdir(dir);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || attempt >= 50) throw new Error(`removing cgroup ${dir}`, { cause: err });
        await killAll(dir);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}

/** `dir` and the cgroup directories below it (none when it does not exist). */
async function subtree(dir: string): Promise<string[]> {
  const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
  const below = await Promise.all(entries.filter((e) => e.isDirectory()).map((e) => subtree(path.join(dir, e.name))));
  return [dir, ...below.flat()];
}

/** Did the kernel's OOM killer kill a process of this cgroup? (v2 memory.events, v1 memory.oom_control) */
export function oomKilled(dirs: string[]): boolean {
  for (const dir of dirs) {
    for (const file of ['memory.events', 'memory.oom_control']) {
      try {
        const m = /^oom_kill (\d+)$/m.exec(fs.readFileSync(path.join(dir, file), 'utf8'));
        if (m && Number(m[1]) > 0) return true;
      } catch {
        // not this hierarchy's file
      }
    }
  }
  return false;
}
