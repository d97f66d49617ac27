/**
 * `run -d` returns once the pod is taken in hand, whatever its init containers do; `tspod wait`
 * and `run -d --wait` wait for what the pod's own containers make true (a readiness probe on a
 * file, an init container that takes its time), as `kubectl wait` does.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { pod, removeRoots, runPod, start, tspod, type TestRoots } from './helpers.js';
import { busybox, expectNothingLeft, inspect, lifecycleRoots, readState, removeAll } from './lifecycle-helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = lifecycleRoots('wait');
});
afterEach(() => removeAll(roots));
afterAll(() => removeRoots(roots));

describe('run -d and wait', () => {
  test('an init container that keeps failing: run -d returns at once; wait for Initialized times out (1)', async () => {
    const t0 = Date.now();
    const res = await runPod(
      roots,
      pod('stuck', { initContainers: [busybox('fails', 'exit 1')], containers: [busybox('app', 'exec sleep 600')] }),
      ['-d', '--network', 'none'],
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe('stuck\n');
    expect(Date.now() - t0).toBeLessThan(15_000);
    const w = await tspod(roots, ['wait', 'stuck', '--for=condition=Initialized', '--timeout', '1s']);
    expect(w.code).toBe(1);
    expect(w.stderr).toContain('timed out waiting for the condition on pods/stuck');
    expect((await tspod(roots, ['wait', 'stuck', '--for=sideways'])).code).toBe(125);
    const state = readState(roots, 'stuck');
    expect((await tspod(roots, ['rm', '-f', 'stuck'])).code).toBe(0);
    await expectNothingLeft(roots, [state]);
  });

  test('run -d --wait returns once Ready; wait for a jsonpath value and for delete', async () => {
    const manifest = pod('slow', {
      initContainers: [busybox('warmup', 'sleep 1')],
      containers: [
        busybox('app', 'sleep 1; touch /tmp/ready; exec sleep 600', {
          readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 },
        }),
      ],
    });
    const res = await runPod(roots, manifest, ['-d', '--wait', '--network', 'none']);
    expect(res.code, res.stderr).toBe(0);
    const p = await inspect(roots, 'slow');
    expect(p.status.conditions.find((c: { type: string }) => c.type === 'Ready').status).toBe('True');
    const phase = await tspod(roots, [
      'wait',
      'slow',
      '--for=jsonpath={.status.containerStatuses[0].ready}=true',
      '--timeout',
      '5s',
    ]);
    expect(phase.code, phase.stderr).toBe(0);
    expect(phase.stdout).toBe('pod/slow condition met\n');
    const state = readState(roots, 'slow');
    const deleted = start(roots, ['wait', 'slow', '--for=delete', '--timeout', '30s']);
    expect((await tspod(roots, ['rm', '-f', 'slow'])).code).toBe(0);
    const d = await deleted.done;
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toBe('pod/slow deleted\n');
    await expectNothingLeft(roots, [state]);
  });
});
