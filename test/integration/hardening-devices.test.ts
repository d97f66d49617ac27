/**
 * Host devices stay out of reach of a container, checked from inside: the device cgroup refuses to
 * open a node made with CAP_MKNOD (the kernel log, a loop device) while mknod itself still works,
 * and a device node shipped in the image opens nothing (every mount but /dev is nodev), even
 * when its mode is 0666 and the caller is an unprivileged user.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { inspect } from './image-helpers.js';
import { expectClean, linesOf, newRoots, pod, removeRoots, runPod, tspod, type TestRoots } from './helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('devices');
});
afterAll(() => removeRoots(roots));

async function inside(script: string, extra: object = {}, image = 'busybox'): Promise<string[]> {
  const res = await runPod(
    roots,
    pod('dev', { restartPolicy: 'Never', containers: [{ name: 'c', image, command: ['sh', '-c', script], ...extra }] }),
    ['--network', 'none'],
  );
  expect(res.code, res.stderr).toBe(0);
  expectClean(roots);
  return linesOf(res.stdout, 'c');
}

/** Open `node` for reading and writing, in a subshell; one line: "<node> ok" or the error. */
const tryOpen = (node: string) =>
  `(exec 3<>${node} && echo "${node} ok") 2>&1 | sed "s/.*can't [a-z]* [^:]*: /${node.replace(/\//g, '\\/')} /"`;

describe('the device cgroup', () => {
  test('mknod of any node works, opening it does not; the harmless devices still do', async () => {
    // /dev is the one mount without nodev, so what stops these opens is the device cgroup alone.
    const out = await inside(
      [
        'mknod /dev/k c 1 11 && echo made-kmsg',
        tryOpen('/dev/k'),
        'mknod /dev/loop b 7 0 && echo made-loop',
        tryOpen('/dev/loop'),
        'mknod /tmp/k c 1 11 && echo made-tmp',
        tryOpen('/tmp/k'),
        'echo x > /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c',
        tryOpen('/dev/ptmx'),
      ].join('; '),
    );
    expect(out).toEqual([
      'made-kmsg',
      '/dev/k Operation not permitted',
      'made-loop',
      '/dev/loop Operation not permitted',
      'made-tmp',
      '/tmp/k Permission denied', // nodev: refused before the device cgroup is asked
      '4',
      '4',
      '/dev/ptmx ok',
    ]);
  });

  test('the container cgroup holds the policy, and the container is in it', async () => {
    const out = await inside('cat /sys/fs/cgroup/devices/devices.list; grep devices /proc/self/cgroup');
    expect(out).toEqual(expect.arrayContaining(['c *:* m', 'b *:* m', 'c 1:3 rwm', 'c 136:* rwm', 'c 5:2 rwm']));
    expect(out).not.toContain('a *:* rwm');
    expect(out.find((l) => l.includes(':devices:'))).toMatch(/:devices:\/$/); // its own cgroup is its root
  });

  test('privileged: every device, as in Kubernetes', async () => {
    const out = await inside('cat /sys/fs/cgroup/devices/devices.list; ' + tryOpen('/dev/kmsg'), {
      securityContext: { privileged: true },
    });
    expect(out).toEqual(['a *:* rwm', '/dev/kmsg ok']);
  });
});

describe('device nodes in an image', () => {
  test('a 0666 node shipped in the image opens nothing for a user without capabilities', async () => {
    // An image made from busybox with world-writable nodes for /dev/null (allowed by the device
    // cgroup: only nodev can stop it) and the kernel log.
    const base = await inspect(roots, 'busybox');
    const tree = path.join(roots.dir, 'devimg');
    fs.cpSync(base.lowerDirs[0], tree, { recursive: true, verbatimSymlinks: true });
    execFileSync('mknod', ['-m', '0666', path.join(tree, 'null-node'), 'c', '1', '3']);
    execFileSync('mknod', ['-m', '0666', path.join(tree, 'kmsg-node'), 'c', '1', '11']);
    const tar = path.join(roots.dir, 'devimg.tar');
    execFileSync('tar', ['-C', tree, '-cf', tar, '.']);
    const imported = await tspod(roots, ['image', 'import', 'devimg', tar]);
    expect(imported.code, imported.stderr).toBe(0);
    const out = await inside(
      `ls -l /null-node | cut -c1-10; ${tryOpen('/null-node')}; ${tryOpen('/kmsg-node')}; id -u`,
      {
        securityContext: {
          runAsUser: 1000,
          runAsGroup: 1000,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        },
      },
      'devimg',
    );
    expect(out).toEqual(['crw-rw-rw-', '/null-node Permission denied', '/kmsg-node Permission denied', '1000']);
  });
});
