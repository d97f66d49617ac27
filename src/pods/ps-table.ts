/**
 * The table of `tspod ps`, as `kubectl get pods` prints it: NAME, READY, STATUS, RESTARTS, AGE,
 * and with `-o wide` also IP, NODE, NOMINATED NODE, READINESS GATES. Pure: from the Pod object
 * (view.ts) and the time.
 *
 * STATUS follows kubectl's printer (printPod in pkg/printers/internalversion): the phase, or the
 * pod's reason; then the first init container that has not completed says `Init:N/M`,
 * `Init:<waiting reason>` (`Init:CrashLoopBackOff`) or `Init:<terminated reason>` (`Init:Error`);
 * once initialized, the app containers, last to first, say their waiting reason
 * (`ContainerCreating`, `PodInitializing`, `CrashLoopBackOff`) or terminated reason (`Completed`,
 * `Error`, `OOMKilled`), the first container's word winning; `Completed` with a container still
 * running reads `Running` (or `NotReady` when the pod is not Ready). A pod being stopped that has
 * not ended reads `Terminating`. tspod adds one word: `Orphaned`, for a pod whose supervisor is gone.
 *
 * READY counts the ready app containers (and started sidecars); RESTARTS sums the restarts, with
 * how long ago the last one ended (`3 (42s ago)`).
 */
import type { ContainerStatus } from '../state/types.js';
import { humanAge, type PodObject } from './view.js';
import { padColumns } from '../table.js';

export interface PsRow {
  name: string;
  ready: string;
  status: string;
  restarts: string;
  age: string;
  ip: string;
  node: string;
  nominatedNode: string;
  readinessGates: string;
}

type Statuses = ContainerStatus[] | undefined;

const terminatedOf = (s: ContainerStatus) => ('terminated' in s.state ? s.state.terminated : undefined);
const waitingOf = (s: ContainerStatus) => ('waiting' in s.state ? s.state.waiting : undefined);
const lastFinished = (s: ContainerStatus) =>
  'terminated' in s.lastState ? s.lastState.terminated.finishedAt : undefined;

/** A sidecar: an init container with `restartPolicy: Always`. */
function sidecars(pod: PodObject): Set<string> {
  const inits = (pod.spec.initContainers ?? []) as { name: string; restartPolicy?: string }[];
  return new Set(inits.filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
}

function isTrue(pod: PodObject, type: string): boolean {
  return (pod.status.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** kubectl's STATUS, READY and RESTARTS of a pod. */
export function podStatusColumns(
  pod: PodObject,
  orphaned: boolean,
  now: Date,
): { ready: string; status: string; restarts: string } {
  const restartable = sidecars(pod);
  const total = (pod.spec.containers ?? []).length + restartable.size;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let last: string | undefined;
  let sidecarLast: string | undefined;
  const later = (a: string | undefined, b: string | undefined) =>
    b !== undefined && (a === undefined || b > a) ? b : a;
  let reason: string = pod.status.reason || pod.status.phase;

  let initializing = false;
  const inits: Statuses = pod.status.initContainerStatuses;
  for (const [i, c] of (inits ?? []).entries()) {
    restarts += c.restartCount;
    last = later(last, lastFinished(c));
    if (restartable.has(c.name)) {
      sidecarRestarts += c.restartCount;
      sidecarLast = later(sidecarLast, lastFinished(c));
    }
    const t = terminatedOf(c);
    const w = waitingOf(c);
    if (t && t.exitCode === 0) continue;
    if (restartable.has(c.name) && c.started) {
      if (c.ready) ready++;
      continue;
    }
    if (t)
      reason = t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
    else if (w && w.reason && w.reason !== 'PodInitializing') reason = `Init:${w.reason}`;
    else reason = `Init:${i}/${(pod.spec.initContainers ?? []).length}`;
    initializing = true;
    break;
  }

  if (!initializing || isTrue(pod, 'Initialized')) {
    restarts = sidecarRestarts;
    last = sidecarLast;
    let hasRunning = false;
    const apps: ContainerStatus[] = pod.status.containerStatuses ?? [];
    for (const c of [...apps].reverse()) {
      restarts += c.restartCount;
      last = later(last, lastFinished(c));
      const t = terminatedOf(c);
      const w = waitingOf(c);
      if (w && w.reason) reason = w.reason;
      else if (t && t.reason) reason = t.reason;
      else if (t) reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
      else if (c.ready && 'running' in c.state) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = isTrue(pod, 'Ready') ? 'Running' : 'NotReady';
  }

  const terminal = pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed';
  if (pod.metadata.deletionTimestamp && !terminal) reason = 'Terminating';
  if (orphaned) {
    // Nobody vouches for the containers any more: none is counted ready.
    reason = 'Orphaned';
    ready = 0;
  }
  const restartText = restarts !== 0 && last ? `${restarts} (${humanAge(new Date(last), now)} ago)` : String(restarts);
  return { ready: `${ready}/${total}`, status: reason, restarts: restartText };
}

export function psRow(pod: PodObject, orphaned: boolean, now: Date, node: string): PsRow {
  const gates = (pod.spec as { readinessGates?: { conditionType: string }[] }).readinessGates ?? [];
  const trueGates = gates.filter((g) => isTrue(pod, g.conditionType)).length;
  return {
    name: pod.metadata.name,
    ...podStatusColumns(pod, orphaned, now),
    age: humanAge(new Date(pod.metadata.creationTimestamp), now),
    ip: pod.status.podIPs?.[0]?.ip || pod.status.podIP || '<none>',
    node: (pod.spec as { nodeName?: string }).nodeName || node || '<none>',
    nominatedNode: '<none>',
    readinessGates: gates.length > 0 ? `${trueGates}/${gates.length}` : '<none>',
  };
}

/** Columns padded to their widest cell plus three spaces, as kubectl's tabwriter does. */
export function formatTable(header: string[] | undefined, rows: string[][]): string {
  const all = header ? [header, ...rows] : rows;
  if (all.length === 0) return '';
  return padColumns(all, 3).join('\n') + '\n';
}

export const PS_HEADER = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'];
export const PS_WIDE_HEADER = [...PS_HEADER, 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'];

export function psCells(r: PsRow, wide: boolean): string[] {
  const cells = [r.name, r.ready, r.status, r.restarts, r.age];
  return wide ? [...cells, r.ip, r.node, r.nominatedNode, r.readinessGates] : cells;
}
