/**
 * The pods on this host, as the commands that look at them (`ps`, `inspect`, `ns`, `logs`, `exec`,
 * `stop`, `rm`, `gc`) see them: each pod's recorded state, plus the one fact the state cannot hold
 * about itself, whether its supervisor is still alive.
 *
 * The supervisor holds the flock of the pod's lock file for its whole life and the kernel drops it
 * when the process dies, however it dies. So a pod whose lock is free and that was not torn down
 * was *orphaned*: its supervisor was killed (SIGKILL, OOM, a crash) and its processes, mounts,
 * cgroups and network may still be there, unsupervised, until `tspod gc` removes them.
 */
import fs from 'node:fs';
import type { Roots } from '../paths.js';
import { hostLayout, podLayout } from '../layout.js';
import { checkPodName } from './pod-name.js';
import { isAlive, isSupervised, listPodNames, readState } from '../state/store.js';
import { readExitRecord } from '../state/exits.js';
import type { PodState, ProcessRef } from '../state/types.js';
import { nth } from '../checked.js';

/**
 * running: supervised; terminated: ended and kept; orphaned: supervisor gone, not cleaned up; creating: no state
 * yet.
 */

export type PodCondition = 'running' | 'terminated' | 'orphaned' | 'creating';

export interface PodEntry {
  name: string;
  /** absent while a `run` is creating the pod (or after it crashed before writing any) */
  state?: PodState;
  supervised: boolean;
  condition: PodCondition;
}

export class NoSuchPodError extends Error {
  constructor(name: string) {
    super(`pod "${name}" not found (see "tspod ps -a")`);
  }
}

export function conditionOf(state: PodState | undefined, supervised: boolean): PodCondition {
  if (supervised) return 'running';
  if (!state) return 'creating';
  return state.tornDown ? 'terminated' : 'orphaned';
}

/** One pod, or undefined when it has no directory under the run root. */
export async function readPod(roots: Roots, name: string): Promise<PodEntry | undefined> {
  checkPodName(name);
  // Only "no such directory" means no such pod: EACCES (a caller who is not root) is an error.
  if (!fs.statSync(podLayout(roots, name).runDir, { throwIfNoEntry: false })) return undefined;
  // The lock first: a supervisor that ends between the two reads then shows as running, never as
  // orphaned with a stale state.
  const supervised = isSupervised(roots, name);
  const state = await readState(roots, name);
  const condition = conditionOf(state, supervised);
  if (state && condition === 'orphaned') withRecordedExits(state, hostLayout(roots).exitsDir);
  return { name, state, supervised, condition };
}

/**
 * An orphaned pod's containers that ended after its supervisor died: their recorded state still
 * says running, but the run root's monitor wrote how they ended (state/exits.ts). Shown terminated,
 * with the exit code, signal and time of that record, as the kubelet would have recorded them.
 */
export function withRecordedExits(state: PodState, exitsDir: string): void {
  for (const s of [...state.status.initContainerStatuses, ...state.status.containerStatuses]) {
    const ref = state.containers[s.name]?.process;
    if (!ref || !('running' in s.state)) continue;
    const exit = readExitRecord(exitsDir, ref);
    if (!exit) continue;
    const exitCode = exit.code ?? 128 + (exit.signal ?? 0);
    s.state = {
      terminated: {
        exitCode,
        ...(exit.signal ? { signal: exit.signal } : {}),
        reason: exitCode === 0 ? 'Completed' : 'Error',
        startedAt: s.state.running.startedAt,
        finishedAt: exit.finishedAt.replace(/\.(\d{3})\d*Z$/, '.$1Z'),
        ...(s.containerID ? { containerID: s.containerID } : {}),
      },
    };
    s.ready = false;
    s.started = false;
  }
}

export async function getPod(roots: Roots, name: string): Promise<PodEntry> {
  const pod = await readPod(roots, name);
  if (!pod) throw new NoSuchPodError(name);
  return pod;
}

export async function listPods(roots: Roots): Promise<PodEntry[]> {
  const pods: PodEntry[] = [];
  for (const name of await listPodNames(roots)) {
    const pod = await readPod(roots, name);
    if (pod) pods.push(pod);
  }
  return pods;
}

/** A pod's state, or an error naming why there is none to show. */
export function stateOf(pod: PodEntry): PodState {
  if (!pod.state) throw new Error(`pod "${pod.name}" is being created (it has no state yet)`);
  return pod.state;
}

/** The running main process of a container, verified by its start time (a pid may be reused). */
export function runningProcess(state: PodState, container: string): ProcessRef | undefined {
  const p = state.containers[container]?.process;
  return p && isAlive(p) ? p : undefined;
}

/** Containers in manifest order: init containers, then app containers. */
export function containerNames(state: PodState, which: 'all' | 'app' = 'all'): string[] {
  const apps = state.pod.spec.containers.map((c) => c.name);
  return which === 'app' ? apps : [...state.pod.spec.initContainers.map((c) => c.name), ...apps];
}

/** `-c NAME`, checked against the pod; without it, the first app container. */
export function pickContainer(state: PodState, name: string | undefined): string {
  if (name === undefined) return nth(state.pod.spec.containers, 0).name; // validation requires one
  if (!containerNames(state).includes(name)) {
    throw new Error(`container "${name}" is not in pod "${state.name}" (it has ${containerNames(state).join(', ')})`);
  }
  return name;
}
