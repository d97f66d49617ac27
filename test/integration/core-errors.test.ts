/**
 * Bad input and failed starts: each gives one clear line naming the container, the step and the
 * cause, the right exit status (125 for tspod, 126/127 for a command that cannot run), and leaves
 * nothing behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cgroupsOf, expectClean, newRoots, pod, removeRoots, runPod, type TestRoots } from './helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('err');
});
afterAll(() => removeRoots(roots));

const uid = (n: number) => `0b1a8f2e-0000-4000-8000-0000000e000${n}`;

async function failing(spec: object, n: number) {
  const res = await runPod(roots, pod('bad', { restartPolicy: 'Never', ...spec }, uid(n)), ['--network', 'none']);
  expectClean(roots, [uid(n)]);
  return res;
}

describe('a pod that cannot start', () => {
  test('missing image: 125, names the image and how to get it', async () => {
    const res = await failing({ containers: [{ name: 'c', image: 'no-such-image:1.0', command: ['true'] }] }, 1);
    expect(res.code).toBe(125);
    expect(res.stderr).toMatch(
      /^tspod: container "c": ErrImagePull: image "no-such-image:1.0" is not in the store .*, and pulling it failed: registry docker.io is blocked/m,
    );
  });

  test('command not found: 127, and the pod is torn down', async () => {
    const res = await failing({ containers: [{ name: 'c', image: 'busybox', command: ['/no/such/command'] }] }, 2);
    expect(res.code).toBe(127);
    expect(res.stderr).toMatch(/container "c": command not found.*ENOENT.*execve '\/no\/such\/command'/);
  });

  test('command not executable: 126', async () => {
    const res = await failing({ containers: [{ name: 'c', image: 'busybox', command: ['/etc/passwd'] }] }, 3);
    expect(res.code).toBe(126);
    expect(res.stderr).toMatch(/container "c": command cannot be executed.*EACCES/);
  });

  test('a command not in PATH: 127', async () => {
    const res = await failing({ containers: [{ name: 'c', image: 'busybox', command: ['no-such-program'] }] }, 4);
    expect(res.code).toBe(127);
  });

  test('hostPath of the wrong type: 125 naming the volume, nothing started', async () => {
    const file = path.join(roots.dir, 'a-file');
    fs.writeFileSync(file, '');
    const res = await failing(
      {
        volumes: [{ name: 'data', hostPath: { path: file, type: 'Directory' } }],
        containers: [
          { name: 'c', image: 'busybox', command: ['true'], volumeMounts: [{ name: 'data', mountPath: '/data' }] },
        ],
      },
      5,
    );
    expect(res.code).toBe(125);
    expect(res.stderr).toContain(`hostPath volume "data" (${file}): is not a directory (type Directory)`);
  });

  test('a failing mount undoes the infra, volumes and the other containers', async () => {
    const dir = fs.mkdtempSync(path.join(roots.dir, 'hp-'));
    fs.writeFileSync(path.join(dir, 'a-file'), '');
    const res = await failing(
      {
        volumes: [
          { name: 'm', emptyDir: { medium: 'Memory' } },
          { name: 'gone', hostPath: { path: dir, type: 'Directory' } },
        ],
        containers: [
          { name: 'ok', image: 'busybox', command: ['sleep', '30'], volumeMounts: [{ name: 'm', mountPath: '/m' }] },
          // the subPath goes through a regular file: the bind fails in the child, after "ok" started
          {
            name: 'broken',
            image: 'busybox',
            command: ['true'],
            volumeMounts: [{ name: 'gone', mountPath: '/gone', subPath: 'a-file/x' }],
          },
        ],
      },
      6,
    );
    expect(res.code).toBe(125);
    expect(res.stderr).toMatch(
      /^tspod: container "broken": step \d+ \(bind \/gone\) failed: ENOTDIR: not a directory, openat2 'a-file\/x'$/m,
    );
    expect(cgroupsOf(uid(6))).toEqual([]);
  });

  test('an invalid manifest: 125 with the field path', async () => {
    const res = await runPod(
      roots,
      pod('bad', { containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }] }),
    );
    expect(res.code).toBe(125);
    expect(res.stderr).toContain(
      'spec.containers[0].volumeMounts[0].name: volume "nope" is not defined in spec.volumes',
    );
  });

  test('a name already in use: the second run fails, the first is untouched', async () => {
    const first = runPod(
      roots,
      pod('twice', {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'sleep 1; echo first-done'] }],
      }),
      ['--network', 'none'],
    );
    await new Promise((r) => setTimeout(r, 300));
    const second = await runPod(
      roots,
      pod('twice', { containers: [{ name: 'c', image: 'busybox', command: ['true'] }] }),
      ['--network', 'none'],
    );
    expect(second.code).toBe(125);
    expect(second.stderr).toContain('pod "twice" already exists');
    const res = await first;
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('c | first-done');
    expectClean(roots);
  });
});
