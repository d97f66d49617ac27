/**
 * The pod as Kubernetes shows it: the `Pod` object that `tspod inspect` and `tspod ps -o json|yaml`
 * print, from the recorded state. Pure: given the state, the object.
 *
 * The object is written as the API server serialises one, so that tools reading kubectl's output
 * read tspod's: times are RFC 3339 to the second (metav1.Time has no fraction); empty lists are
 * left out (Go's `omitempty`), empty objects such as `lastState: {}` stay; `started` is true only
 * for a running container (the kubelet reports it false once a container terminated, and during its
 * back-off); a pod being stopped carries `metadata.deletionTimestamp` (the time its grace period
 * ends) and `deletionGracePeriodSeconds`, as a pod being deleted does.
 *
 * An orphaned pod (its supervisor is gone, see pods.ts) cannot vouch for its recorded status any
 * more; like a pod on a node that stopped reporting, its phase becomes `Unknown`, with the reason
 * `Orphaned`.
 */
import type { ContainerStatus, PodState, PodStatus } from '../state/types.js';
import type { PodCondition } from './pods.js';

export const ORPHANED_MESSAGE = 'the supervisor of this pod is gone; "tspod gc" removes what it left';

export interface PodObject {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: Record<string, unknown> & {
    name: string;
    uid: string;
    creationTimestamp: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
  };
  spec: PodState['pod']['spec'];
  status: PodStatus;
}

/** The pod as Kubernetes would show it: metadata with uid and creationTimestamp, the spec as run, the status. */
export function podObject(state: PodState, condition: PodCondition): PodObject {
  const recorded: PodStatus =
    condition === 'orphaned'
      ? { ...state.status, phase: 'Unknown', reason: 'Orphaned', message: ORPHANED_MESSAGE }
      : state.status;
  const deletion = state.deletion
    ? {
        deletionTimestamp: toSeconds(state.deletion.timestamp),
        deletionGracePeriodSeconds: state.deletion.gracePeriodSeconds,
      }
    : {};
  return omitEmptyLists({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...state.pod.metadata,
      name: state.name,
      uid: state.uid,
      creationTimestamp: toSeconds(state.createdAt),
      ...deletion,
    },
    spec: state.pod.spec,
    status: kubeStatus(recorded),
  });
}

/** `2026-12-02T00:38:35.310Z` → `2026-12-02T00:38:35Z`: metav1.Time is RFC 3339 to the second. */
export function toSeconds(time: string): string {
  return time.replace(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.\d+Z$/, '$1Z');
}

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/;

/** Every time in a status (startTime, lastTransitionTime, startedAt, finishedAt) to the second. */
function timesToSeconds<T>(v: T): T {
  if (typeof v === 'string') return (TIME.test(v) ? toSeconds(v) : v) as T;
  if (Array.isArray(v)) return v.map(timesToSeconds) as T;
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, timesToSeconds(x)])) as T;
  return v;
}

/** A container is `started` only while it runs (and its startup probe, if any, passed). */
function containerStatus(s: ContainerStatus): ContainerStatus {
  return { ...s, started: s.started && 'running' in s.state };
}

export function kubeStatus(status: PodStatus): PodStatus {
  return timesToSeconds({
    ...status,
    initContainerStatuses: status.initContainerStatuses.map(containerStatus),
    containerStatuses: status.containerStatuses.map(containerStatus),
  });
}

/** Go's `omitempty` on slices: an empty list is left out, at any depth. */
export function omitEmptyLists<T>(v: T): T {
  if (Array.isArray(v)) return v.map(omitEmptyLists) as T;
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => !(Array.isArray(x) && x.length === 0))
        .map(([k, x]) => [k, omitEmptyLists(x)]),
    ) as T;
  }
  return v;
}

/**
 * An age in kubectl's short style: `42s`, `3m12s` (under 10 minutes), `25m`, `2h5m` (under 8
 * hours), `17h`, `3d4h` (under 8 days), `12d`, `2y45d`: two units while the smaller still matters.
 */
export function humanAge(then: Date, now: Date): string {
  const s = Math.floor((now.getTime() - then.getTime()) / 1000);
  if (Number.isNaN(s)) return '<unknown>';
  if (s < 0) return '0s';
  const m = Math.floor(s / 60);
  const h = Math.floor(s / 3600);
  const d = Math.floor(s / 86400);
  if (s < 120) return `${s}s`;
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (h < 3) return `${m}m`;
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  return y >= 8 || d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
}
