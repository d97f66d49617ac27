/**
 * Helpers for the lifecycle integration tests: roots with a short restart back-off, the pod's
 * recorded state and Pod object, and a stronger "nothing is left" check: the processes the pod
 * recorded are gone (by pid and start time), nothing is mounted under the roots, no cgroup of the
 * pod, no pod directory, no netns pin.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { PodState, ProcessRef } from '../../src/state/types.js';
import { expectClean, newRoots, processesWith, tspod, waitFor, type TestRoots } from './helpers.js';

export const BACKOFF_MS = 300;

/** Roots for one test file, with the restart back-off base lowered to BACKOFF_MS. */
export function lifecycleRoots(tag: string): TestRoots {
  const roots = newRoots(`lc-${tag}`);
  roots.env.TSPOD_BACKOFF_BASE_MS = String(BACKOFF_MS);
  return roots;
}

export const busybox = (name: string, script: string, extra: object = {}) => ({
  name,
  image: 'busybox',
  command: ['sh', '-c', script],
  ...extra,
});

export function readState(roots: TestRoots, name: string): PodState {
  return JSON.parse(fs.readFileSync(path.join(roots.runRoot, 'pods', name, 'state.json'), 'utf8')) as PodState;
}

/** `tspod inspect NAME`, parsed. */
export async function inspect(roots: TestRoots, name: string): Promise<any> {
  const res = await tspod(roots, ['inspect', name]);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout);
}

export function statusOf(pod: any, container: string): any {
  // Kubernetes leaves an empty list out: a pod without init containers has no initContainerStatuses.
  return [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])].find(
    (s: { name: string }) => s.name === container,
  );
}

/** Every process the state records: infra, supervisor, container main processes. */
export function recordedProcesses(state: PodState): ProcessRef[] {
  const containers = Object.values(state.containers)
    .map((c) => c.process)
    .filter((p): p is ProcessRef => !!p);
  return [state.supervisor, ...(state.infra ? [state.infra] : []), ...containers];
}

/** Is that very process (pid and start time) still there, and not a zombie? */
export function alive(ref: ProcessRef): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${ref.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[19]) === ref.startTime && fields[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The inode text of /proc/<pid>/ns/<kind>, e.g. "mnt:[4026532251]". */
export function nsLink(pid: number | 'self', kind: string): string {
  return fs.readlinkSync(`/proc/${pid}/ns/${kind}`);
}

/** Nothing of these pods is left: recorded processes, mounts, cgroups, directories, netns pins. */
export async function expectNothingLeft(roots: TestRoots, states: PodState[]): Promise<void> {
  // The one supervisor of the run root's detached pods leaves a moment after its last pod is gone.
  const podsDir = path.join(roots.runRoot, 'pods');
  const lastPod = !fs.existsSync(podsDir) || fs.readdirSync(podsDir).length === 0;
  for (const s of states) {
    const own = lastPod ? recordedProcesses(s) : recordedProcesses(s).filter((p) => p !== s.supervisor);
    await waitFor(`the processes of pod "${s.name}" to be gone`, () => !own.some(alive) || undefined, 10_000);
    // (its log monitors too: each exits once its container's pipes closed)
    const monitors = `tspod-monitor log ${path.join(roots.root, 'pods', s.name)}/`;
    await waitFor(
      `the log monitors of pod "${s.name}" to be gone`,
      () => processesWith(monitors).length === 0 || undefined,
      10_000,
    );
  }
  expectClean(
    roots,
    states.map((s) => s.uid),
  );
  const pins = path.join(roots.runRoot, 'netns');
  expect(fs.existsSync(pins) ? fs.readdirSync(pins) : []).toEqual([]);
}

/** Remove whatever a failed test left (so the next one starts clean), quietly. */
export async function removeAll(roots: TestRoots): Promise<void> {
  const dir = path.join(roots.runRoot, 'pods');
  const names = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  if (names.length > 0) await tspod(roots, ['rm', '-f', ...names]);
  await tspod(roots, ['gc']);
}
