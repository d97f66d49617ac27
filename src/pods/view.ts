/**
 * How pods are shown: the Kubernetes `Pod` object that `tspod inspect` prints (and `ps --json`
 * lists), and the rows of `tspod ps` (NAME, PHASE, READY, RESTARTS, IP, AGE), as kubectl shows
 * them. Pure: given the recorded state and the time, the text.
 *
 * An orphaned pod (its supervisor is gone, see pods.ts) cannot vouch for its recorded status any
 * more; like a pod on a node that stopped reporting, its phase becomes `Unknown`, with the reason
 * `Orphaned`.
 */
import type { PodState, PodStatus } from '../state/types.js';
import type { PodCondition } from './pods.js';

export const ORPHANED_MESSAGE = 'the supervisor of this pod is gone; "tspod gc" removes what it left';

export interface PodObject {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: Record<string, unknown> & { name: string; uid: string; creationTimestamp: string };
  spec: PodState['pod']['spec'];
  status: PodStatus;
}

/** The pod as Kubernetes would show it: metadata with uid and creationTimestamp, the spec as run, the status. */
export function podObject(state: PodState, condition: PodCondition): PodObject {
  const status: PodStatus =
    condition === 'orphaned' ? { ...state.status, phase: 'Unknown', reason: 'Orphaned', message: ORPHANED_MESSAGE } : state.status;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...state.pod.metadata, name: state.name, uid: state.uid, creationTimestamp: creationTimestamp(state.createdAt) },
    spec: state.pod.spec,
    status,
  };
}

/** Kubernetes timestamps are RFC 3339 to the second. */
function creationTimestamp(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

export interface PsRow {
  name: string;
  phase: string;
  ready: string;
  restarts: string;
  ip: string;
  age: string;
}

export function psRow(state: PodState, condition: PodCondition, now: Date): PsRow {
  const apps = state.status.containerStatuses;
  // READY counts the ready containers (running, started, readiness probe passed), as kubectl does.
  const ready = condition === 'orphaned' ? 0 : apps.filter((s) => s.ready).length;
  const restarts = [...state.status.initContainerStatuses, ...apps].reduce((n, s) => n + s.restartCount, 0);
  return {
    name: state.name,
    phase: condition === 'orphaned' ? 'Orphaned' : state.status.phase,
    ready: `${ready}/${apps.length}`,
    restarts: String(restarts),
    ip: state.status.podIP ?? '-',
    age: humanAge(new Date(state.createdAt), now),
  };
}

/** The table of `tspod ps`, columns padded to their widest cell, as kubectl prints them. */
export function formatPsTable(rows: PsRow[]): string {
  const cells = [['NAME', 'PHASE', 'READY', 'RESTARTS', 'IP', 'AGE'], ...rows.map((r) => [r.name, r.phase, r.ready, r.restarts, r.ip, r.age])];
  const widths = cells[0].map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  return cells.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] + 3))).join('')).join('\n') + '\n';
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
