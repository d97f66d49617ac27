/**
 * The pod's status in Kubernetes terms (PodStatus), computed from what happened to its containers.
 * Pure: the supervisor reports events, these functions say what the status becomes.
 *
 * Phases: Pending until every app container has started once; Running while any runs or will be
 * restarted (or a sidecar still runs); Succeeded when all ended with 0 and none will restart;
 * Failed when all ended, at least one failed, and none will restart.
 */
import { createHash } from 'node:crypto';
import type { Container, Pod } from '../manifest/types.js';
import { qosClass } from './qos.js';
import type { ContainerState, ContainerStatus, PodCondition, PodStatus } from '../state/types.js';

const now = () => new Date().toISOString();

function containerStatus(c: Container, reason: string, imageID: string): ContainerStatus {
  return {
    name: c.name,
    state: { waiting: { reason } },
    lastState: {},
    ready: false,
    started: false,
    restartCount: 0,
    image: c.image,
    imageID,
  };
}

export function initialStatus(pod: Pod, imageIds: Record<string, string>, hostIP: string): PodStatus {
  const t = now();
  const initializing = pod.spec.initContainers.length > 0;
  const status: PodStatus = {
    phase: 'Pending',
    hostIP,
    startTime: t,
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: t },
      { type: 'Initialized', status: initializing ? 'False' : 'True', lastTransitionTime: t },
      { type: 'ContainersReady', status: 'False', lastTransitionTime: t },
      { type: 'Ready', status: 'False', lastTransitionTime: t },
    ],
    qosClass: qosClass(pod),
    initContainerStatuses: pod.spec.initContainers.map((c) =>
      containerStatus(c, 'PodInitializing', imageIds[c.name] ?? ''),
    ),
    containerStatuses: pod.spec.containers.map((c) =>
      containerStatus(c, initializing ? 'PodInitializing' : 'ContainerCreating', imageIds[c.name] ?? ''),
    ),
  };
  updatePhase(status, new Set(), !initializing);
  return status;
}

/**
 * A container instance's `containerID`, `<runtime>://<id>` as the kubelet writes it: the id is 64
 * hex digits, as containerd's and CRI-O's are (never a path), derived from the pod's uid, the
 * container's name and its instance number, so each restart has its own.
 */
export function containerID(podUid: string, container: string, instance: number): string {
  return `tspod://${createHash('sha256').update(`${podUid}/${container}/${instance}`).digest('hex')}`;
}

export function findStatus(status: PodStatus, name: string): ContainerStatus {
  const s = [...status.initContainerStatuses, ...status.containerStatuses].find((x) => x.name === name);
  if (!s) throw new Error(`no status for container "${name}"`);
  return s;
}

export interface Exit {
  code: number | null;
  signal: number | null;
  /** when it ended, if not now (an exit recorded while no supervisor lived: state/exits.ts) */
  finishedAt?: string;
  /** how it ended is unknown (reaped unrecorded): the kubelet's ContainerStatusUnknown, exit code 137 */
  lost?: boolean;
}

/** The kubelet's words for a container whose end nobody saw (kubelet_pods.go). */
export const LOST_MESSAGE = 'The container could not be located when the pod was terminated';

/** Kubernetes' exit code for a signal is 128+N; the reason says why it ended. */
export function terminatedState(
  exit: Exit,
  o: { startedAt?: string; oom?: boolean; cannotRun?: string; message?: string; containerID?: string },
): ContainerState {
  const exitCode = exit.lost ? 137 : (exit.code ?? 128 + (exit.signal ?? 0));
  const reason = o.cannotRun
    ? 'ContainerCannotRun'
    : exit.lost
      ? 'ContainerStatusUnknown'
      : o.oom
        ? 'OOMKilled'
        : exitCode === 0
          ? 'Completed'
          : 'Error';
  const message = o.cannotRun ?? (exit.lost ? LOST_MESSAGE : o.message);
  return {
    terminated: {
      exitCode,
      ...(exit.signal ? { signal: exit.signal } : {}),
      reason,
      ...(message ? { message } : {}),
      ...(o.startedAt ? { startedAt: o.startedAt } : {}),
      finishedAt: exit.finishedAt ?? now(),
      ...(o.containerID ? { containerID: o.containerID } : {}),
    },
  };
}

export function exitCodeOf(s: ContainerStatus): number | undefined {
  return 'terminated' in s.state ? s.state.terminated.exitCode : undefined;
}

function setCondition(
  status: PodStatus,
  type: PodCondition['type'],
  value: boolean,
  why?: { reason: string; message?: string },
): void {
  const c = status.conditions.find((x) => x.type === type);
  if (!c) return;
  const v = value ? 'True' : 'False';
  if (c.status !== v) {
    c.status = v;
    c.lastTransitionTime = now();
  }
  delete c.reason;
  delete c.message;
  if (why) Object.assign(c, why);
}

/** The kubelet's `[a b]`: names in a Go slice's %v form. */
const list = (names: string[]) => `[${names.join(' ')}]`;

/**
 * Recompute phase, conditions and each container's `ready`. `pendingRestart` names containers
 * waiting to be started again; `ready(name)` says whether a running container is ready (started,
 * and its readiness probe, if any, succeeded); without it, running is ready.
 */
export function updatePhase(
  status: PodStatus,
  pendingRestart: Set<string>,
  initDone: boolean,
  ready: (name: string) => boolean = () => true,
  sidecars: ReadonlySet<string> = new Set(),
): void {
  const apps = status.containerStatuses;
  const side = status.initContainerStatuses.filter((s) => sidecars.has(s.name));
  const regularInit = status.initContainerStatuses.filter((s) => !sidecars.has(s.name));
  // As the kubelet's getPhase: a container waiting after it ran (its lastState is terminated)
  // counts as stopped, with that exit code, unless it will be started again.
  const ended = apps.filter((s) => lastExitCode(s) !== undefined && !pendingRestart.has(s.name));
  // A finished init container (exit 0) is ready; one that is still to run, or failed, is not.
  for (const s of regularInit) s.ready = exitCodeOf(s) === 0;
  for (const s of [...side, ...apps]) s.ready = 'running' in s.state && ready(s.name);
  decidePhase(
    status,
    apps,
    ended,
    side.some((s) => 'running' in s.state),
  );
  const succeeded = status.phase === 'Succeeded';
  const incomplete = status.initContainerStatuses
    .filter((s) => (sidecars.has(s.name) ? !s.started : exitCodeOf(s) !== 0))
    .map((s) => s.name);
  setCondition(
    status,
    'Initialized',
    initDone || succeeded,
    succeeded
      ? { reason: 'PodCompleted' }
      : initDone
        ? undefined
        : { reason: 'ContainersNotInitialized', message: `containers with incomplete status: ${list(incomplete)}` },
  );
  // The kubelet lists unready sidecars first (init containers, then app containers).
  const unready = [...side, ...apps].filter((s) => !s.ready).map((s) => s.name);
  const why = succeeded
    ? { reason: 'PodCompleted' }
    : unready.length > 0
      ? { reason: 'ContainersNotReady', message: `containers with unready status: ${list(unready)}` }
      : undefined;
  setCondition(status, 'ContainersReady', unready.length === 0 && apps.length > 0, why);
  setCondition(status, 'Ready', unready.length === 0 && apps.length > 0, why);
}

/** The exit code of the container's current termination, or of its last one while it waits to be started again. */
function lastExitCode(s: ContainerStatus): number | undefined {
  if ('terminated' in s.state) return s.state.terminated.exitCode;
  return 'waiting' in s.state && 'terminated' in s.lastState ? s.lastState.terminated.exitCode : undefined;
}

/**
 * The kubelet's getPhase, for what tspod can know: a sidecar's exit never decides the phase, but a
 * running one keeps a pod whose app containers all ended `Running` until it is stopped.
 */
function decidePhase(
  status: PodStatus,
  apps: ContainerStatus[],
  ended: ContainerStatus[],
  sidecarRunning: boolean,
): void {
  if (status.phase === 'Failed' && status.reason) return; // a decided failure (deadline) stays
  if (ended.length === apps.length && !sidecarRunning) {
    status.phase = ended.every((s) => lastExitCode(s) === 0) ? 'Succeeded' : 'Failed';
  } else if (apps.every((s) => !('waiting' in s.state) || s.restartCount > 0 || 'terminated' in s.lastState)) {
    status.phase = 'Running';
  } else {
    status.phase = 'Pending';
  }
}

/**
 * The exit status of a foreground `tspod run` (CLI.md): 128+N when the pod was stopped by signal N;
 * else the exit code of the first failed init or app container in manifest order; else 0.
 */
export function runExitStatus(
  status: PodStatus,
  stoppedBySignal?: number,
  sidecars: ReadonlySet<string> = new Set(),
): number {
  if (stoppedBySignal) return 128 + stoppedBySignal;
  // A sidecar is stopped when the app containers are done: how it ended says nothing of the pod.
  for (const s of [...status.initContainerStatuses.filter((x) => !sidecars.has(x.name)), ...status.containerStatuses]) {
    const code = exitCodeOf(s);
    if (code !== undefined && code !== 0) return code;
  }
  return 0;
}
