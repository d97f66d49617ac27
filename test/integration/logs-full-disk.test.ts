/**
 * A full disk: the pod's root (`--root`) is a small tmpfs made by the test, and a container
 * writes more output than it can hold. The log writes fail with ENOSPC; the supervisor drops and
 * counts the lines, says so on stderr and in an event, and supervises on: the container runs to
 * its end, the pod ends Succeeded (not Orphaned) and is cleaned up.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mountsUnder, pod, runPod, tspod, type TestRoots } from './helpers.js';
import { busybox, expectNothingLeft, lifecycleRoots, readState } from './lifecycle-helpers.js';

let roots: TestRoots;
let small: string;
beforeAll(() => {
  roots = lifecycleRoots('full');
  small = path.join(roots.dir, 'small');
  fs.mkdirSync(small);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0755', 'tspod-test-full', small]);
  fs.cpSync(path.join(roots.root, 'images'), path.join(small, 'images'), { recursive: true, verbatimSymlinks: true });
  roots = { ...roots, root: small, env: { ...roots.env, TSPOD_ROOT: small } };
});
afterAll(() => {
  execFileSync('umount', [small]);
  fs.rmSync(roots.dir, { recursive: true, force: true });
});

describe('a full disk', () => {
  test('log lines are dropped and counted, the pod runs to its end and is cleaned up', async () => {
    // About 6 MB of output into a 4 MB tmpfs that already holds the image.
    const script = 'yes aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | head -n 120000; echo done-writing';
    const res = await runPod(roots, pod('full', { restartPolicy: 'Never', containers: [busybox('c', script)] }), [
      '--keep',
      '--network',
      'none',
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/container "c": writing .*0\.log failed \(ENOSPC: .*dropping log lines/);
    expect(res.stderr).toMatch(
      /container "c": \d+ log lines \(\d+ bytes\) dropped from .*0\.log while writes failed \(ENOSPC\)/,
    );
    expect(res.stderr).not.toMatch(/^\s+at /m);
    // The foreground output still has every line: only the file ran out of room.
    expect(res.stdout.endsWith('c | done-writing\n')).toBe(true);
    const state = readState(roots, 'full');
    expect(state.status.phase).toBe('Succeeded');
    const events = await tspod(roots, ['events', 'full']);
    expect(events.stdout).toMatch(/Warning\s+FailedLogWrite/);
    const rm = await tspod(roots, ['rm', 'full']);
    expect(rm.code, rm.stderr).toBe(0);
    // (The tmpfs itself is the test's: mounts are checked below it, and under the run root.)
    await expectNothingLeft({ ...roots, dir: path.join(small, 'pods') }, [state]);
    expect(mountsUnder(roots.runRoot)).toEqual([]);
  });
});
