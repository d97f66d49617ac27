import { describe, expect, test } from 'vitest';
import { humanAge, podObject } from '../../../src/pods/view.js';
import { conditionOf } from '../../../src/pods/pods.js';
import { sampleState } from './fixtures.js';

const at = (s: number) => new Date(Date.parse('2026-01-01T00:00:00Z') + s * 1000);
const t0 = at(0);

describe('ages, as kubectl prints them', () => {
  test.each([
    [0, '0s'],
    [59, '59s'],
    [119, '119s'],
    [120, '2m'],
    [192, '3m12s'],
    [600, '10m'],
    [2 * 3600 + 59 * 60, '179m'],
    [3 * 3600, '3h'],
    [7 * 3600 + 5 * 60, '7h5m'],
    [8 * 3600 + 5 * 60, '8h'],
    [47 * 3600, '47h'],
    [3 * 86400 + 4 * 3600, '3d4h'],
    [12 * 86400, '12d'],
    [800 * 86400, '2y70d'],
    [9 * 365 * 86400, '9y'],
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

describe('inspect: the Pod object as the API server writes it', () => {
  test('apiVersion, kind, metadata with uid and creationTimestamp to the second, spec as run, status', () => {
    const s = sampleState();
    const obj = podObject(s, 'running');
    expect(Object.keys(obj)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    expect(obj).toMatchObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default', uid: s.uid, creationTimestamp: '2026-01-01T00:00:00Z' },
    });
    expect(obj.spec).toEqual(s.pod.spec);
    expect(obj.status.phase).toBe('Running');
  });

  test('every time in the status to the second; the recorded state keeps its milliseconds', () => {
    const s = sampleState();
    s.status.startTime = '2026-01-01T00:00:00.310Z';
    s.status.conditions = [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:02.999Z' }];
    s.status.containerStatuses[0].state = { running: { startedAt: '2026-01-01T00:00:02.123Z' } };
    s.status.containerStatuses[1].lastState = {
      terminated: {
        exitCode: 1,
        reason: 'Error',
        startedAt: '2026-01-01T00:00:01.5Z',
        finishedAt: '2026-01-01T00:00:02.000001Z',
      },
    };
    const st = podObject(s, 'running').status;
    expect(st.startTime).toBe('2026-01-01T00:00:00Z');
    expect(st.conditions[0].lastTransitionTime).toBe('2026-01-01T00:00:02Z');
    expect(st.containerStatuses[0].state).toEqual({ running: { startedAt: '2026-01-01T00:00:02Z' } });
    expect(st.containerStatuses[1].lastState).toEqual({
      terminated: {
        exitCode: 1,
        reason: 'Error',
        startedAt: '2026-01-01T00:00:01Z',
        finishedAt: '2026-01-01T00:00:02Z',
      },
    });
    expect(JSON.stringify(st)).not.toMatch(/\.\d+Z/);
    expect(s.status.startTime).toBe('2026-01-01T00:00:00.310Z');
  });

  test('started is false unless the container runs; empty lists are left out, empty objects stay', () => {
    const s = sampleState();
    s.status.initContainerStatuses = [];
    s.pod.spec.initContainers = [];
    (s.pod.spec.containers[0] as { env?: unknown[] }).env = [];
    const obj = podObject(s, 'running');
    expect(obj.status.containerStatuses.map((c) => c.started)).toEqual([true, false]);
    expect(s.status.containerStatuses[1].started).toBe(true);
    expect('initContainerStatuses' in obj.status).toBe(false);
    expect('initContainers' in obj.spec).toBe(false);
    expect('env' in obj.spec.containers[0]).toBe(false);
    expect(obj.status.containerStatuses[0].lastState).toEqual({});
  });

  test('a pod being stopped has a deletionTimestamp and grace period', () => {
    const s = { ...sampleState(), deletion: { timestamp: '2026-01-01T00:01:00.500Z', gracePeriodSeconds: 30 } };
    expect(podObject(s, 'running').metadata).toMatchObject({
      deletionTimestamp: '2026-01-01T00:01:00Z',
      deletionGracePeriodSeconds: 30,
    });
    expect('deletionTimestamp' in podObject(sampleState(), 'running').metadata).toBe(false);
  });

  test('an orphaned pod is Unknown, reason Orphaned; its recorded status is not changed', () => {
    const s = sampleState();
    const obj = podObject(s, 'orphaned');
    expect(obj.status).toMatchObject({ phase: 'Unknown', reason: 'Orphaned' });
    expect(obj.status.containerStatuses.map((c) => c.name)).toEqual(['a', 'b']);
    expect(s.status.phase).toBe('Running');
  });
});
