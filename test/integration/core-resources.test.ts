/**
 * resources.limits become cgroup limits: a container over its memory limit is killed by the
 * kernel and reported as OOMKilled (137), and the CPU limit is a CFS quota on the container's
 * cgroup. The container sees its own cgroup as the root (a private cgroup namespace).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  cgroupsOf,
  expectClean,
  linesOf,
  newRoots,
  pod,
  removeRoots,
  runPod,
  start,
  waitFor,
  type TestRoots,
} from './helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('res');
});
afterAll(() => removeRoots(roots));

function stateOf(name: string) {
  return JSON.parse(fs.readFileSync(path.join(roots.runRoot, 'pods', name, 'state.json'), 'utf8'));
}

function forget(name: string) {
  fs.rmSync(path.join(roots.runRoot, 'pods', name), { recursive: true });
  fs.rmSync(path.join(roots.root, 'pods', name), { recursive: true });
}

describe('resources', () => {
  test('over the memory limit: OOMKilled, exit 137', async () => {
    const res = await runPod(
      roots,
      pod('oom', {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'hog',
            image: 'busybox',
            command: ['sh', '-c', 'head -c 200000000 /dev/zero | tail > /dev/null'],
            resources: { limits: { memory: '16Mi' } },
          },
        ],
      }),
      ['--keep', '--network', 'none'],
    );
    expect(res.code).toBe(137);
    expect(stateOf('oom').status.containerStatuses[0].state.terminated).toMatchObject({
      exitCode: 137,
      reason: 'OOMKilled',
    });
    forget('oom');
    expectClean(roots);
  });

  test('limits are set on the container cgroup, which the container sees as its root', async () => {
    const uid = '0b1a8f2e-0000-4000-8000-00000000c001';
    const run = start(
      roots,
      ['run', '--network', 'none', '-'],
      JSON.stringify(
        pod(
          'limited',
          {
            containers: [
              {
                name: 'c',
                image: 'busybox',
                resources: { limits: { memory: '32Mi', cpu: '250m' } },
                command: [
                  'sh',
                  '-c',
                  'cat /proc/self/cgroup; echo "inside $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null)"; ' +
                    'echo 1 > /sys/fs/cgroup/cgroup.procs 2>/dev/null || echo cgroupfs-readonly; echo ready; exec sleep 60',
                ],
              },
            ],
            terminationGracePeriodSeconds: 2,
          },
          uid,
        ),
      ),
    );
    await waitFor('the container', () => run.output().includes('ready'));
    const dirs = cgroupsOf(uid).map((d) => path.join(d, 'c-0'));
    const read = (file: string) =>
      dirs
        .map((d) => path.join(d, file))
        .filter((f) => fs.existsSync(f))
        .map((f) => fs.readFileSync(f, 'utf8').trim());
    const memory = [...read('memory.limit_in_bytes'), ...read('memory.max')];
    const cpu = [...read('cpu.cfs_quota_us'), ...read('cpu.max').map((v) => v.split(' ')[0])];
    run.child.kill('SIGTERM');
    const res = await run.done;
    expect(memory).toContain(String(32 * 1024 * 1024));
    expect(cpu).toContain('25000');
    // From inside, /sys/fs/cgroup shows the container's own cgroup (its limit), read-only.
    expect(linesOf(res.stdout, 'c')).toContain(`inside ${32 * 1024 * 1024}`);
    expect(linesOf(res.stdout, 'c')).toContain('cgroupfs-readonly');
    // Inside, every hierarchy the container was placed in reads as "/".
    expect(
      linesOf(res.stdout, 'c')
        .filter((l) => /^\d+:[^:]*:/.test(l))
        .every((l) => l.endsWith(':/')),
    ).toBe(true);
    expectClean(roots, [uid]);
  });
});
