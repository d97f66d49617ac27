/**
 * Pod volumes, from inside: an emptyDir written by one container and read by the other, a
 * memory-backed emptyDir with its size limit, read-only mounts, subPath, hostPath type checks, and
 * the pod's shared /dev/shm, /etc/hosts and localhost.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectClean, linesOf, newRoots, pod, removeRoots, runPod, type TestRoots } from './helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('vol');
});
afterAll(() => removeRoots(roots));

const box = (name: string, script: string, extra: object = {}) => ({
  name,
  image: 'busybox',
  command: ['sh', '-c', script],
  ...extra,
});

async function run(spec: object, expectCode = 0) {
  const res = await runPod(roots, pod('vol', { restartPolicy: 'Never', ...spec }), ['--network', 'none']);
  expect(res.code, res.stderr).toBe(expectCode);
  expectClean(roots);
  return res;
}

describe('volumes and what a pod shares', () => {
  test('an emptyDir written by one container is read by the other', async () => {
    const res = await run({
      volumes: [{ name: 'shared', emptyDir: {} }],
      containers: [
        box('writer', 'echo from-writer > /out/msg', { volumeMounts: [{ name: 'shared', mountPath: '/out' }] }),
        box('reader', 'until [ -s /in/msg ]; do sleep 0.05; done; cat /in/msg; stat -c %a /in', {
          volumeMounts: [{ name: 'shared', mountPath: '/in' }],
        }),
      ],
    });
    expect(linesOf(res.stdout, 'reader')).toEqual(['from-writer', '777']);
  });

  test('a memory emptyDir is a tmpfs of sizeLimit', async () => {
    const res = await run({
      volumes: [{ name: 'm', emptyDir: { medium: 'Memory', sizeLimit: '2Mi' } }],
      containers: [
        box(
          'c',
          'grep " /m " /proc/self/mounts | cut -d" " -f3; df -k /m | tail -1 | tr -s " " | cut -d" " -f2; dd if=/dev/zero of=/m/big bs=1k count=4096 2>/dev/null || echo full',
          { volumeMounts: [{ name: 'm', mountPath: '/m' }] },
        ),
      ],
    });
    expect(linesOf(res.stdout, 'c')).toEqual(['tmpfs', '2048', 'full']);
  });

  test('readOnly mounts cannot be written, subPath mounts a part of the volume', async () => {
    const host = fs.mkdtempSync(path.join(roots.dir, 'hp-'));
    fs.mkdirSync(path.join(host, 'sub'));
    fs.writeFileSync(path.join(host, 'sub', 'file'), 'in-sub\n');
    const res = await run({
      volumes: [{ name: 'h', hostPath: { path: host, type: 'Directory' } }],
      containers: [
        box(
          'c',
          'cat /ro/sub/file; touch /ro/x 2>&1 | grep -o "Read-only file system"; cat /part/file; echo w > /part/new',
          {
            volumeMounts: [
              { name: 'h', mountPath: '/ro', readOnly: true },
              { name: 'h', mountPath: '/part', subPath: 'sub' },
            ],
          },
        ),
      ],
    });
    expect(linesOf(res.stdout, 'c')).toEqual(['in-sub', 'Read-only file system', 'in-sub']);
    expect(fs.readFileSync(path.join(host, 'sub', 'new'), 'utf8')).toBe('w\n');
    expect(fs.existsSync(path.join(host, 'x'))).toBe(false);
  });

  test('hostPath DirectoryOrCreate and FileOrCreate create what is missing', async () => {
    const base = fs.mkdtempSync(path.join(roots.dir, 'hp-'));
    await run({
      volumes: [
        { name: 'd', hostPath: { path: path.join(base, 'newdir'), type: 'DirectoryOrCreate' } },
        { name: 'f', hostPath: { path: path.join(base, 'newfile'), type: 'FileOrCreate' } },
      ],
      containers: [
        box('c', 'echo x > /d/y; echo z > /f', {
          volumeMounts: [
            { name: 'd', mountPath: '/d' },
            { name: 'f', mountPath: '/f' },
          ],
        }),
      ],
    });
    expect(fs.readFileSync(path.join(base, 'newdir', 'y'), 'utf8')).toBe('x\n');
    expect(fs.readFileSync(path.join(base, 'newfile'), 'utf8')).toBe('z\n');
  });

  test('an untyped hostPath that is missing is created 0755, as containerd and CRI-O do', async () => {
    const base = fs.mkdtempSync(path.join(roots.dir, 'hp-'));
    const missing = path.join(base, 'a', 'data');
    const res = await run({
      volumes: [{ name: 'shared-data', hostPath: { path: missing } }],
      containers: [
        box('c', 'stat -c %a /data; echo hello > /data/index.html', {
          volumeMounts: [{ name: 'shared-data', mountPath: '/data' }],
        }),
      ],
    });
    expect(linesOf(res.stdout, 'c')).toEqual(['755']);
    expect(fs.readFileSync(path.join(missing, 'index.html'), 'utf8')).toBe('hello\n');
    expect(fs.statSync(missing).mode & 0o777).toBe(0o755);
  });

  test('containers share /dev/shm, the hosts file and localhost', async () => {
    const res = await run({
      containers: [
        box(
          'server',
          'echo shm-data > /dev/shm/seg; echo "pod-hosts" >> /etc/hosts; nc -l -p 8080 -e echo hello-over-localhost',
        ),
        box(
          'client',
          'until [ -e /dev/shm/seg ]; do sleep 0.05; done; cat /dev/shm/seg; grep -c pod-hosts /etc/hosts; ' +
            'until nc 127.0.0.1 8080 </dev/null 2>/dev/null; do sleep 0.1; done',
        ),
      ],
    });
    expect(linesOf(res.stdout, 'client')).toEqual(['shm-data', '1', 'hello-over-localhost']);
  });
});
