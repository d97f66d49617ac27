/**
 * Events: what happened to a pod, in the words the kubelet uses (`Scheduled`, `Pulled`, `Created`,
 * `Started`, `Killing`, `Unhealthy`, `BackOff`, `FailedPostStartHook`...), as `kubectl describe
 * pod` shows them.
 *
 * An event names its object (the pod, or one container of it through a `fieldPath` such as
 * `spec.containers{web}`), a type (`Normal` or `Warning`), a reason and a message. The kubelet's
 * event correlator folds a repeat of the same object, type, reason and message into the event
 * already recorded: its `count` grows and its `lastTimestamp` moves, its `firstTimestamp` stays.
 * That is what keeps a probe failing every ten seconds from flooding the list.
 *
 * The events live with the pod, in its state (`state.events`); the supervisor is their one writer.
 * Pure: these functions change the list they are given and return nothing else.
 */
import type { PodEvent } from '../state/types.js';

/** How many distinct events a pod keeps; the oldest go first (the API server expires them too). */
export const MAX_EVENTS = 200;

export interface EventInput {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** the container the event is about, if not the pod itself */
  container?: { name: string; init: boolean };
  /** `kubelet` unless said otherwise (`Scheduled` comes from `default-scheduler`) */
  component?: string;
}

/** The reference Kubernetes gives to a container of a pod. */
export function fieldPathOf(c: { name: string; init: boolean }): string {
  return `${c.init ? 'spec.initContainers' : 'spec.containers'}{${c.name}}`;
}

/** Record `e` at time `now` (RFC 3339 to the second), folding it into an identical earlier one. */
export function recordEvent(events: PodEvent[], e: EventInput, now = new Date()): PodEvent {
  const t = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const fieldPath = e.container ? fieldPathOf(e.container) : undefined;
  const component = e.component ?? 'kubelet';
  const same = events.find(
    (x) =>
      x.type === e.type &&
      x.reason === e.reason &&
      x.message === e.message &&
      x.involvedObject.fieldPath === fieldPath &&
      x.source.component === component,
  );
  if (same) {
    same.count += 1;
    same.lastTimestamp = t;
    // The most recent last: the list stays in the order of last occurrence, as kubectl sorts it.
    events.splice(events.indexOf(same), 1);
    events.push(same);
    return same;
  }
  const ev: PodEvent = {
    type: e.type,
    reason: e.reason,
    message: e.message,
    involvedObject: { kind: 'Pod', ...(fieldPath ? { fieldPath } : {}) },
    source: { component },
    count: 1,
    firstTimestamp: t,
    lastTimestamp: t,
  };
  events.push(ev);
  if (events.length > MAX_EVENTS) events.splice(0, events.length - MAX_EVENTS);
  return ev;
}

/** Record an event in the pod's state (the caller saves the state). */
export function recordPodEvent(state: { events?: PodEvent[] }, e: EventInput, now = new Date()): PodEvent {
  state.events ??= [];
  return recordEvent(state.events, e, now);
}

/** The kubelet's name for a pod in messages (`format.Pod`): `name_namespace(uid)`. */
export function podRef(state: { name: string; uid: string; pod: { metadata: { namespace: string } } }): string {
  return `${state.name}_${state.pod.metadata.namespace}(${state.uid})`;
}
