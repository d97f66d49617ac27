/**
 * Stopping a pod: `tspod stop` through the control socket, the stop signal then SIGKILL at the
 * grace period (never before it), preStop hooks before the stop signal, activeDeadlineSeconds.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { parseLog } from '../../src/logs/cri-log.js';
import { pod, removeRoots, runPod, tspod, type TestRoots } from './helpers.js';
import {
  busybox,
  expectNothingLeft,
  inspect,
  lifecycleRoots,
  readState,
  removeAll,
  statusOf,
} from './lifecycle-helpers.js';
import fs from 'node:fs';
import path from 'node:path';

let roots: TestRoots;
beforeAll(() => {
  roots = lifecycleRoots('stop');
});
afterEach(() => removeAll(roots));
afterAll(() => removeRoots(roots));

/** Handles SIGTERM within a tenth of a second (sh runs a trap only between commands). */
const polite = 'trap "echo got-term; exit 0" TERM; echo ready; while true; do sleep 0.1; done';
const stubborn = 'trap "echo ignoring-term" TERM; echo ready; while true; do sleep 0.1; done';

function logLines(name: string, container: string): { time: number; text: string }[] {
  const data = fs.readFileSync(path.join(roots.root, 'pods', name, 'logs', container, '0.log'));
  return parseLog(data).map((l) => ({ time: Date.parse(l.time), text: l.content.toString() }));
}

describe('tspod stop', () => {
  test('a container ignoring SIGTERM is killed at the grace period, not before; a polite one exits at once', async () => {
    const manifest = pod('graceful', {
      terminationGracePeriodSeconds: 3,
      containers: [busybox('polite', polite), busybox('stubborn', stubborn)],
    });
    const started = await tspod(roots, ['run', '-d', '--network', 'none', '-'], JSON.stringify(manifest));
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toBe('graceful\n');
    const t0 = Date.now();
    const stopped = await tspod(roots, ['stop', 'graceful']);
    const took = Date.now() - t0;
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toBe('graceful\n');
    expect(took).toBeGreaterThanOrEqual(3000);

    const p = await inspect(roots, 'graceful');
    expect(statusOf(p, 'polite').state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(statusOf(p, 'stubborn').state.terminated).toMatchObject({ exitCode: 137, signal: 9, reason: 'Error' });
    // From the container's own log: it saw SIGTERM, and lived on for the grace period after it.
    const term = logLines('graceful', 'stubborn').find((l) => l.text === 'ignoring-term');
    expect(term).toBeDefined();
    // The recorded times, in milliseconds (the Pod object's are to the second, as Kubernetes writes them).
    const recorded = readState(roots, 'graceful');
    const finishedAt = (name: string) =>
      Date.parse(
        (
          recorded.status.containerStatuses.find((s) => s.name === name)!.state as {
            terminated: { finishedAt: string };
          }
        ).terminated.finishedAt,
      );
    const killedAt = finishedAt('stubborn');
    expect(killedAt - term!.time).toBeGreaterThanOrEqual(3000 - 200);
    expect(killedAt - term!.time).toBeLessThan(3000 + 10_000);
    const politeEnd = finishedAt('polite');
    expect(politeEnd).toBeLessThan(killedAt - 1000);
    const state = readState(roots, 'graceful');
    await tspod(roots, ['rm', 'graceful']);
    await expectNothingLeft(roots, [state]);
  });

  test('-t overrides the grace period', async () => {
    const manifest = pod('short', { terminationGracePeriodSeconds: 60, containers: [busybox('stubborn', stubborn)] });
    expect((await tspod(roots, ['run', '-d', '--network', 'none', '-'], JSON.stringify(manifest))).code).toBe(0);
    const t0 = Date.now();
    expect((await tspod(roots, ['stop', '-t', '1', 'short'])).code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(statusOf(await inspect(roots, 'short'), 'stubborn').state.terminated.exitCode).toBe(137);
    // Stopping a stopped pod is fine; stopping an unknown one is not.
    expect((await tspod(roots, ['stop', 'short'])).code).toBe(0);
    const unknown = await tspod(roots, ['stop', 'nonesuch']);
    expect(unknown.code).toBe(125);
    expect(unknown.stderr).toMatch(/^tspod: pod "nonesuch" not found/);
    await tspod(roots, ['rm', 'short']);
  });

  test('the preStop hook runs inside the container before the stop signal, within the grace period', async () => {
    const manifest = pod('hooked', {
      terminationGracePeriodSeconds: 5,
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [
        busybox(
          'app',
          "trap 'echo term-after-$(cat /data/hook); exit 0' TERM; echo ready; while true; do sleep 0.1; done",
          {
            env: [{ name: 'WHO', value: 'the-hook' }],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
            lifecycle: {
              preStop: { exec: { command: ['sh', '-c', 'sleep 1; echo "$WHO in $(hostname)" > /data/hook'] } },
            },
          },
        ),
      ],
    });
    expect((await tspod(roots, ['run', '-d', '--network', 'none', '-'], JSON.stringify(manifest))).code).toBe(0);
    const t0 = Date.now();
    expect((await tspod(roots, ['stop', 'hooked'])).code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect((await tspod(roots, ['logs', 'hooked'])).stdout).toBe('ready\nterm-after-the-hook in hooked\n');
    expect(statusOf(await inspect(roots, 'hooked'), 'app').state.terminated.exitCode).toBe(0);
    await tspod(roots, ['rm', 'hooked']);
  });

  test('a preStop hook longer than the grace period is cut short with the container', async () => {
    const manifest = pod('slow-hook', {
      terminationGracePeriodSeconds: 2,
      containers: [busybox('app', polite, { lifecycle: { preStop: { exec: { command: ['sleep', '60'] } } } })],
    });
    expect((await tspod(roots, ['run', '-d', '--network', 'none', '-'], JSON.stringify(manifest))).code).toBe(0);
    const t0 = Date.now();
    expect((await tspod(roots, ['stop', 'slow-hook'])).code).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
    expect(Date.now() - t0).toBeLessThan(30_000);
    const state = readState(roots, 'slow-hook');
    await tspod(roots, ['rm', 'slow-hook']);
    await expectNothingLeft(roots, [state]);
  });
});

describe('activeDeadlineSeconds', () => {
  test('the pod is stopped when it is reached: Failed, DeadlineExceeded', async () => {
    const manifest = pod('deadline', {
      activeDeadlineSeconds: 2,
      terminationGracePeriodSeconds: 2,
      containers: [busybox('a', polite)],
    });
    const t0 = Date.now();
    const res = await runPod(roots, manifest, ['--keep', '--network', 'none']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
    const p = await inspect(roots, 'deadline');
    expect(p.status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
    expect(res.stdout).toContain('a | got-term');
    await tspod(roots, ['rm', 'deadline']);
  });
});
