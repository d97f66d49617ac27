import { describe, expect, test } from 'vitest';
import {
  findStatus,
  initialStatus,
  runExitStatus,
  terminatedState,
  updatePhase,
} from '../../../src/supervisor/status.js';
import type { Pod } from '../../../src/manifest/types.js';
import type { PodStatus } from '../../../src/state/types.js';

const pod = (init: string[], apps: string[]) =>
  ({
    metadata: { name: 'p' },
    spec: {
      initContainers: init.map((name) => ({ name, image: 'busybox' })),
      containers: apps.map((name) => ({ name, image: 'busybox' })),
    },
  }) as unknown as Pod;

const running = { running: { startedAt: '2026-01-01T00:00:00Z' } };
const ended = (code: number) => terminatedState({ code, signal: null }, {});

function set(status: PodStatus, name: string, state: object, restartCount = 0): void {
  Object.assign(findStatus(status, name), { state, restartCount, started: true });
}

describe('container states', () => {
  test('reasons: Completed for 0, Error otherwise, OOMKilled, ContainerCannotRun', () => {
    expect(ended(0)).toMatchObject({ terminated: { exitCode: 0, reason: 'Completed' } });
    expect(ended(3)).toMatchObject({ terminated: { exitCode: 3, reason: 'Error' } });
    expect(terminatedState({ code: null, signal: 9 }, { oom: true })).toMatchObject({
      terminated: { exitCode: 137, signal: 9, reason: 'OOMKilled' },
    });
    expect(terminatedState({ code: 127, signal: null }, { cannotRun: 'not found' })).toMatchObject({
      terminated: { exitCode: 127, reason: 'ContainerCannotRun', message: 'not found' },
    });
  });

  test('a signal is 128+N', () => {
    expect(terminatedState({ code: null, signal: 15 }, {})).toMatchObject({
      terminated: { exitCode: 143, signal: 15, reason: 'Error' },
    });
  });
});

describe('pod phase', () => {
  test('Pending at first, waiting in PodInitializing when there are init containers', () => {
    const s = initialStatus(pod(['init'], ['a']), {}, '10.0.0.1');
    expect(s.phase).toBe('Pending');
    expect(s.initContainerStatuses[0].state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect(s.containerStatuses[0].state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect(initialStatus(pod([], ['a']), {}, '').containerStatuses[0].state).toEqual({
      waiting: { reason: 'ContainerCreating' },
    });
  });

  test('Running once every app container started; Ready when all run', () => {
    const s = initialStatus(pod([], ['a', 'b']), {}, '');
    set(s, 'a', running);
    updatePhase(s, new Set(), true);
    expect(s.phase).toBe('Pending');
    set(s, 'b', running);
    updatePhase(s, new Set(), true);
    expect(s.phase).toBe('Running');
    expect(s.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  test('Succeeded when all ended with 0; Failed when one failed; Running while one waits to restart', () => {
    const s = initialStatus(pod([], ['a', 'b']), {}, '');
    set(s, 'a', ended(0));
    set(s, 'b', ended(2));
    updatePhase(s, new Set(['b']), true);
    expect(s.phase).toBe('Running');
    updatePhase(s, new Set(), true);
    expect(s.phase).toBe('Failed');
    set(s, 'b', ended(0));
    s.phase = 'Running';
    updatePhase(s, new Set(), true);
    expect(s.phase).toBe('Succeeded');
  });

  test('a container in its back-off (waiting, lastState terminated) has run: Running; stopped there, it ended with its last exit code', () => {
    const s = initialStatus(pod([], ['a', 'b']), {}, '');
    set(s, 'a', running);
    const b = s.containerStatuses[1];
    b.lastState = ended(3);
    b.state = { waiting: { reason: 'CrashLoopBackOff' } };
    updatePhase(s, new Set(['b']), true);
    expect(s.phase).toBe('Running');
    set(s, 'a', ended(0));
    updatePhase(s, new Set(), true);
    expect(s.phase).toBe('Failed');
  });

  test('a decided failure (DeadlineExceeded) stays', () => {
    const s = initialStatus(pod([], ['a']), {}, '');
    Object.assign(s, { phase: 'Failed', reason: 'DeadlineExceeded' });
    set(s, 'a', ended(0));
    updatePhase(s, new Set(), true);
    expect(s).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
  });
});

describe('exit status of a foreground run', () => {
  test('the first failed container in manifest order (init first), 128+N when stopped by a signal', () => {
    const s = initialStatus(pod(['init'], ['a', 'b']), {}, '');
    expect(runExitStatus(s)).toBe(0);
    set(s, 'b', ended(4));
    set(s, 'a', ended(3));
    expect(runExitStatus(s)).toBe(3);
    set(s, 'init', ended(7));
    expect(runExitStatus(s)).toBe(7);
    expect(runExitStatus(s, 15)).toBe(143);
  });
});
