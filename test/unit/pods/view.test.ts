import { describe, expect, test } from 'vitest';
import { formatPsTable, humanAge, podObject, psRow } from '../../../src/pods/view.js';
import { conditionOf } from '../../../src/pods/pods.js';
import type { PodState } from '../../../src/state/types.js';
import { sampleState } from './fixtures.js';

const at = (s: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + s * 1000);
const t0 = at(0);

describe('ages, as kubectl prints them', () => {
  test.each([
    [0, '0s'], [59, '59s'], [119, '119s'], [120, '2m'], [192, '3m12s'], [600, '10m'], [2 * 3600 + 59 * 60, '179m'],
    [3 * 3600, '3h'], [7 * 3600 + 5 * 60, '7h5m'], [8 * 3600 + 5 * 60, '8h'], [47 * 3600, '47h'], [3 * 86400 + 4 * 3600, '3d4h'],
    [12 * 86400, '12d'], [800 * 86400, '2y70d'], [9 * 365 * 86400, '9y'],
  ])('%i s → %s', (s, text) => {
    expect(humanAge(t0, at(s))).toBe(text);
  });

  test('a clock that went back says 0s', () => {
    expect(humanAge(at(10), t0)).toBe('0s');
  });
});

describe('pod condition', () => {
  test('supervised is running; else terminated when torn down, orphaned when not; creating without state', () => {
    const s = sampleState();
    expect(conditionOf(s, true)).toBe('running');
    expect(conditionOf(undefined, true)).toBe('running');
    expect(conditionOf(undefined, false)).toBe('creating');
    expect(conditionOf({ ...s, tornDown: true }, false)).toBe('terminated');
    expect(conditionOf(s, false)).toBe('orphaned');
  });
});

describe('ps', () => {
  test('a row: phase, running/total app containers, restarts of all containers, IP, age', () => {
    const row = psRow(sampleState(), 'running', new Date('2026-01-01T00:05:00.500Z'));
    expect(row).toEqual({ name: 'web', phase: 'Running', ready: '1/2', restarts: '3', ip: '10.0.0.7', age: '5m' });
  });

  test('an orphaned pod says so, and nothing of it counts as ready', () => {
    const row = psRow(sampleState(), 'orphaned', new Date('2026-01-01T00:00:30.500Z'));
    expect(row).toMatchObject({ phase: 'Orphaned', ready: '0/2', age: '30s' });
  });

  test('no IP is a dash', () => {
    const s: PodState = { ...sampleState(), status: { ...sampleState().status, podIP: undefined } };
    expect(psRow(s, 'running', t0).ip).toBe('-');
  });

  test('the table pads columns to the widest cell', () => {
    const text = formatPsTable([
      { name: 'a', phase: 'Running', ready: '1/1', restarts: '0', ip: '-', age: '3s' },
      { name: 'longer-name', phase: 'Orphaned', ready: '0/2', restarts: '12', ip: '10.0.0.7', age: '2h5m' },
    ]);
    expect(text).toBe(
      'NAME          PHASE      READY   RESTARTS   IP         AGE\n' +
      'a             Running    1/1     0          -          3s\n' +
      'longer-name   Orphaned   0/2     12         10.0.0.7   2h5m\n',
    );
  });
});

describe('inspect', () => {
  test('a Kubernetes Pod: apiVersion, kind, metadata with uid and creationTimestamp, spec as run, status', () => {
    const s = sampleState();
    const obj = podObject(s, 'running');
    expect(Object.keys(obj)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    expect(obj).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', uid: s.uid, creationTimestamp: '2026-01-01T00:00:00Z' } });
    expect(obj.spec).toBe(s.pod.spec);
    expect(obj.status).toBe(s.status);
  });

  test('an orphaned pod is Unknown, reason Orphaned; its recorded status is not changed', () => {
    const s = sampleState();
    const obj = podObject(s, 'orphaned');
    expect(obj.status).toMatchObject({ phase: 'Unknown', reason: 'Orphaned', containerStatuses: s.status.containerStatuses });
    expect(s.status.phase).toBe('Running');
  });
});
