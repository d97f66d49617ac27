/**
 * Status details as the kubelet reports them, checked from inside the containers: the pod's QoS
 * class and the CPU weight its requests give each container's cgroup (read through the container's
 * own /sys/fs/cgroup), and the termination message, written by a container that is not root.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { linesOf, pod, removeRoots, runPod, waitFor, type TestRoots } from './helpers.js';
import {
  busybox,
  expectNothingLeft,
  inspect,
  lifecycleRoots,
  readState,
  removeAll,
  statusOf,
} from './lifecycle-helpers.js';
import { tspod } from './helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = lifecycleRoots('status');
});
afterEach(() => removeAll(roots));
afterAll(() => removeRoots(roots));

async function finish(name: string): Promise<void> {
  const state = readState(roots, name);
  expect((await tspod(roots, ['rm', '-f', name])).code).toBe(0);
  await expectNothingLeft(roots, [state]);
}

// The container's CPU weight as it sees it: v1 cpu.shares, or v2 cpu.weight.
const weight = 'cat /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null || echo "weight $(cat /sys/fs/cgroup/cpu.weight)"';

describe('QoS class and CPU weight', () => {
  test('Guaranteed, Burstable, BestEffort; shares from the request, 2 without one', async () => {
    const cases = [
      {
        name: 'qos-guaranteed',
        resources: { limits: { cpu: '500m', memory: '64Mi' } },
        qos: 'Guaranteed',
        shares: '512',
        weight: '20',
      },
      {
        name: 'qos-burstable',
        resources: { requests: { cpu: '250m' } },
        qos: 'Burstable',
        shares: '256',
        weight: '10',
      },
      { name: 'qos-besteffort', resources: {}, qos: 'BestEffort', shares: '2', weight: '1' },
    ];
    for (const c of cases) {
      const res = await runPod(
        roots,
        pod(c.name, { restartPolicy: 'Never', containers: [busybox('c', weight, { resources: c.resources })] }),
        ['--keep', '--network', 'none'],
      );
      expect(res.code, res.stderr).toBe(0);
      const out = linesOf(res.stdout, 'c');
      expect([[c.shares], [`weight ${c.weight}`]]).toContainEqual(out);
      expect((await inspect(roots, c.name)).status.qosClass).toBe(c.qos);
      await finish(c.name);
    }
  });
});

describe('termination message', () => {
  test('a non-root container writes /dev/termination-log (0666); its content is the terminated message', async () => {
    const script =
      'stat -c "mode %a" /dev/termination-log; id -u; echo "gave up: no config" > /dev/termination-log && exit 3';
    const res = await runPod(
      roots,
      pod('tmsg', {
        restartPolicy: 'Never',
        securityContext: { runAsUser: 10000, runAsGroup: 10000 },
        containers: [busybox('c', script)],
      }),
      ['--keep', '--network', 'none'],
    );
    expect(res.code, res.stderr).toBe(3);
    expect(linesOf(res.stdout, 'c')).toEqual(['mode 666', '10000']);
    expect(statusOf(await inspect(roots, 'tmsg'), 'c').state.terminated).toMatchObject({
      exitCode: 3,
      reason: 'Error',
      message: 'gave up: no config\n',
    });
    await finish('tmsg');
  });

  test('a custom path, and FallbackToLogsOnError takes the end of the log when the file is empty', async () => {
    const res = await runPod(
      roots,
      pod('tfall', {
        restartPolicy: 'Never',
        securityContext: { runAsUser: 10000 },
        containers: [
          busybox('custom', 'echo done > /tmp/why', { terminationMessagePath: '/tmp/why' }),
          busybox('fallback', 'echo first; echo last words >&2; exit 1', {
            terminationMessagePolicy: 'FallbackToLogsOnError',
          }),
          busybox('file', 'echo not used; exit 1'),
        ],
      }),
      ['--keep', '--network', 'none'],
    );
    expect(res.code, res.stderr).toBe(1);
    const p = await inspect(roots, 'tfall');
    expect(statusOf(p, 'custom').state.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
      message: 'done\n',
    });
    expect(statusOf(p, 'fallback').state.terminated).toMatchObject({ exitCode: 1, message: 'first\nlast words' });
    expect(statusOf(p, 'file').state.terminated.message).toBeUndefined();
    await finish('tfall');
  });
});

describe('CreateContainerConfigError', () => {
  type Ev = { type: string; reason: string; message: string; count: number; involvedObject: { fieldPath?: string } };
  const events = async (name: string): Promise<Ev[]> =>
    JSON.parse((await tspod(roots, ['events', name, '--json'])).stdout) as Ev[];

  test('a missing configMapKeyRef and runAsNonRoot with a root image: those containers wait, retried; the pod does not fail', async () => {
    const settings = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { LEVEL: 'debug' } };
    const manifest = pod('cfgerr', {
      containers: [
        busybox('ok', 'echo "level $LEVEL" > /tmp/level; exec sleep 600', {
          env: [{ name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'LEVEL' } } }],
        }),
        busybox('nokey', 'exec sleep 600', {
          env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'settings', key: 'nope' } } }],
        }),
        busybox('root', 'exec sleep 600', { securityContext: { runAsNonRoot: true } }),
      ],
    });
    const res = await tspod(
      roots,
      ['run', '-d', '--network', 'none', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [settings, manifest] }),
    );
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(
      'container "nokey": couldn\'t find key nope in ConfigMap default/settings: the container will wait in CreateContainerConfigError',
    );
    // The retries are events folded into one, its count growing.
    const evs = await waitFor('a retried start', async () => {
      const evs = await events('cfgerr');
      return evs.some(
        (e) => e.reason === 'Failed' && e.involvedObject.fieldPath === 'spec.containers{nokey}' && e.count >= 2,
      )
        ? evs
        : undefined;
    });
    const state = readState(roots, 'cfgerr');
    expect(evs).toContainEqual(
      expect.objectContaining({
        type: 'Warning',
        reason: 'Failed',
        message: "Error: couldn't find key nope in ConfigMap default/settings",
      }),
    );
    const p = await inspect(roots, 'cfgerr');
    expect(p.status.phase).toBe('Pending');
    expect(statusOf(p, 'nokey')).toMatchObject({
      ready: false,
      restartCount: 0,
      state: {
        waiting: {
          reason: 'CreateContainerConfigError',
          message: "couldn't find key nope in ConfigMap default/settings",
        },
      },
    });
    expect(statusOf(p, 'root')).toMatchObject({
      restartCount: 0,
      state: {
        waiting: {
          reason: 'CreateContainerConfigError',
          message: `container has runAsNonRoot and image will run as root (pod: "cfgerr_default(${state.uid})", container: root)`,
        },
      },
    });
    expect(evs.filter((e) => e.reason === 'Started').map((e) => e.involvedObject.fieldPath)).toEqual([
      'spec.containers{ok}',
    ]);
    // The one that could be configured runs, with its variable.
    expect(statusOf(p, 'ok').state.running).toBeDefined();
    expect((await tspod(roots, ['exec', 'cfgerr', '-c', 'ok', '--', 'cat', '/tmp/level'])).stdout).toBe(
      'level debug\n',
    );
    expect((await tspod(roots, ['ps'])).stdout).toMatch(/cfgerr +1\/3 +CreateContainerConfigError +0 /);
    await finish('cfgerr');
  });
});
