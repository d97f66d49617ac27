/**
 * Native sidecars (init containers with restartPolicy: Always), seen from inside the pod: each
 * container appends to a file in a hostPath directory what it saw and when it was told to stop, so
 * the order of starts and stops is the containers' own account. Only the restart back-off is
 * shortened (TSPOD_BACKOFF_BASE_MS); probe timings come from the manifests.
 */
import fs from 'node:fs';
import path from 'node:path';
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
  roots = lifecycleRoots('sidecars');
});
afterEach(() => removeAll(roots));
afterAll(() => removeRoots(roots));

const shared = () => {
  const dir = fs.mkdtempSync(path.join(roots.dir, 'shared-'));
  return {
    dir,
    volume: { name: 'shared', hostPath: { path: dir, type: 'Directory' } },
    mount: { name: 'shared', mountPath: '/shared' },
  };
};
const lines = (dir: string) => fs.readFileSync(path.join(dir, 'order'), 'utf8').trim().split('\n');

/** A sidecar that notes its start and its stop signal, and exits 7 when /tmp/crash appears. */
const sidecar = (name: string, extra: object = {}) =>
  busybox(
    name,
    `echo "${name} started" >> /shared/order; trap 'echo "${name} stopped" >> /shared/order; exit 0' TERM; ` +
      'while [ ! -f /tmp/crash ]; do sleep 0.1; done; exit 7',
    { restartPolicy: 'Always', ...extra },
  );

describe('native sidecars', () => {
  test("a Job-like pod: the next init waits for the sidecar's startup probe; sidecars stop after the app, in reverse order; the pod succeeds", async () => {
    const s = shared();
    const manifest = pod('job', {
      restartPolicy: 'Never',
      volumes: [s.volume],
      initContainers: [
        // Up only after a second: the init container after it must not start before that.
        sidecar('proxy', {
          volumeMounts: [s.mount],
          command: ['sh', '-c', 'sleep 1; touch /tmp/up; ' + sidecar('proxy').command[2]],
          startupProbe: { exec: { command: ['cat', '/tmp/up'] }, periodSeconds: 1 },
        }),
        busybox('check', 'echo "check ran" >> /shared/order', { volumeMounts: [s.mount] }),
        sidecar('logger', { volumeMounts: [s.mount] }),
      ],
      containers: [busybox('work', 'sleep 1; echo "work done" >> /shared/order', { volumeMounts: [s.mount] })],
    });
    const res = await runPod(roots, manifest, ['--keep', '--network', 'none']);
    // The sidecars' own exits (0 here on SIGTERM) never decide the status: the app's 0 does.
    expect(res.code, res.stderr).toBe(0);
    expect(lines(s.dir)).toEqual([
      'proxy started',
      'check ran',
      'logger started',
      'work done',
      'logger stopped',
      'proxy stopped',
    ]);
    const p = await inspect(roots, 'job');
    expect(p.status.phase).toBe('Succeeded');
    expect(statusOf(p, 'proxy')).toMatchObject({
      restartCount: 0,
      ready: false,
      state: { terminated: { exitCode: 0 } },
    });
    expect(statusOf(p, 'check').state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    const evs = JSON.parse((await tspod(roots, ['events', 'job', '--json'])).stdout) as {
      reason: string;
      message: string;
      involvedObject: { fieldPath?: string };
    }[];
    expect(
      evs
        .filter((e) => e.reason === 'Killing')
        .map((e) => e.involvedObject.fieldPath)
        .sort(),
    ).toEqual(['spec.initContainers{logger}', 'spec.initContainers{proxy}']);
    const state = readState(roots, 'job');
    expect((await tspod(roots, ['rm', 'job'])).code).toBe(0);
    await expectNothingLeft(roots, [state]);
  });

  test("a sidecar that exits is restarted whatever the pod's restartPolicy; it counts in READY; at stop it ends after the app, in reverse order", async () => {
    const s = shared();
    const app =
      'echo "app started" >> /shared/order; trap \'sleep 1; echo "app stopped" >> /shared/order; exit 0\' TERM; while true; do sleep 0.1; done';
    const manifest = pod('svc', {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 10,
      volumes: [s.volume],
      initContainers: [sidecar('first', { volumeMounts: [s.mount] }), sidecar('second', { volumeMounts: [s.mount] })],
      containers: [busybox('app', app, { volumeMounts: [s.mount] })],
    });
    const res = await runPod(roots, manifest, ['-d', '--network', 'none']);
    expect(res.code, res.stderr).toBe(0);
    await waitFor('all three running', async () => (await tspod(roots, ['ps'])).stdout.match(/svc +3\/3 +Running/));
    const p0 = await inspect(roots, 'svc');
    expect(p0.status.conditions.find((c: { type: string }) => c.type === 'Initialized').status).toBe('True');
    // The first sidecar crashes (exit 7): restarted, though the pod's restartPolicy is Never.
    expect((await tspod(roots, ['exec', 'svc', '-c', 'first', '--', 'touch', '/tmp/crash'])).code).toBe(0);
    const p = await waitFor('the restarted sidecar', async () => {
      const p = await inspect(roots, 'svc');
      const st = statusOf(p, 'first');
      return st.restartCount === 1 && 'running' in st.state ? p : undefined;
    });
    expect(statusOf(p, 'first').lastState).toMatchObject({ terminated: { exitCode: 7, reason: 'Error' } });
    expect(statusOf(p, 'app')).toMatchObject({ restartCount: 0, ready: true });
    expect(p.status.phase).toBe('Running');
    const state = readState(roots, 'svc');
    const stop = await tspod(roots, ['stop', 'svc']);
    expect(stop.code, stop.stderr).toBe(0);
    // The app takes a second to end; the sidecars are told to stop only after it, the later one first.
    expect(lines(s.dir)).toEqual([
      'first started',
      'second started',
      'app started',
      'first started',
      'app stopped',
      'second stopped',
      'first stopped',
    ]);
    expect((await tspod(roots, ['rm', 'svc'])).code).toBe(0);
    await expectNothingLeft(roots, [state]);
  });
});
