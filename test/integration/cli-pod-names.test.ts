/**
 * Pod names are checked before they touch a path (issue 9, item 1). With throw-away roots, names
 * such as `..`, `.` and `../..` once made `rm -f` delete the image store, every pod, or the
 * directory above both roots. Each command that takes a pod name must refuse them with status 125,
 * and afterwards the roots, a kept pod and a sibling directory are all still there with their content.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectClean, newRoots, pod, removeRoots, runPod, TSPOD, tspod, type TestRoots } from './helpers.js';

let roots: TestRoots;
let sibling: string;
beforeAll(async () => {
  roots = newRoots('names');
  sibling = path.join(roots.dir, 'sibling');
  fs.mkdirSync(sibling);
  fs.writeFileSync(path.join(sibling, 'keep-me'), 'precious\n');
  // A real pod, kept after it ended: `rm -f .` would have removed it with every other pod.
  const res = await runPod(
    roots,
    pod('kept', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] }),
    ['--keep', '--network', 'none'],
  );
  expect(res.code).toBe(0);
});
afterAll(() => removeRoots(roots));

/** Everything that must survive: the store's images, the kept pod in both roots, the sibling. */
function expectIntact(): void {
  expect(fs.readdirSync(path.join(roots.root, 'images')).length).toBeGreaterThan(0);
  for (const base of [roots.root, roots.runRoot]) expect(fs.readdirSync(path.join(base, 'pods'))).toEqual(['kept']);
  expect(fs.existsSync(path.join(roots.runRoot, 'pods', 'kept', 'state.json'))).toBe(true);
  expect(fs.readFileSync(path.join(sibling, 'keep-me'), 'utf8')).toBe('precious\n');
}

describe('a pod name that is a path is refused before anything is touched', () => {
  test.each([
    ['rm', '-f', '..'],
    ['rm', '-f', '.'],
    ['rm', '-f', '../..'],
    ['rm', '-f', 'kept', '..'],
    ['rm', '..'],
    ['inspect', '../..'],
    ['inspect', '.'],
    ['stop', '..'],
    ['logs', '..'],
    ['ns', '../..'],
    ['exec', '..', '--', 'true'],
    ['events', '..'],
    ['rm', '-f', '../sibling'],
    ['rm', '-f', ''],
    ['inspect', 'Kept'],
  ])('tspod %s %s %s: 125, "invalid pod name", nothing deleted', async (...args: string[]) => {
    const res = await tspod(roots, args);
    expect(res.code).toBe(125);
    expect(res.stderr).toMatch(/^tspod: invalid pod name "/);
    expect(res.stdout).toBe('');
    expectIntact();
  });

  test('the kept pod is still a pod, and a good name still works', async () => {
    const res = await tspod(roots, ['inspect', 'kept']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).metadata.name).toBe('kept');
  });
});

describe('a caller who is not root', () => {
  test('is told that tspod needs root, not that the pod does not exist', () => {
    // nobody (65534) cannot enter the 0700 roots that root made.
    const res = spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, TSPOD, 'inspect', 'kept'],
      {
        env: roots.env,
        encoding: 'utf8',
      },
    );
    expect(res.status).toBe(125);
    expect(res.stderr).toMatch(/^tspod: permission denied: tspod needs root/);
    expect(res.stderr).not.toContain('not found');
    expectIntact();
  });
});

describe('clean up', () => {
  test('rm of the kept pod leaves nothing', async () => {
    expect((await tspod(roots, ['rm', 'kept'])).code).toBe(0);
    expectClean(roots);
    expect(fs.readFileSync(path.join(sibling, 'keep-me'), 'utf8')).toBe('precious\n');
  });
});
