/**
 * `image` volumes (Kubernetes 1.31+) from inside a real pod: an image of the store mounted whole
 * and by `subPath`, its files readable, the mount read-only, noexec, nosuid and nodev (a program
 * in it does not run, even as root), a `subPath` the image lacks failing the container, one through
 * a symlink of the image that leaves it refused; the image cannot be removed while a pod uses it,
 * and nothing is left mounted on the host afterwards.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectClean, linesOf, newRoots, removeRoots, runPod, tspod, type TestRoots } from './helpers.js';

let roots: TestRoots;
beforeAll(async () => {
  roots = newRoots('image-volumes');
  // A data image: a model file, and a program (busybox itself) that must not run from the volume.
  const tree = path.join(roots.dir, 'data-image');
  fs.mkdirSync(path.join(tree, 'models'), { recursive: true });
  fs.mkdirSync(path.join(tree, 'bin'));
  fs.writeFileSync(path.join(tree, 'models', 'model.txt'), 'weights v1\n');
  const busybox = JSON.parse((await tspod(roots, ['image', 'inspect', 'busybox'])).stdout);
  const rootfs = (Array.isArray(busybox) ? busybox[0] : busybox).lowerDirs[0] as string; // busybox has one layer
  fs.copyFileSync(path.join(rootfs, 'bin', 'busybox'), path.join(tree, 'bin', 'busybox'));
  fs.chmodSync(path.join(tree, 'bin', 'busybox'), 0o4755);
  // A hostile image's ways out of itself: symlinks to the host's root and above the volume.
  fs.symlinkSync('/', path.join(tree, 'out'));
  fs.symlinkSync('../../../../../../../..', path.join(tree, 'up'));
  const tar = path.join(roots.dir, 'data.tar');
  execFileSync('tar', ['-C', tree, '-cf', tar, '.']);
  const imported = await tspod(roots, ['image', 'import', 'data:v1', tar]);
  expect(imported.code, imported.stderr).toBe(0);
});
afterAll(() => removeRoots(roots));

const volumePod = (name: string, script: string, mounts: object[]) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: {
    restartPolicy: 'Never',
    terminationGracePeriodSeconds: 2,
    volumes: [{ name: 'data', image: { reference: 'data:v1', pullPolicy: 'IfNotPresent' } }],
    containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', script], volumeMounts: mounts }],
  },
});

describe('image volumes', () => {
  test('the image whole and by subPath, read-only, noexec, nosuid, nodev, seen from inside', async () => {
    const script = [
      'cat /data/models/model.txt',
      'cat /model/model.txt',
      'touch /data/x 2>&1 | grep -o "Read-only file system"',
      '/data/bin/busybox echo ran 2>&1 | grep -o "Permission denied"',
      // The options of the two mounts, as the container's mount table has them.
      "for m in /data /model; do awk -v m=$m '$5 == m { print m, $6 }' /proc/self/mountinfo; done",
    ].join('; ');
    const r = await runPod(
      roots,
      volumePod('reader', script, [
        { name: 'data', mountPath: '/data' },
        { name: 'data', mountPath: '/model', subPath: 'models' },
      ]),
      ['--network', 'none'],
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = linesOf(r.stdout, 'c');
    expect(lines.slice(0, 4)).toEqual(['weights v1', 'weights v1', 'Read-only file system', 'Permission denied']);
    for (const [i, m] of ['/data', '/model'].entries()) {
      const [where, opts] = lines[4 + i]!.split(' ');
      expect(where).toBe(m);
      expect(opts!.split(',')).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
    }
    expectClean(roots);
  });

  test('a subPath the image lacks fails the container; nothing is left mounted', async () => {
    const r = await runPod(
      roots,
      volumePod('missing', 'cat /model/x', [{ name: 'data', mountPath: '/model', subPath: 'no-such-dir' }]),
      ['--network', 'none'],
    );
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('container "c": step');
    expect(r.stderr).toMatch(/\(bind \/model\) failed: EROFS: read-only file system, openat2 'no-such-dir'/);
    expectClean(roots);
  });

  test('a subPath through a symlink of the image that leaves it (to /, or above) is refused; inside, the links resolve in the container', async () => {
    for (const subPath of ['out', 'up', 'out/etc']) {
      const r = await runPod(
        roots,
        volumePod(`escape-${subPath.replace('/', '-')}`, 'cat /x/passwd /x/etc/passwd', [
          { name: 'data', mountPath: '/x', subPath },
        ]),
        ['--network', 'none'],
      );
      expect({ subPath, code: r.code }).toEqual({ subPath, code: 125 });
      expect(r.stderr).toMatch(/\(bind \/x\) failed: EXDEV/);
      expect(linesOf(r.stdout, 'c')).toEqual([]);
    }
    // Mounted whole, the links are the container's own: / is its root, never the host's.
    const r = await runPod(
      roots,
      volumePod('links', 'readlink /data/out; stat -Lc "%d:%i" / /data/out', [{ name: 'data', mountPath: '/data' }]),
      ['--network', 'none'],
    );
    expect(r.code, r.stderr).toBe(0);
    const [link, root, out] = linesOf(r.stdout, 'c');
    expect(link).toBe('/');
    expect(out).toBe(root);
    expectClean(roots);
  });

  test('the image is in use while a pod has it as a volume', async () => {
    const run = await tspod(
      roots,
      ['run', '-d', '--network', 'none', '-'],
      JSON.stringify(volumePod('holder', 'sleep 600', [{ name: 'data', mountPath: '/data' }])),
    );
    expect(run.code, run.stderr).toBe(0);
    try {
      const rm = await tspod(roots, ['image', 'rm', 'data:v1']);
      expect(rm.code).not.toBe(0);
      expect(rm.stderr).toContain('is in use by pod "holder"');
      const seen = await tspod(roots, ['exec', 'holder', '--', 'cat', '/data/models/model.txt']);
      expect(seen.stdout).toBe('weights v1\n');
    } finally {
      expect((await tspod(roots, ['rm', '-f', 'holder'])).code).toBe(0);
    }
    expectClean(roots);
    expect((await tspod(roots, ['image', 'rm', 'data:v1'])).code).toBe(0);
  });
});
