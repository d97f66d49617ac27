/**
 * `tspod rm` and `tspod gc`: deciding which pods may be removed, then removing them (cleanup.ts:
 * the pod's ledger walked backwards, the one teardown there is).
 *
 * A pod is only ever removed by a process holding its lock, the lock its supervisor holds for its
 * whole life: so nothing is pulled from under a running supervisor, and two `gc` runs do not
 * collide. A pod directory without a state file belongs to a `run` that has claimed the name and
 * not yet written its state; it is left alone while it is younger than a minute (older, its
 * creator died before it wrote anything, and it is removed).
 */
import fs from 'node:fs';
import path from 'node:path';
import { listNetnsPins, unpinNetns } from '../network/netns.js';
import type { Roots } from '../paths.js';
import { hostLayout, podLayout } from '../layout.js';
import { recordedRefsOf, removeExitRecordsExcept } from '../state/exits.js';
import { listPodNames, lockPod, readState, type PodLock } from '../state/store.js';
import { removePod, type CleanupOptions } from './cleanup.js';
import { getPod, readPod, type PodEntry } from '../pods/pods.js';
import { ORPHAN_HINT, stopPod } from '../control/stop.js';
import { freeStaleRanges } from '../state/userns-ranges.js';
import { aliveClaim } from '../runtime/userns.js';

const CREATING_GRACE_MS = 60_000;

export interface GcResult {
  removed: string[];
  failed: { name: string; error: Error }[];
}

/**
 * Netns pins (`<run-root>/netns/<pod>`) of pods that are gone altogether: only reachable by a bug
 * or a hand-removed pod directory, since a pod's directory goes last. Without the pod's state there
 * is no CNI configuration to run DEL with, so the namespace is only unpinned (which removes its
 * veth); its address lease stays, and is reported.
 */
async function unpinStrays(roots: Roots, o: CleanupOptions): Promise<void> {
  for (const pin of await listNetnsPins(roots.runRoot)) {
    const name = path.basename(pin);
    if (fs.existsSync(podLayout(roots, name).runDir)) continue;
    o.warn(`netns pin ${pin} has no pod "${name}": unpinning it (its address lease, if any, is not released)`);
    await unpinNetns(pin);
  }
}

/** Is this pod one that `gc` collects: its supervisor gone, and not a kept, torn-down pod? */
export function collectable(pod: PodEntry, now: number, dirMtimeMs: number): boolean {
  if (pod.condition === 'orphaned') return true;
  return pod.condition === 'creating' && now - dirMtimeMs > CREATING_GRACE_MS;
}

export async function gcPods(roots: Roots, o: CleanupOptions): Promise<GcResult> {
  const result: GcResult = { removed: [], failed: [] };
  for (const name of await listPodNames(roots)) {
    const pod = await readPod(roots, name);
    if (!pod || !collectable(pod, Date.now(), dirMtime(podLayout(roots, name).runDir))) continue;
    try {
      if (await removeLocked(roots, name, o)) result.removed.push(name);
    } catch (err) {
      result.failed.push({ name, error: err as Error });
    }
  }
  await unpinStrays(roots, o).catch((err) => result.failed.push({ name: 'netns pins', error: err as Error }));
  await freeStrayRanges(roots, o).catch((err) =>
    result.failed.push({ name: 'user-namespace ranges', error: err as Error }),
  );
  await removeStrayExitRecords(roots).catch((err) => result.failed.push({ name: 'exit records', error: err as Error }));
  return result;
}

/**
 * User-namespace ranges (state/userns-ranges.ts) claimed by pods that are gone: a pod removed by
 * hand, or a supervisor killed between claiming a range and saving it in the state. A pod whose
 * directory exists keeps its range (a pod being created may not have written its state yet).
 */
async function freeStrayRanges(roots: Roots, o: CleanupOptions): Promise<void> {
  const pods = new Map<string, string | undefined>();
  for (const name of await listPodNames(roots))
    pods.set(name, (await readState(roots, name).catch(() => undefined))?.uid);
  for (const hostId of freeStaleRanges(roots, aliveClaim(pods)))
    o.warn(`user-namespace range ${hostId}.. had no pod: freed`);
}

/**
 * Exit records (state/exits.ts) that no pod of the run root names: the exits of log monitors and
 * exec sessions of an orphaned pod, or of a pod removed by hand.
 */
async function removeStrayExitRecords(roots: Roots): Promise<void> {
  const named = new Set<string>();
  for (const name of await listPodNames(roots)) {
    const state = await readState(roots, name).catch(() => undefined);
    for (const ref of state ? recordedRefsOf(state) : []) named.add(`${ref.pid}-${ref.startTime}`);
  }
  removeExitRecordsExcept(hostLayout(roots).exitsDir, (ref) => named.has(`${ref.pid}-${ref.startTime}`));
}

function dirMtime(dir: string): number {
  try {
    return fs.statSync(dir).mtimeMs;
  } catch {
    return Date.now();
  }
}

/** Remove the pod under its lock; false when its lock is taken (a supervisor runs it again). */
async function removeLocked(roots: Roots, name: string, o: CleanupOptions, waitMs = 0): Promise<boolean> {
  const lock = await takeLock(roots, name, waitMs);
  if (lock === 'gone') return true;
  if (!lock) return false;
  try {
    // Read again under the lock: this is the state nobody changes any more.
    await removePod(roots, name, await readState(roots, name), o);
    return true;
  } finally {
    lock.release();
  }
}

/** The pod's lock; 'gone' when the pod's directory went away meanwhile (its supervisor removed it). */
async function takeLock(roots: Roots, name: string, waitMs: number): Promise<PodLock | undefined | 'gone'> {
  const until = Date.now() + waitMs;
  for (;;) {
    if (!fs.existsSync(podLayout(roots, name).runDir)) return 'gone';
    let lock: PodLock | undefined;
    try {
      lock = lockPod(roots, name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
      throw err;
    }
    if (lock || Date.now() >= until) return lock;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `tspod rm [-f]`: a running or orphaned pod needs `force` (then it is stopped at once, grace 0). */
export async function rmPod(roots: Roots, name: string, force: boolean, o: CleanupOptions): Promise<void> {
  const pod = await getPod(roots, name);
  if (!force && pod.condition === 'running')
    throw new Error(`pod "${name}" is running: stop it first ("tspod stop ${name}") or use "tspod rm -f ${name}"`);
  if (!force && pod.condition === 'orphaned') throw new Error(ORPHAN_HINT(name));
  if (!force && pod.condition === 'creating')
    throw new Error(`pod "${name}" is being created: use "tspod rm -f ${name}" to remove it anyway`);
  if (pod.condition === 'running')
    await stopPod(roots, name, 0).catch((err) => o.warn(`${(err as Error).message}; removing it anyway`));
  // The supervisor releases the lock as it exits, just after it answered the stop.
  if (!(await removeLocked(roots, name, o, 10_000))) throw new Error(`pod "${name}" is still held by its supervisor`);
}
