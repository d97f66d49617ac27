/**
 * Log rotation through a real container: with TSPOD_LOG_MAX_SIZE=4Ki and TSPOD_LOG_MAX_FILES=10, a
 * container printing 3000 numbered lines leaves at most 10 files of about 4 KiB; `logs -f`, started
 * before the first numbered line, prints every line once and in order through the rotations; `logs`
 * afterwards prints the newest lines kept, contiguous, ending with the last.
 *
 * Rotation drops what a slow reader has not read yet (as the kubelet's does), so the test paces the
 * writer rather than racing it: the container prints "ready" and waits until the test, having seen
 * `logs -f` print that line, lets it go; then it pauses every 10 lines, so `logs -f` (polling every
 * 200 ms) would have to fall seconds behind, not milliseconds, to lose a file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { pod, removeRoots, start, tspod, waitFor, type TestRoots } from './helpers.js';
import { busybox, expectNothingLeft, lifecycleRoots, readState, removeAll } from './lifecycle-helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = lifecycleRoots('rotate');
  Object.assign(roots.env, { TSPOD_LOG_MAX_SIZE: '4Ki', TSPOD_LOG_MAX_FILES: '10' });
});
afterEach(() => removeAll(roots));
afterAll(() => removeRoots(roots));

const N = 3000;
const script = `echo ready; while [ ! -e /tmp/go ]; do sleep 0.1; done; i=0; while [ $i -lt ${N} ]; do i=$((i+1)); echo "line $i"; [ $((i % 10)) -eq 0 ] && sleep 0.02; done; true`;
const numbers = (out: string) =>
  out
    .split('\n')
    .filter(Boolean)
    .map((l) => Number(/^line (\d+)$/.exec(l)?.[1] ?? NaN));

describe('log rotation', () => {
  test('logs -f follows through rotations without losing or repeating a line; old files are dropped', async () => {
    const started = await tspod(
      roots,
      ['run', '-d', '--network', 'none', '-'],
      JSON.stringify(pod('chatty', { restartPolicy: 'Never', containers: [busybox('c', script)] })),
    );
    expect(started.code, started.stderr).toBe(0);
    const follower = start(roots, ['logs', '-f', 'chatty']);
    await waitFor('logs -f to print "ready"', () => follower.output().startsWith('ready\n'), 60_000);
    const go = await tspod(roots, ['exec', 'chatty', '--', 'touch', '/tmp/go']);
    expect(go.code, go.stderr).toBe(0);
    const followed = await follower.done;
    expect(followed.code, followed.stderr).toBe(0);
    expect(numbers(followed.stdout.replace(/^ready\n/, ''))).toEqual(Array.from({ length: N }, (_, i) => i + 1));

    const dir = path.join(roots.root, 'pods/chatty/logs/c');
    const files = fs.readdirSync(dir);
    expect(files).toContain('0.log');
    expect(files.length).toBeLessThanOrEqual(10);
    expect(files.filter((f) => /^0\.log\.\d{8}-\d{6}\.\d{9}$/.test(f)).length).toBe(files.length - 1);
    for (const f of files) expect(fs.statSync(path.join(dir, f)).size).toBeLessThanOrEqual(4096);

    const kept = numbers((await tspod(roots, ['logs', 'chatty'])).stdout);
    expect(kept.length).toBeGreaterThan(500);
    expect(kept.length).toBeLessThan(N);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => N - kept.length + 1 + i));

    const bad = await tspod(
      { ...roots, env: { ...roots.env, TSPOD_LOG_MAX_FILES: '1' } },
      ['run', '--network', 'none', '-'],
      JSON.stringify(pod('bad', { containers: [busybox('c', 'true')] })),
    );
    expect(bad.code).toBe(125);
    expect(bad.stderr).toMatch(/TSPOD_LOG_MAX_FILES: invalid value "1"/);

    const state = readState(roots, 'chatty');
    await tspod(roots, ['rm', 'chatty']);
    await expectNothingLeft(roots, [state]);
  });
});
