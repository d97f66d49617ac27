/**
 * Admission on this node, through the CLI with real pods: a pod that does not fit what is left is
 * refused before anything of it exists (no directory, cgroup or process), with the kubelet's reason
 * and a line per resource; pods that fit start and see this node's name from inside. The node is
 * the test's own configuration (TSPOD_NODE_CONFIG): 2 CPUs, 1Gi, no eviction threshold.
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
  processesWith,
  removeRoots,
  runPod,
  tspod,
  type TestRoots,
} from './helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('admission');
  const config = path.join(roots.dir, 'node.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      name: 'test-node',
      labels: { disktype: 'ssd' },
      taints: [{ key: 'dedicated', value: 'lab', effect: 'NoSchedule' }],
      capacity: { cpu: '2', memory: '1Gi' },
      evictionHard: {},
    }),
  );
  roots.env = { ...roots.env, TSPOD_NODE_CONFIG: config };
});
afterAll(() => removeRoots(roots));

const tolerant = { tolerations: [{ key: 'dedicated', operator: 'Exists' }] };
const sleeper = (marker: string, requests: object) => ({
  name: 'c',
  image: 'busybox',
  command: ['sleep', marker],
  resources: { requests },
});
const ls = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);

describe('admission', () => {
  test('a second pod that does not fit while the first runs is refused, and nothing of it is made', async () => {
    const first = await runPod(
      roots,
      pod(
        'first',
        { ...tolerant, containers: [sleeper('3601', { memory: '600Mi', cpu: '1' })] },
        'a0000000-0000-4000-8000-000000000001',
      ),
      ['-d', '--network', 'none'],
    );
    expect(first.code, first.stderr).toBe(0);
    const second = await runPod(
      roots,
      pod(
        'second',
        { ...tolerant, containers: [sleeper('3602', { memory: '500Mi', cpu: '500m' })] },
        'a0000000-0000-4000-8000-000000000002',
      ),
      ['-d', '--network', 'none'],
    );
    expect(second.code).toBe(125);
    expect(second.stderr).toContain(
      `tspod: pod "second" was not admitted on node "test-node": OutOfmemory: Node didn't have enough resource: memory, requested: ${500 * 2 ** 20}, used: ${600 * 2 ** 20}, capacity: ${2 ** 30}`,
    );
    expect(second.stderr).toContain(
      '  memory: requested 500Mi, in use 600Mi by 1 pod, allocatable 1Gi: does not fit (424Mi left)',
    );
    expect(second.stderr).toContain('  cpu: requested 500m, in use 1 by 1 pod, allocatable 2: fits');
    expect(ls(path.join(roots.runRoot, 'pods'))).toEqual(['first']);
    expect(ls(path.join(roots.root, 'pods'))).toEqual(['first']);
    expect(cgroupsOf('a0000000-0000-4000-8000-000000000002')).toEqual([]);
    expect(processesWith('sleep 3602')).toEqual([]);
    // The first is untouched, and sees from inside the node it was bound to.
    const inside = await tspod(roots, ['exec', 'first', '--', 'cat', '/proc/1/cmdline']);
    expect(inside.stdout.replaceAll('\0', ' ').trim()).toBe('sleep 3601');
    expect((await tspod(roots, ['events', 'first'])).stdout).toContain(
      'Successfully assigned default/first to test-node',
    );
    expect((await tspod(roots, ['rm', '-f', 'first'])).code).toBe(0);
    // What the first held is free again.
    const now = await runPod(
      roots,
      pod('second', {
        ...tolerant,
        restartPolicy: 'Never',
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: ['sh', '-c', 'echo "node $NODE"'],
            env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
            resources: { requests: { memory: '500Mi' } },
          },
        ],
      }),
      ['--network', 'none'],
    );
    expect(now.code, now.stderr).toBe(0);
    expect(linesOf(now.stdout, 'c')).toEqual(['node test-node']);
    expectClean(
      roots,
      ['a0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002'],
      ['sleep 3601', 'sleep 3602'],
    );
  }, 60_000);

  test('two containers that together do not fit are refused together; --dry-run explains it', async () => {
    const pair = pod('pair', {
      ...tolerant,
      containers: [
        { ...sleeper('3603', { memory: '600Mi' }), name: 'a' },
        { ...sleeper('3604', { memory: '600Mi' }), name: 'b' },
      ],
    });
    const res = await runPod(roots, pair, ['--network', 'none']);
    expect(res.code).toBe(125);
    expect(res.stderr).toMatch(/OutOfmemory: .*requested: 1258291200, used: 0, capacity: 1073741824/);
    expect(processesWith('sleep 360')).toEqual([]);
    const dry = await runPod(roots, pair, ['--dry-run']);
    expect(dry.code).toBe(125);
    expect(dry.stdout).toContain('admission on node "test-node" (configured by');
    expect(dry.stdout).toContain(
      '  memory: requested 1200Mi, in use 0 by no pod, allocatable 1Gi: does not fit (1Gi left)',
    );
    expectClean(roots, [], ['sleep 3603', 'sleep 3604']);
  }, 60_000);

  test('two runs at the same moment cannot both take what only one fits in', async () => {
    const big = (name: string, marker: string) =>
      runPod(roots, pod(name, { ...tolerant, containers: [sleeper(marker, { cpu: '1500m' })] }), [
        '-d',
        '--network',
        'none',
      ]);
    const results = await Promise.all([big('race-a', '3605'), big('race-b', '3606')]);
    expect(results.map((r) => r.code).sort()).toEqual([0, 125]);
    expect(results.find((r) => r.code === 125)!.stderr).toContain('OutOfcpu');
    expect(ls(path.join(roots.runRoot, 'pods'))).toHaveLength(1);
    const winner = results[0]!.code === 0 ? 'race-a' : 'race-b';
    expect((await tspod(roots, ['rm', '-f', winner])).code).toBe(0);
    expectClean(roots, [], ['sleep 3605', 'sleep 3606']);
  }, 60_000);

  test('selector, affinity, taints, node name and gates: refused by name, or run', async () => {
    const run = (spec: object) =>
      runPod(
        roots,
        pod('sel', {
          restartPolicy: 'Never',
          containers: [{ name: 'c', image: 'busybox', command: ['true'] }],
          ...spec,
        }),
        ['--network', 'none'],
      );
    const untolerated = await run({});
    expect(untolerated.code).toBe(125);
    expect(untolerated.stderr).toContain("TaintToleration: node(s) had taints that the pod didn't tolerate");
    expect(untolerated.stderr).toContain('untolerated taint dedicated=lab:NoSchedule');
    const wrongDisk = await run({ ...tolerant, nodeSelector: { disktype: 'hdd' } });
    expect(wrongDisk.stderr).toContain("NodeAffinity: node(s) didn't match Pod's node affinity/selector");
    expect((await run({ ...tolerant, nodeName: 'elsewhere' })).stderr).toContain(
      'NodeName: nodeName is elsewhere, this node is test-node',
    );
    const gated = await run({ ...tolerant, schedulingGates: [{ name: 'example.com/wait' }] });
    expect(gated.code).toBe(125);
    expect(gated.stderr).toContain('SchedulingGated: Scheduling is blocked due to non-empty scheduling gates');
    const fits = await run({
      ...tolerant,
      nodeSelector: { disktype: 'ssd', 'kubernetes.io/os': 'linux' },
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['test-node'] }] }],
          },
        },
      },
    });
    expect(fits.code, fits.stderr).toBe(0);
    expectClean(roots);
  }, 60_000);

  test("pod-level resources: admitted by the pod's request, and its processes together held to its limit", async () => {
    const hog = {
      name: 'hog',
      image: 'busybox',
      command: ['sh', '-c', 'head -c 200000000 /dev/zero | tail > /dev/null'],
    };
    const calm = { name: 'calm', image: 'busybox', command: ['sh', '-c', 'echo calm'] };
    const tooBig = await runPod(
      roots,
      pod('podlevel', { ...tolerant, resources: { requests: { memory: '2Gi' } }, containers: [calm] }),
      ['--network', 'none'],
    );
    expect(tooBig.code).toBe(125);
    expect(tooBig.stderr).toContain('memory: requested 2Gi, in use 0 by no pod, allocatable 1Gi: does not fit');
    const res = await runPod(
      roots,
      pod('podlevel', {
        ...tolerant,
        restartPolicy: 'Never',
        resources: { limits: { memory: '32Mi' } },
        containers: [hog, calm],
      }),
      ['--network', 'none'],
    );
    // Neither container has a limit of its own: the pod's cgroup stops the hog (SIGKILL, 128+9).
    expect(res.code, res.stderr).toBe(137);
    expect(linesOf(res.stdout, 'calm')).toEqual(['calm']);
    expectClean(roots);
  }, 60_000);
});
