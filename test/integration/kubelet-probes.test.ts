/**
 * Probes as the kubelet runs them, seen from outside (inspect, ps, events) and made to change from
 * inside the containers (a file a probe looks for, a file a web server serves). Timings come from
 * the manifests (periodSeconds: 1, failureThreshold: 1), never from a test-only setting; only the
 * restart back-off is shortened (TSPOD_BACKOFF_BASE_MS).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { pod, removeRoots, runPod, tspod, waitFor, type TestRoots } from './helpers.js';
import {
  busybox,
  expectNothingLeft,
  inspect,
  lifecycleRoots,
  readState,
  removeAll,
  statusOf,
} from './lifecycle-helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = lifecycleRoots('probes');
});
afterEach(() => removeAll(roots));
afterAll(() => removeRoots(roots));

const fast = { periodSeconds: 1, failureThreshold: 1 };
type Ev = { reason: string; message: string; count: number; involvedObject: { fieldPath?: string } };
async function events(name: string): Promise<Ev[]> {
  const res = await tspod(roots, ['events', name, '--json']);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as Ev[];
}
const condition = (p: any, type: string) => p.status.conditions.find((c: { type: string }) => c.type === type);

async function finish(name: string): Promise<void> {
  const state = readState(roots, name);
  expect((await tspod(roots, ['rm', '-f', name])).code).toBe(0);
  await expectNothingLeft(roots, [state]);
}

describe('probes', () => {
  test('a failing liveness probe kills the container (preStop, grace period) and it restarts, counted, with the events', async () => {
    // The first instance never becomes healthy; the second one makes /tmp/healthy (the counter is in the emptyDir).
    const script =
      'n=$(cat /data/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/n; [ $n -ge 2 ] && touch /tmp/healthy; trap "exit 143" TERM; while true; do sleep 0.1; done';
    const manifest = pod('live', {
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [
        busybox('app', script, {
          volumeMounts: [{ name: 'data', mountPath: '/data' }],
          livenessProbe: {
            exec: { command: ['cat', '/tmp/healthy'] },
            ...fast,
            initialDelaySeconds: 1,
            terminationGracePeriodSeconds: 5,
          },
          lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo "stopped $(cat /data/n)" >> /data/prestop'] } } },
        }),
      ],
    });
    const res = await runPod(roots, manifest, ['-d', '--network', 'none']);
    expect(res.code, res.stderr).toBe(0);
    const p = await waitFor('the restarted instance', async () => {
      const p = await inspect(roots, 'live');
      const s = statusOf(p, 'app');
      return s.restartCount === 1 && 'running' in s.state ? p : undefined;
    });
    expect(statusOf(p, 'app').lastState).toMatchObject({ terminated: { exitCode: 143, reason: 'Error' } });
    const evs = await events('live');
    expect(evs).toContainEqual(
      expect.objectContaining({
        reason: 'Unhealthy',
        message: "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n",
        involvedObject: expect.objectContaining({ fieldPath: 'spec.containers{app}' }),
      }),
    );
    expect(evs).toContainEqual(
      expect.objectContaining({
        reason: 'Killing',
        message: 'Container app failed liveness probe, will be restarted',
        count: 1,
      }),
    );
    // The preStop hook ran in the first instance, before it was stopped.
    expect((await tspod(roots, ['exec', 'live', '--', 'cat', '/data/prestop'])).stdout).toBe('stopped 1\n');
    // The second instance stays alive: no more restarts over a few periods.
    await new Promise((r) => setTimeout(r, 2500));
    expect(statusOf(await inspect(roots, 'live'), 'app').restartCount).toBe(1);
    await finish('live');
  });

  test('a readiness flip (httpGet on a named port) shows in ready, the conditions and ps; exec probes run as the container', async () => {
    const manifest = pod('ready', {
      containers: [
        busybox('web', 'mkdir -p /www; exec httpd -f -p 8080 -h /www', {
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/ready', port: 'http' }, ...fast },
        }),
      ],
    });
    const res = await runPod(roots, manifest, ['-d']);
    expect(res.code, res.stderr).toBe(0);
    const readyOf = async () => {
      const p = await inspect(roots, 'ready');
      return { p, ready: statusOf(p, 'web').ready as boolean, ps: (await tspod(roots, ['ps'])).stdout };
    };
    const before = await waitFor('a failed readiness probe', async () =>
      (await events('ready')).some((e) => e.reason === 'Unhealthy') ? readyOf() : undefined,
    );
    expect(before.ready).toBe(false);
    expect(condition(before.p, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [web]',
    });
    expect(before.ps).toMatch(/ready +0\/1 +Running/);
    // (Before httpd listens, the probe fails to connect; once it does, with the status.)
    await waitFor(
      'a 404',
      async () =>
        (await events('ready')).some(
          (e) => e.message === 'Readiness probe failed: HTTP probe failed with statuscode: 404',
        ) || undefined,
    );
    // From inside the container: serve /ready, and the pod becomes ready.
    expect((await tspod(roots, ['exec', 'ready', '--', 'touch', '/www/ready'])).code).toBe(0);
    const after = await waitFor('ready', async () => {
      const r = await readyOf();
      return r.ready ? r : undefined;
    });
    expect(condition(after.p, 'Ready')).toMatchObject({ status: 'True' });
    expect(condition(after.p, 'ContainersReady')).toMatchObject({ status: 'True' });
    expect(after.ps).toMatch(/ready +1\/1 +Running/);
    expect((await tspod(roots, ['exec', 'ready', '--', 'rm', '/www/ready'])).code).toBe(0);
    await waitFor('unready again', async () => ((await readyOf()).ready ? undefined : true));
    await finish('ready');
  });

  test('a startup probe gates readiness; a probe that cannot run (bad port name) is reported', async () => {
    const manifest = pod('gated', {
      containers: [
        busybox('slow', 'sleep 3600', {
          startupProbe: { exec: { command: ['test', '-f', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 600 },
          readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 },
        }),
        busybox('bad', 'sleep 3600', { readinessProbe: { tcpSocket: { port: 'nope' }, periodSeconds: 1 } }),
      ],
    });
    const res = await runPod(roots, manifest, ['-d', '--network', 'none']);
    expect(res.code, res.stderr).toBe(0);
    await waitFor(
      'the bad port to be reported',
      async () =>
        (await events('gated')).some((e) => e.message === 'Readiness probe errored: port nope not found') || undefined,
    );
    let p = await inspect(roots, 'gated');
    expect(statusOf(p, 'slow')).toMatchObject({ started: false, ready: false, state: { running: {} } });
    expect(p.status.phase).toBe('Running');
    expect(condition(p, 'Ready').message).toBe('containers with unready status: [slow bad]');
    expect((await tspod(roots, ['exec', 'gated', '-c', 'slow', '--', 'touch', '/tmp/started'])).code).toBe(0);
    p = await waitFor('slow to start and be ready', async () => {
      const p = await inspect(roots, 'gated');
      return statusOf(p, 'slow').ready ? p : undefined;
    });
    expect(statusOf(p, 'slow').started).toBe(true);
    expect(statusOf(p, 'bad')).toMatchObject({ started: true, ready: false, restartCount: 0 });
    expect(condition(p, 'Ready').message).toBe('containers with unready status: [bad]');
    await finish('gated');
  });

  test('postStart runs before the container counts as running; a failing one is FailedPostStartHook and a restart', async () => {
    const manifest = pod('hooks', {
      restartPolicy: 'Never',
      containers: [
        busybox('ok', 'sleep 3600', {
          lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo hook-$(hostname) > /tmp/hook'] } } },
        }),
        busybox('fails', 'trap "exit 0" TERM; while true; do sleep 0.1; done', {
          lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo no >&2; exit 3'] } } },
        }),
      ],
    });
    const res = await runPod(roots, manifest, ['-d', '--network', 'none']);
    expect(res.code, res.stderr).toBe(0);
    const p = await waitFor('the failed hook to end its container', async () => {
      const p = await inspect(roots, 'hooks');
      return 'terminated' in statusOf(p, 'fails').state ? p : undefined;
    });
    expect(statusOf(p, 'ok').state).toHaveProperty('running');
    expect((await tspod(roots, ['exec', 'hooks', '-c', 'ok', '--', 'cat', '/tmp/hook'])).stdout).toBe('hook-hooks\n');
    const evs = await events('hooks');
    const failed = evs.find((e) => e.reason === 'FailedPostStartHook')!;
    expect(failed.message).toMatch(
      /^Exec lifecycle hook \(\[sh -c echo no >&2; exit 3\]\) for Container "fails" in Pod "hooks_default\(.+\)" failed - error: command 'sh -c echo no >&2; exit 3' exited with 3: , message: "no\\n"$/,
    );
    expect(evs).toContainEqual(
      expect.objectContaining({
        reason: 'Killing',
        message: 'FailedPostStartHook',
        involvedObject: expect.objectContaining({ fieldPath: 'spec.containers{fails}' }),
      }),
    );
    await finish('hooks');
  });
});
