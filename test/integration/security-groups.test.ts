/**
 * fsGroup, supplementalGroups and supplementalGroupsPolicy, from inside real pods: the groups the
 * kernel reports (`Groups:` in /proc/self/status), and what stat says of the volumes' files.
 * The e2e case: a new file in a memory emptyDir under fsGroup 123 has gid 123 and -rw-rw----.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { tarOfDir } from '../unit/image/fixtures.js';
import { expectClean, linesOf, newRoots, pod, removeRoots, runPod, tspod, type TestRoots } from './helpers.js';
import { inspect } from './image-helpers.js';

let roots: TestRoots;
let hostDir: string;
beforeAll(async () => {
  roots = newRoots('groups');
  hostDir = path.join(roots.dir, 'host');
  fs.mkdirSync(hostDir, { mode: 0o755 });
  fs.writeFileSync(path.join(hostDir, 'f'), 'host\n', { mode: 0o644 });
  // The image of the Kubernetes documentation's supplementalGroupsPolicy example: its /etc/group
  // lists user 1000 in group 50000.
  const rootfs = path.join(roots.dir, 'groups-rootfs');
  fs.cpSync((await inspect(roots, 'busybox')).lowerDirs[0], rootfs, { recursive: true, verbatimSymlinks: true });
  fs.appendFileSync(path.join(rootfs, 'etc/passwd'), 'user-defined-in-image:x:1000:1000::/home:/bin/sh\n');
  fs.appendFileSync(
    path.join(rootfs, 'etc/group'),
    'wheel:x:10:root\nuser-defined-in-image:x:1000:\ngroup-defined-in-image:x:50000:user-defined-in-image\n',
  );
  fs.writeFileSync(path.join(roots.dir, 'groups.tar'), await tarOfDir(rootfs));
  const imp = await tspod(roots, ['image', 'import', 'groups:1', path.join(roots.dir, 'groups.tar')]);
  expect(imp.code, imp.stderr).toBe(0);
});
afterAll(() => removeRoots(roots));

const groupsLine = 'grep ^Groups: /proc/self/status';

/** Run `script` in a busybox container (unless `spec` has containers of its own); its output lines. */
async function run(script: string, spec: object, files: object[] = [], volumeMounts: object[] = []): Promise<string[]> {
  const p = pod('groups', {
    restartPolicy: 'Never',
    containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', script], volumeMounts }],
    ...spec,
  });
  const res = await tspod(
    roots,
    ['run', '--network', 'none', '-'],
    [...files, p].map((o) => JSON.stringify(o)).join('\n---\n'),
  );
  expect(res.code, res.stderr).toBe(0);
  expectClean(roots);
  return linesOf(res.stdout, 'c').map((l) => l.trimEnd());
}

describe('fsGroup', () => {
  test('a new file in a memory emptyDir has the fsGroup and -rw-rw---- (the e2e case); the directory is setgid', async () => {
    const out = await run(
      `${groupsLine}; umask 007; echo mount-tester new file > /v/test-file; stat -c "%A %g" /v/test-file /v; mkdir /v/d; stat -c "%A %g" /v/d`,
      {
        securityContext: { fsGroup: 123 },
        volumes: [{ name: 'v', emptyDir: { medium: 'Memory' } }],
      },
      [],
      [{ name: 'v', mountPath: '/v' }],
    );
    expect(out).toEqual(['Groups:\t0 123', '-rw-rw---- 123', 'drwxrwsrwx 123', 'drwxrws--- 123']);
  });

  test('config volumes are given to the group read-only, so a non-root user in it reads a 0400 key; hostPath is never changed', async () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'conf' }, data: { key: 'value' } };
    const script = `id -u; ${groupsLine}; stat -Lc "%a %g" /cm/key; cat /cm/key; echo; stat -c "%a %g" /cm/..data/ /disk /host /host/f; (echo x >> /host/f) 2>&1 | grep -o "Permission denied"`;
    const out = await run(
      '',
      {
        securityContext: { fsGroup: 2000, runAsUser: 1000 },
        volumes: [
          { name: 'cm', configMap: { name: 'conf', defaultMode: 0o400 } },
          { name: 'disk', emptyDir: {} },
          { name: 'host', hostPath: { path: hostDir } },
        ],
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', script],
            volumeMounts: [
              { name: 'cm', mountPath: '/cm' },
              { name: 'disk', mountPath: '/disk' },
              { name: 'host', mountPath: '/host' },
            ],
          },
        ],
      },
      [configMap],
    );
    expect(out).toEqual([
      '1000',
      'Groups:\t0 2000',
      '440 2000',
      'value',
      '2755 2000',
      '2777 2000',
      '755 0',
      '644 0',
      'Permission denied',
    ]);
    expect(fs.statSync(hostDir).mode & 0o7777).toBe(0o755);
    expect(fs.readFileSync(path.join(hostDir, 'f'), 'utf8')).toBe('host\n');
  });
});

describe('supplementalGroups and supplementalGroupsPolicy', () => {
  const sc = { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000] };
  const container = { name: 'c', image: 'groups:1', command: ['sh', '-c', `${groupsLine}; id -u; id -g`] };

  test("Merge (the default): the image's /etc/group memberships join the listed groups", async () => {
    const out = await run('', { securityContext: sc, containers: [container] });
    expect(out).toEqual(['Groups:\t3000 4000 50000', '1000', '3000']);
  });

  test('Strict: only the groups the manifest names', async () => {
    const out = await run('', {
      securityContext: { ...sc, supplementalGroupsPolicy: 'Strict' },
      containers: [container],
    });
    expect(out).toEqual(['Groups:\t3000 4000', '1000', '3000']);
  });

  test("root without any group setting gets the image's memberships too (its list is always set)", async () => {
    const out = await run('', { containers: [{ ...container, command: ['sh', '-c', groupsLine] }] });
    expect(out).toEqual(['Groups:\t0 10']);
  });

  test('a bad policy is refused by name', async () => {
    const res = await runPod(
      roots,
      pod('groups', {
        securityContext: { supplementalGroupsPolicy: 'Loose' },
        containers: [{ name: 'c', image: 'busybox' }],
      }),
    );
    expect(res.code).toBe(125);
    expect(res.stderr).toContain('spec.securityContext.supplementalGroupsPolicy');
  });
});
