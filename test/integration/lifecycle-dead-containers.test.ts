/**
 * Dead containers are collected as the kubelet's container GC does: of a crash-looping container,
 * only the current instance and the last terminated one are kept (their directories, their log
 * files), so that `logs --previous` and lastState (with its termination message) still tell how
 * the previous run ended; every older instance's directory and logs are removed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pod, tspod, waitFor, type TestRoots } from './helpers.js';
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
  roots = lifecycleRoots('deadgc');
});
afterAll(async () => {
  await removeAll(roots);
  fs.rmSync(roots.dir, { recursive: true, force: true });
});

describe('dead containers', () => {
  test('after 5 restarts, 2 instances are left (current and previous); logs --previous and lastState still work', async () => {
    const script =
      'n=$(($(cat /data/n 2>/dev/null || echo 0) + 1)); echo $n > /data/n; echo "run $n"; echo "message $n" > /dev/termination-log; [ $n -ge 6 ] || exit 1; exec sleep 1000';
    const manifest = pod('crashy', {
      restartPolicy: 'OnFailure',
      terminationGracePeriodSeconds: 2,
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [busybox('c', script, { volumeMounts: [{ name: 'data', mountPath: '/data' }] })],
    });
    const res = await tspod(roots, ['run', '-d', '--network', 'none', '-'], JSON.stringify(manifest));
    expect(res.code, res.stderr).toBe(0);
    // The sixth run (instance 5) stays: the container runs, 5 restarts behind it.
    const p = await waitFor(
      'the sixth run',
      async () => {
        const q = await inspect(roots, 'crashy');
        return statusOf(q, 'c').restartCount === 5 && 'running' in statusOf(q, 'c').state ? q : undefined;
      },
      60_000,
    );
    expect(statusOf(p, 'c')).toMatchObject({ lastState: { terminated: { exitCode: 1, message: 'message 5\n' } } });
    const data = path.join(roots.root, 'pods', 'crashy');
    expect(fs.readdirSync(path.join(data, 'containers', 'c')).sort()).toEqual(['4', '5']);
    expect(fs.readdirSync(path.join(data, 'logs', 'c')).sort()).toEqual(['4.log', '5.log']);
    expect(fs.readFileSync(path.join(data, 'containers', 'c', '4', 'termination-log'), 'utf8')).toBe('message 5\n');
    await waitFor(
      "the sixth run's output",
      async () => (await tspod(roots, ['logs', 'crashy'])).stdout === 'run 6\n' || undefined,
    );
    const previous = await tspod(roots, ['logs', '--previous', 'crashy']);
    expect(previous.code, previous.stderr).toBe(0);
    expect(previous.stdout).toBe('run 5\n');
    const state = readState(roots, 'crashy');
    const rm = await tspod(roots, ['rm', '-f', 'crashy']);
    expect(rm.code, rm.stderr).toBe(0);
    await expectNothingLeft(roots, [state]);
  }, 120_000);
});
