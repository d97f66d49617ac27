/**
 * The pod's status in Kubernetes terms (PodStatus), computed from what happened to its containers.
 * Pure: the supervisor reports events, these functions say what the status becomes.
 *
 * Phases: Pending until every app container has started once; Running while any runs or will be
 * restarted; Succeeded when all ended with 0 and none will restart; Failed when all ended, at least
 * one failed, and none will restart.
 */
import type { Container, Pod } from '../manifest/types.js';
import type { ContainerState, ContainerStatus, PodCondition, PodStatus } from '../state/types.js';

const now = () => new Date().toISOString();

function containerStatus(c: Container, reason: string, imageID: string): ContainerStatus {
  return {
    name: c.name, state: { waiting: { reason } }, lastState: {}, ready: false, started: false,
    restartCount: 0, image: c.image, imageID,
  };
}

export function initialStatus(pod: Pod, imageIds: Record<string, string>, hostIP: string): PodStatus {
  const t = now();
  const initializing = pod.spec.initContainers.length > 0;
  return {
    phase: 'Pending',
    hostIP,
    startTime: t,
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: t },
      { type: 'Initialized', status: initializing ? 'False' : 'True', lastTransitionTime: t },
      { type: 'ContainersReady', status: 'False', lastTransitionTime: t },
      { type: 'Ready', status: 'False', lastTransitionTime: t },
    ],
    initContainerStatuses: pod.spec.initContainers.map((c) => containerStatus(c, 'PodInitializing', imageIds[c.name] ?? '')),
    containerStatuses: pod.spec.containers.map((c) => containerStatus(c, initializing ? 'PodInitializing' : 'ContainerCreating', imageIds[c.name] ?? '')),
  };
}

export function findStatus(status: PodStatus, name: string): ContainerStatus {
  const s = [...status.initContainerStatuses, ...status.containerStatuses].find((x) => x.name === name);
  if (!s) throw new Error(`no status for container "${name}"`);
  return s;
}

export interface Exit {
  code: number | null;
  signal: number | null;
}

/** Kubernetes' exit code for a signal is 128+N; the reason says why it ended. */
export function terminatedState(exit: Exit, o: { startedAt?: string; oom?: boolean; cannotRun?: string; message?: string; containerID?: string }): ContainerState {
  const exitCode = exit.code ?? 128 + (exit.signal ?? 0);
  const reason = o.cannotRun ? 'ContainerCannotRun' : o.oom ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
  return {
    terminated: {
      exitCode,
      ...(exit.signal ? { signal: exit.signal } : {}),
      reason,
      ...(o.cannotRun ?? o.message ? { message: o.cannotRun ?? o.message } : {}),
      ...(o.startedAt ? { startedAt: o.startedAt } : {}),
      finishedAt: now(),
      ...(o.containerID ? { containerID: o.containerID } : {}),
    },
  };
}

export function exitCodeOf(s: ContainerStatus): number | undefined {
  return 'terminated' in s.state ? s.state.terminated.exitCode : undefined;
}

function setCondition(status: PodStatus, type: PodCondition['type'], value: boolean): void {
  const c = status.conditions.find((x) => x.type === type);
  const v = value ? 'True' : 'False';
  if (c && c.status !== v) {
    c.status = v;
    c.lastTransitionTime = now();
  }
}

/** Recompute phase and conditions. `pendingRestart` names containers waiting to be started again. */
export function updatePhase(status: PodStatus, pendingRestart: Set<string>, initDone: boolean): void {
  const apps = status.containerStatuses;
  const running = apps.filter((s) => 'running' in s.state);
  const ended = apps.filter((s) => 'terminated' in s.state && !pendingRestart.has(s.name));
  setCondition(status, 'Initialized', initDone);
  const allReady = apps.length > 0 && running.length === apps.length;
  for (const s of apps) s.ready = 'running' in s.state;
  setCondition(status, 'ContainersReady', allReady);
  setCondition(status, 'Ready', allReady);
  if (status.phase === 'Failed' && status.reason) return; // a decided failure (deadline) stays
  if (ended.length === apps.length) {
    status.phase = ended.every((s) => exitCodeOf(s) === 0) ? 'Succeeded' : 'Failed';
  } else if (apps.every((s) => s.started || s.restartCount > 0)) {
    status.phase = 'Running';
  } else {
    status.phase = 'Pending';
  }
}

/**
 * The exit status of a foreground `tspod run` (CLI.md): 128+N when the pod was stopped by signal N;
 * else the exit code of the first failed init or app container in manifest order; else 0.
 */
export function runExitStatus(status: PodStatus, stoppedBySignal?: number): number {
  if (stoppedBySignal) return 128 + stoppedBySignal;
  for (const s of [...status.initContainerStatuses, ...status.containerStatuses]) {
    const code = exitCodeOf(s);
    if (code !== undefined && code !== 0) return code;
  }
  return 0;
}
