/**
 * A closed output pipe, as a user makes one in a shell: `tspod ... | head -1`. Every command ends
 * as a Unix tool killed by SIGPIPE would (status 141, no stack trace); a foreground `run` first
 * stops its pod gracefully (the container sees SIGTERM) and cleans it up.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { TSPOD, expectClean, pod, removeRoots, type TestRoots } from './helpers.js';
import { busybox, expectNothingLeft, lifecycleRoots, readState, removeAll } from './lifecycle-helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = lifecycleRoots('pipe');
});
afterEach(() => removeAll(roots));
afterAll(() => removeRoots(roots));

/** A shell command line, with `tspod` meaning this build (`$T`). */
async function sh(line: string, input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...roots.env, T: `${process.execPath} ${TSPOD}` };
  const run = promisify(execFile)('bash', ['-c', line], { env, timeout: 60_000 });
  run.child.stdin?.end(input);
  const res = await run.catch((e: { code: number; stdout: string; stderr: string }) => e);
  return { code: typeof res.code === 'number' ? res.code : 0, stdout: res.stdout, stderr: res.stderr };
}

const chatty = 'trap "echo got-term; exit 0" TERM; while true; do echo line; sleep 0.05; done';
const manifest = (name: string) => JSON.stringify(pod(name, { containers: [busybox('c', chatty)] }));

function noStackTrace(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/EPIPE|Error/);
}

describe('a closed output pipe', () => {
  test('run | head -1: the pod is stopped gracefully and cleaned up; run exits 141', async () => {
    const res = await sh('$T run --network none - | head -1; echo "status ${PIPESTATUS[0]}" >&2', manifest('piped'));
    expect(res.stdout).toBe('c | line\n');
    expect(res.stderr).toMatch(/status 141\n$/);
    noStackTrace(res.stderr);
    expectClean(roots);
  });

  test('run --keep | head -1: the container got its stop signal (its trap ran)', async () => {
    const res = await sh(
      '$T run --keep --network none - | head -1; echo "status ${PIPESTATUS[0]}" >&2',
      manifest('kept'),
    );
    expect(res.stderr).toMatch(/status 141\n$/);
    const state = readState(roots, 'kept');
    expect(state.status.phase).toBe('Succeeded');
    const logs = await sh('$T logs kept');
    expect(logs.stdout).toMatch(/line\ngot-term\n$/);
    await sh('$T rm kept');
    await expectNothingLeft(roots, [state]);
  });

  test('logs -f | head -1, and ps, inspect, ns, image ls, logs into a closed pipe: 141, quietly', async () => {
    const started = await sh('$T run -d --network none -', manifest('web'));
    expect(started.code, started.stderr).toBe(0);
    const follow = await sh('$T logs -f web | head -1; echo "status ${PIPESTATUS[0]}" >&2');
    expect(follow.stdout).toBe('line\n');
    expect(follow.stderr).toBe('status 141\n');
    // The reader is gone before the command starts: its first write meets a closed pipe.
    for (const cmd of ['ps -a', 'inspect web', 'ns web', 'image ls', 'logs web']) {
      const res = await sh(`{ sleep 0.3; $T ${cmd}; echo "status $?" >&2; } | true`);
      expect(res.stderr, cmd).toBe('status 141\n');
    }
    const state = readState(roots, 'web');
    await sh('$T rm -f web');
    await expectNothingLeft(roots, [state]);
  });
});
