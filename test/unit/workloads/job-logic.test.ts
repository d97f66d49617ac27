/**
 * The Job controller's decisions: parallelism, completions, the work queue, the backoff limit (and
 * OnFailure restarts counting toward it), the back-off between retries, activeDeadlineSeconds.
 */
import { describe, expect, test } from 'vitest';
import { backoffMs, decide, type JobPod, type JobProgress } from '../../../src/workloads/job-logic.js';
import type { JobSpec } from '../../../src/manifest/index.js';

const spec = (o: Partial<JobSpec> = {}): JobSpec => ({ parallelism: 1, completions: 1, backoffLimit: 6, ...o });
let n = 0;
const pod = (phase: JobPod['phase'], o: Partial<JobPod> = {}): JobPod => ({
  name: `p${n++}`,
  phase,
  restarts: 0,
  ...o,
});
const progress = (pods: JobPod[], restartPolicy: 'Never' | 'OnFailure' = 'Never'): JobProgress => ({
  startedAt: 0,
  pods,
  restartPolicy,
});

describe('how many pods run', () => {
  test('completions 3, parallelism 2: two at once, then the one still missing, then Complete', () => {
    const s = spec({ completions: 3, parallelism: 2 });
    expect(decide(s, progress([]), 1)).toEqual({ action: 'create', count: 2 });
    expect(decide(s, progress([pod('Running'), pod('Running')]), 1)).toEqual({ action: 'wait' });
    expect(decide(s, progress([pod('Succeeded'), pod('Running')]), 1)).toEqual({ action: 'create', count: 1 });
    expect(decide(s, progress([pod('Succeeded'), pod('Succeeded'), pod('Running')]), 1)).toEqual({ action: 'wait' });
    expect(decide(s, progress([pod('Succeeded'), pod('Succeeded'), pod('Succeeded')]), 1)).toMatchObject({
      action: 'finish',
      outcome: { type: 'Complete', reason: 'CompletionsReached' },
    });
  });

  test('a work queue (parallelism only): no new pod after a success, Complete once none runs', () => {
    const s = spec({ completions: undefined, parallelism: 3 });
    expect(decide(s, progress([]), 1)).toEqual({ action: 'create', count: 3 });
    expect(decide(s, progress([pod('Succeeded'), pod('Running')]), 1)).toEqual({ action: 'wait' });
    expect(decide(s, progress([pod('Succeeded'), pod('Succeeded')]), 1)).toMatchObject({
      action: 'finish',
      outcome: { type: 'Complete' },
    });
  });

  test('parallelism 0 runs nothing', () => {
    expect(decide(spec({ parallelism: 0 }), progress([]), 1)).toEqual({ action: 'wait' });
  });
});

describe('failures', () => {
  test('a failed pod is replaced after the back-off: 10 s, 20 s, 40 s... at most 6 minutes', () => {
    expect([1, 2, 3, 10].map(backoffMs)).toEqual([10_000, 20_000, 40_000, 360_000]);
    const p = progress([pod('Failed', { failedAt: 5_000 })]);
    expect(decide(spec(), p, 6_000)).toEqual({ action: 'wait', untilMs: 15_000 });
    expect(decide(spec(), p, 15_000)).toEqual({ action: 'create', count: 1 });
  });

  test('more failures than backoffLimit: Failed, BackoffLimitExceeded, the running pods stopped', () => {
    const s = spec({ backoffLimit: 1, parallelism: 2, completions: 3 });
    expect(decide(s, progress([pod('Failed', { failedAt: 1 }), pod('Running', { name: 'r' })]), 20_000)).toEqual({
      action: 'create',
      count: 1,
    });
    const d = decide(s, progress([pod('Failed'), pod('Failed'), pod('Running', { name: 'r' })]), 1);
    expect(d).toEqual({
      action: 'finish',
      outcome: {
        type: 'Failed',
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit',
      },
      stop: ['r'],
    });
  });

  test('backoffLimit 0: the first failure fails the Job', () => {
    expect(decide(spec({ backoffLimit: 0 }), progress([pod('Failed')]), 1)).toMatchObject({
      action: 'finish',
      outcome: { reason: 'BackoffLimitExceeded' },
    });
  });

  test('OnFailure: container restarts in running pods count toward the limit', () => {
    const s = spec({ backoffLimit: 2 });
    expect(decide(s, progress([pod('Running', { restarts: 1 })], 'OnFailure'), 1)).toEqual({ action: 'wait' });
    expect(decide(s, progress([pod('Running', { restarts: 2, name: 'x' })], 'OnFailure'), 1)).toMatchObject({
      action: 'finish',
      outcome: { reason: 'BackoffLimitExceeded' },
      stop: ['x'],
    });
    expect(
      decide(spec({ backoffLimit: 0 }), progress([pod('Running', { restarts: 1 })], 'OnFailure'), 1),
    ).toMatchObject({ action: 'finish' });
    // Never: restarts do not happen, and would not count.
    expect(decide(s, progress([pod('Running', { restarts: 5 })]), 1)).toEqual({ action: 'wait' });
  });

  test('activeDeadlineSeconds: Failed, DeadlineExceeded, whatever else holds', () => {
    const s = spec({ activeDeadlineSeconds: 5 });
    expect(decide(s, progress([pod('Running', { name: 'a' })]), 4_999)).toEqual({ action: 'wait' });
    expect(decide(s, progress([pod('Running', { name: 'a' })]), 5_000)).toEqual({
      action: 'finish',
      outcome: { type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' },
      stop: ['a'],
    });
  });
});
