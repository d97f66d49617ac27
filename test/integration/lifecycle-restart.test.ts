/**
 * Restart policy, back-off and init containers, observed as a user would: the pod's status
 * (`inspect`), its logs per instance (`logs`, `logs --previous`), and marks the containers leave
 * in a shared emptyDir.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { pod, removeRoots, runPod, tspod, type TestRoots } from './helpers.js';
import {
  BACKOFF_MS,
  busybox,
  expectNothingLeft,
  inspect,
  lifecycleRoots,
  readState,
  removeAll,
  statusOf,
} from './lifecycle-helpers.js';
import { parseLog } from '../../src/logs/cri-log.js';
import fs from 'node:fs';
import path from 'node:path';

let roots: TestRoots;
beforeAll(() => {
  roots = lifecycleRoots('restart');
});
afterEach(() => removeAll(roots));
afterAll(() => removeRoots(roots));

const data = { volumes: [{ name: 'data', emptyDir: {} }] };
const mountData = { volumeMounts: [{ name: 'data', mountPath: '/data' }] };
/* Fails (exit 3) on its first three runs, succeeds on the fourth: the run count lives in the emptyDir. */
const flaky =
  'n=$(cat /data/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/n; echo "run $n"; [ "$n" -ge 4 ] && exit 0; exit 3';

/** When each instance of a container started: the time of the first line of its log. */
function instanceStarts(roots: TestRoots, podName: string, container: string): number[] {
  const dir = path.join(roots.root, 'pods', podName, 'logs', container);
  const files = fs
    .readdirSync(dir)
    .map((f) => Number(f.replace('.log', '')))
    .sort((a, b) => a - b);
  return files.map((n) => Date.parse(parseLog(fs.readFileSync(path.join(dir, `${n}.log`)))[0].time));
}

describe('restartPolicy', () => {
  test('OnFailure restarts a failing container with a growing back-off, and not a succeeding one', async () => {
    const manifest = pod('onfailure', {
      restartPolicy: 'OnFailure',
      ...data,
      containers: [busybox('flaky', flaky, mountData), busybox('fine', 'echo done')],
    });
    const res = await runPod(roots, manifest, ['--keep', '--network', 'none']);
    expect(res.code, res.stderr).toBe(0);
    const p = await inspect(roots, 'onfailure');
    expect(p.status.phase).toBe('Succeeded');
    expect(statusOf(p, 'flaky')).toMatchObject({
      restartCount: 3,
      state: { terminated: { exitCode: 0, reason: 'Completed' } },
      lastState: { terminated: { exitCode: 3, reason: 'Error' } },
    });
    expect(statusOf(p, 'fine')).toMatchObject({
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: 'Completed' } },
    });
    // Back-off: base, 2×base, 4×base between the starts (never less; the supervisor may be later).
    // Only the last two instances' logs are kept (dead-container GC): the last gap is 4×base.
    const starts = instanceStarts(roots, 'onfailure', 'flaky');
    expect(starts).toHaveLength(2);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(BACKOFF_MS * 4);
    // Each instance has its own log; --previous shows the one before the current.
    expect((await tspod(roots, ['logs', 'onfailure', '-c', 'flaky'])).stdout).toBe('run 4\n');
    expect((await tspod(roots, ['logs', 'onfailure', '-c', 'flaky', '--previous'])).stdout).toBe('run 3\n');
    expect((await tspod(roots, ['logs', 'onfailure', '-c', 'fine', '--previous'])).code).toBe(125);
    const state = readState(roots, 'onfailure');
    expect((await tspod(roots, ['rm', 'onfailure'])).code).toBe(0);
    await expectNothingLeft(roots, [state]);
  });

  test('a restarted container gets a fresh root filesystem; volumes keep their data', async () => {
    const script = 'ls /scratch 2>/dev/null; touch /scratch-$(cat /data/n 2>/dev/null); ls / | grep scratch; ' + flaky;
    const res = await runPod(
      roots,
      pod('fresh', { restartPolicy: 'OnFailure', ...data, containers: [busybox('a', script, mountData)] }),
      ['--keep', '--network', 'none'],
    );
    expect(res.code, res.stderr).toBe(0);
    // Each run sees only the file it made itself: the previous instance's upper layer is gone.
    // (Instance 1's log was collected with it when instance 3 started: dead-container GC.)
    expect(fs.existsSync(path.join(roots.root, 'pods/fresh/logs/a/1.log'))).toBe(false);
    for (const [instance, mark] of [
      [2, 'scratch-2'],
      [3, 'scratch-3'],
    ] as const) {
      const log = fs.readFileSync(path.join(roots.root, 'pods/fresh/logs/a', `${instance}.log`));
      expect(
        parseLog(log)
          .map((l) => l.content.toString())
          .filter((t) => t.startsWith('scratch')),
      ).toEqual([mark]);
    }
    await tspod(roots, ['rm', 'fresh']);
  });

  test('Never: Failed with the exit code and reason of each container, and the exit status of the first failure', async () => {
    const manifest = pod('never-fails', {
      restartPolicy: 'Never',
      containers: [
        busybox('ok', 'exit 0'),
        busybox('bad', 'echo oops >&2; exit 3'),
        { name: 'missing', image: 'busybox', command: ['/no/such/program'] },
      ],
    });
    const res = await runPod(roots, manifest, ['--keep', '--network', 'none']);
    expect(res.code).toBe(3);
    const p = await inspect(roots, 'never-fails');
    expect(p.status.phase).toBe('Failed');
    expect(statusOf(p, 'ok')).toMatchObject({
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: 'Completed' } },
    });
    expect(statusOf(p, 'bad')).toMatchObject({
      restartCount: 0,
      state: { terminated: { exitCode: 3, reason: 'Error' } },
    });
    expect(statusOf(p, 'missing')).toMatchObject({
      state: { terminated: { exitCode: 127, reason: 'ContainerCannotRun' } },
    });
    expect((await tspod(roots, ['logs', 'never-fails', '-c', 'bad'])).stdout).toBe('oops\n');
    const state = readState(roots, 'never-fails');
    await tspod(roots, ['rm', 'never-fails']);
    await expectNothingLeft(roots, [state]);
  });

  test('Never: Succeeded when every container exits 0', async () => {
    const res = await runPod(
      roots,
      pod('never-ok', { restartPolicy: 'Never', containers: [busybox('a', 'true'), busybox('b', 'sleep 0.2')] }),
      ['--keep', '--network', 'none'],
    );
    expect(res.code, res.stderr).toBe(0);
    const p = await inspect(roots, 'never-ok');
    expect(p.status.phase).toBe('Succeeded');
    expect(p.status.containerStatuses.map((s: any) => s.state.terminated.reason)).toEqual(['Completed', 'Completed']);
    await tspod(roots, ['rm', 'never-ok']);
  });
});

describe('init containers', () => {
  test('run one at a time, in order, before the app, which reads their marks', async () => {
    const manifest = pod('inits', {
      restartPolicy: 'Never',
      ...data,
      initContainers: [
        busybox('first', 'sleep 0.3; echo first >> /data/marks', mountData),
        busybox('second', 'echo second >> /data/marks', mountData),
      ],
      containers: [busybox('app', 'cat /data/marks', mountData)],
    });
    const res = await runPod(roots, manifest, ['--keep', '--network', 'none']);
    expect(res.code, res.stderr).toBe(0);
    expect((await tspod(roots, ['logs', 'inits', '-c', 'app'])).stdout).toBe('first\nsecond\n');
    const p = await inspect(roots, 'inits');
    expect(p.status.initContainerStatuses.map((s: any) => s.state.terminated.reason)).toEqual([
      'Completed',
      'Completed',
    ]);
    expect(Date.parse(statusOf(p, 'first').state.terminated.finishedAt)).toBeLessThanOrEqual(
      Date.parse(statusOf(p, 'second').state.terminated.startedAt),
    );
    await tspod(roots, ['rm', 'inits']);
  });

  test('a failed init container fails a Never pod; the app never starts', async () => {
    const manifest = pod('init-fails', {
      restartPolicy: 'Never',
      initContainers: [busybox('setup', 'exit 5'), busybox('later', 'true')],
      containers: [busybox('app', 'echo should-not-run')],
    });
    const res = await runPod(roots, manifest, ['--keep', '--network', 'none']);
    expect(res.code).toBe(5);
    const p = await inspect(roots, 'init-fails');
    expect(p.status.phase).toBe('Failed');
    expect(statusOf(p, 'setup').state.terminated).toMatchObject({ exitCode: 5, reason: 'Error' });
    expect(statusOf(p, 'later').state).toHaveProperty('waiting');
    expect(statusOf(p, 'app').state).toHaveProperty('waiting');
    expect(fs.existsSync(path.join(roots.root, 'pods/init-fails/logs/app'))).toBe(false);
    await tspod(roots, ['rm', 'init-fails']);
  });

  test('a failed init container is retried under OnFailure, then the app runs', async () => {
    const manifest = pod('init-retry', {
      restartPolicy: 'OnFailure',
      ...data,
      initContainers: [busybox('setup', flaky, mountData)],
      containers: [busybox('app', 'echo app after $(cat /data/n) setup runs', mountData)],
    });
    const res = await runPod(roots, manifest, ['--keep', '--network', 'none']);
    expect(res.code, res.stderr).toBe(0);
    const p = await inspect(roots, 'init-retry');
    expect(statusOf(p, 'setup')).toMatchObject({ restartCount: 3, state: { terminated: { exitCode: 0 } } });
    expect((await tspod(roots, ['logs', 'init-retry', '-c', 'app'])).stdout).toBe('app after 4 setup runs\n');
    await tspod(roots, ['rm', 'init-retry']);
  });
});
