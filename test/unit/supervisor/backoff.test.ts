import { describe, expect, test } from 'vitest';
import { backoffPolicy, nextDelay, shouldRestart } from '../../../src/supervisor/backoff.js';

describe('restart back-off', () => {
  test('the kubelet default: 10 s doubling to 300 s', () => {
    const policy = backoffPolicy({});
    expect(policy).toEqual({ baseMs: 10_000, capMs: 300_000, resetAfterMs: 600_000 });
    const delays: number[] = [];
    let n = 0;
    for (let i = 0; i < 8; i++) {
      const d = nextDelay(policy, n, 1000);
      delays.push(d.delayMs / 1000);
      n = d.backoffs;
    }
    expect(delays).toEqual([10, 20, 40, 80, 160, 300, 300, 300]);
  });

  test('a run of 10 minutes resets it', () => {
    const policy = backoffPolicy({});
    expect(nextDelay(policy, 5, 10 * 60 * 1000 - 1).delayMs).toBe(300_000);
    expect(nextDelay(policy, 5, 10 * 60 * 1000)).toEqual({ delayMs: 10_000, backoffs: 1 });
  });

  test('TSPOD_BACKOFF_BASE_MS lowers the base (and the cap with it); nonsense keeps the default', () => {
    expect(backoffPolicy({ TSPOD_BACKOFF_BASE_MS: '100' })).toMatchObject({ baseMs: 100, capMs: 3000 });
    expect(backoffPolicy({ TSPOD_BACKOFF_BASE_MS: 'soon' }).baseMs).toBe(10_000);
    expect(backoffPolicy({ TSPOD_BACKOFF_BASE_MS: '-5' }).baseMs).toBe(10_000);
  });

  test.each([
    ['Always', 0, true],
    ['Always', 1, true],
    ['OnFailure', 0, false],
    ['OnFailure', 137, true],
    ['Never', 1, false],
    ['Never', 0, false],
  ] as const)('%s with exit %i restarts: %s', (policy, code, yes) => {
    expect(shouldRestart(policy, code)).toBe(yes);
  });
});
