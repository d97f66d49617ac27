/**
 * ConfigMaps and Secrets, from inside real pods: a file of several documents (a ConfigMap, a
 * Secret, the Pod) and a ConfigMap given with --configmap; the volume files laid out as the
 * kubelet's atomic writer does, with their modes; the secret volume on a tmpfs; both read-only;
 * env from keys and envFrom; a missing object refused before anything is made.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectClean, linesOf, mountsUnder, newRoots, removeRoots, tspod, type TestRoots } from './helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('config');
});
afterAll(() => removeRoots(roots));

const configMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'game' },
  data: { 'game.properties': 'lives=3\n', 'ui.properties': 'color=blue\n', LEVEL: 'hard' },
};
const secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'creds' },
  data: { password: Buffer.from('hunter2').toString('base64') },
  stringData: { user: 'admin' },
};
const script = [
  'cd /cm; ls -A | sort | tr "\\n" " "; echo',
  'readlink ..data | grep -c "^\\.\\.[0-9_]*\\.[^/]*$"; readlink game.properties; cat game.properties',
  'stat -Lc "%a" /cm/game.properties /items/conf/ui /sec/password',
  'cat /sec/password /sec/user; echo',
  'grep " /sec " /proc/self/mounts | cut -d" " -f3,4 | cut -d, -f1',
  'grep " /cm " /proc/self/mounts | cut -d" " -f4 | cut -d, -f1',
  'touch /cm/x 2>&1 | grep -o "Read-only file system"',
  'echo "L=$L P=$PASS U=$SEC_user other=$OTHER"',
].join('; ');
const thePod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'config' },
  spec: {
    restartPolicy: 'Never',
    volumes: [
      { name: 'cm', configMap: { name: 'game' } },
      {
        name: 'items',
        configMap: {
          name: 'game',
          defaultMode: 0o600,
          items: [{ key: 'ui.properties', path: 'conf/ui', mode: 0o400 }],
        },
      },
      { name: 'sec', secret: { secretName: 'creds', defaultMode: 0o440 } },
      { name: 'none', configMap: { name: 'absent', optional: true } },
    ],
    containers: [
      {
        name: 'c',
        image: 'busybox',
        command: ['sh', '-c', script],
        env: [
          { name: 'L', valueFrom: { configMapKeyRef: { name: 'game', key: 'LEVEL' } } },
          { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
          { name: 'GONE', valueFrom: { configMapKeyRef: { name: 'game', key: 'nope', optional: true } } },
        ],
        envFrom: [{ secretRef: { name: 'creds' }, prefix: 'SEC_' }, { configMapRef: { name: 'other' } }],
        volumeMounts: [
          { name: 'cm', mountPath: '/cm' },
          { name: 'items', mountPath: '/items' },
          { name: 'sec', mountPath: '/sec' },
          { name: 'none', mountPath: '/none' },
        ],
      },
    ],
  },
};
const yaml = (objs: object[]) => objs.map((o) => JSON.stringify(o)).join('\n---\n');

describe('configMap and secret volumes, env from them', () => {
  test('files, links, modes, tmpfs and env, seen from inside the pod', async () => {
    const other = path.join(roots.dir, 'other.yaml');
    fs.writeFileSync(other, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\ndata: {OTHER: from-flag}\n');
    const res = await tspod(
      roots,
      ['run', '--network', 'none', '--configmap', other, '-'],
      yaml([configMap, secret, thePod]),
    );
    expect(res.code, res.stderr).toBe(0);
    expect(linesOf(res.stdout, 'c')).toEqual([
      expect.stringMatching(
        /^\.\.2\d{3}_\d\d_\d\d_\d\d_\d\d_\d\d\.\S+ \.\.data LEVEL game\.properties ui\.properties $/,
      ),
      '1',
      '..data/game.properties',
      'lives=3',
      '644',
      '400',
      '440',
      'hunter2admin',
      'tmpfs ro',
      'ro',
      'Read-only file system',
      'L=hard P=hunter2 U=admin other=from-flag',
    ]);
    expect(mountsUnder(roots.dir)).toEqual([]);
    expectClean(roots);
  });

  test('two pods of one file under -d: the secret reaches the detached supervisor over its pipe', async () => {
    const sleeper = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        volumes: [{ name: 'sec', secret: { secretName: 'creds' } }],
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sleep', '60'],
            env: [{ name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } }],
            volumeMounts: [{ name: 'sec', mountPath: '/sec' }],
          },
        ],
      },
    });
    const file = path.join(roots.dir, 'two.yaml');
    fs.writeFileSync(file, yaml([secret, sleeper('one'), sleeper('two')]));
    const res = await tspod(roots, ['run', '-d', '--network', 'none', file]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe('one\ntwo\n');
    try {
      for (const name of ['one', 'two']) {
        const out = await tspod(roots, ['exec', name, '--', 'sh', '-c', 'cat /sec/password; echo " $PASS"']);
        expect(out.stdout).toBe('hunter2 hunter2\n');
      }
      expect(fs.readFileSync(path.join(roots.runRoot, 'pods', 'one', 'state.json'), 'utf8')).not.toContain(
        Buffer.from('hunter2').toString('base64'),
      );
    } finally {
      expect((await tspod(roots, ['rm', '-f', 'one', 'two'])).code).toBe(0);
    }
    expectClean(roots);
  });

  test('a missing ConfigMap: 125 naming it, nothing made', async () => {
    const res = await tspod(roots, ['run', '--network', 'none', '-'], yaml([secret, thePod]));
    expect(res.code).toBe(125);
    expect(res.stderr).toContain('pod "config": volume "cm": configmap "game" not found');
    expect(fs.existsSync(path.join(roots.root, 'pods', 'config'))).toBe(false);
    expectClean(roots);
  });
});
