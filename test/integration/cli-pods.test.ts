/**
 * `ps`, `inspect` and `logs` on real pods, as a kubectl user reads them (issue 19): kubectl's
 * STATUS words as the pod goes through its init containers, crash-loops, completes, fails and is
 * stopped; the output formats and label selectors; the Pod object as the kubelet writes its status
 * (times to the second, started false when not running, no empty lists, a containerID without a
 * path); logs with --tail, --since, --since-time, --all-containers, --prefix and real timestamps.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import YAML from 'yaml';
import { pod, removeRoots, start, tspod, waitFor, type TestRoots } from './helpers.js';
import { busybox, expectNothingLeft, lifecycleRoots, readState, removeAll } from './lifecycle-helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = lifecycleRoots('pods');
});
afterEach(() => removeAll(roots));
afterAll(() => removeRoots(roots));

async function runDetached(manifest: object): Promise<void> {
  const res = await tspod(roots, ['run', '-d', '--network', 'none', '-'], JSON.stringify(manifest));
  expect(res.code, res.stderr).toBe(0);
}

async function runKept(manifest: object, status = 0): Promise<void> {
  const res = await tspod(roots, ['run', '--keep', '--network', 'none', '-'], JSON.stringify(manifest));
  expect(res.code, res.stderr).toBe(status);
}

/** The row of `tspod ps -a` for a pod, split into its cells (RESTARTS may be `3 (5s ago)`). */
async function psRow(name: string, extra: string[] = []): Promise<string[] | undefined> {
  const res = await tspod(roots, ['ps', '-a', '--no-headers', ...extra]);
  expect(res.code, res.stderr).toBe(0);
  const line = res.stdout.split('\n').find((l) => l.split(/\s+/)[0] === name);
  return line
    ?.replace(/ \((.+?) ago\)/, '_($1_ago)')
    .split(/\s+/)
    .map((c) => c.replace(/_/g, ' '));
}

const waitStatus = (name: string, status: string) =>
  waitFor(
    `pod "${name}" to show ${status}`,
    async () => {
      const row = await psRow(name);
      return row?.[2] === status ? row : undefined;
    },
    30_000,
  );

describe("ps: kubectl's columns and STATUS words", () => {
  test('Init:0/1 while the init container runs; then Running, and CrashLoopBackOff with restarts "N (Xs ago)"', async () => {
    // run -d returns once the app containers run: watch the init container from the side.
    const running = start(
      roots,
      ['run', '-d', '--network', 'none', '-'],
      JSON.stringify(
        pod('web', {
          terminationGracePeriodSeconds: 1,
          initContainers: [busybox('setup', 'sleep 4')],
          containers: [
            busybox('app', 'trap "exit 0" TERM; while true; do sleep 0.1; done'),
            busybox('crash', 'sleep 0.3; exit 1'),
          ],
        }),
      ),
    );
    const init = await waitStatus('web', 'Init:0/1');
    expect(init.slice(0, 2)).toEqual(['web', '0/2']);
    const header = (await tspod(roots, ['ps'])).stdout.split('\n')[0];
    expect(header).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect((await running.done).code).toBe(0);
    const looping = await waitStatus('web', 'CrashLoopBackOff');
    expect(looping[1]).toBe('1/2');
    const restarts = await waitFor(
      'a restart to be counted',
      async () => {
        const r = await psRow('web');
        return r && /^[1-9]\d* \(\d+s ago\)$/.test(r[3]) ? r[3] : undefined;
      },
      30_000,
    );
    expect(restarts).toMatch(/ago\)$/);
    const wide = await tspod(roots, ['ps', '-o', 'wide']);
    expect(wide.stdout.split('\n')[0]).toMatch(
      /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/,
    );
    expect(wide.stdout.split('\n')[1]).toMatch(/\s<none>\s+\S+\s+<none>\s+<none>$/);
    // In the object: the crash-looping container is not started; the running one is.
    const p = JSON.parse((await tspod(roots, ['inspect', 'web'])).stdout);
    const crash = p.status.containerStatuses.find((s: any) => s.name === 'crash');
    if ('waiting' in crash.state) expect(crash.state.waiting.reason).toBe('CrashLoopBackOff');
    if (!('running' in crash.state)) expect(crash.started).toBe(false);
    expect(p.status.containerStatuses.find((s: any) => s.name === 'app')).toMatchObject({ started: true, ready: true });
  });

  test('Completed, Error and, while its grace period runs, Terminating', async () => {
    await runKept(pod('done', { restartPolicy: 'Never', containers: [busybox('a', 'true')] }));
    await runKept(pod('failed', { restartPolicy: 'Never', containers: [busybox('a', 'exit 2')] }), 2);
    expect((await psRow('done'))?.slice(1, 4)).toEqual(['0/1', 'Completed', '0']);
    expect((await psRow('failed'))?.slice(1, 4)).toEqual(['0/1', 'Error', '0']);
    await runDetached(
      pod('slow', {
        terminationGracePeriodSeconds: 30,
        containers: [busybox('deaf', 'trap "" TERM; while true; do sleep 0.1; done')],
      }),
    );
    const state = readState(roots, 'slow');
    const stopping = start(roots, ['stop', '-t', '3', 'slow']);
    await waitStatus('slow', 'Terminating');
    const p = JSON.parse((await tspod(roots, ['inspect', 'slow'])).stdout);
    expect(p.metadata.deletionTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(p.metadata.deletionGracePeriodSeconds).toBe(3);
    expect((await stopping.done).code).toBe(0);
    expect((await psRow('slow'))?.[2]).toBe('Error');
    expect((await tspod(roots, ['rm', 'done', 'failed', 'slow'])).code).toBe(0);
    await expectNothingLeft(roots, [state]);
  });
});

describe('ps: formats and selectors', () => {
  test('-q, -o name, --no-headers, -l, -o json (a v1 List), -o yaml; bad ones are usage errors', async () => {
    const sleeper = (name: string, labels: Record<string, string>) => ({
      ...(pod(name, {
        terminationGracePeriodSeconds: 1,
        containers: [busybox('c', 'trap "exit 0" TERM; while true; do sleep 0.1; done')],
      }) as any),
      metadata: { name, labels },
    });
    await runDetached(sleeper('front', { app: 'web', tier: 'front' }));
    await runDetached(sleeper('back', { app: 'web', tier: 'back' }));
    await runDetached(sleeper('other', { app: 'db' }));
    const names = async (args: string[]) => {
      const res = await tspod(roots, ['ps', ...args]);
      expect(res.code, res.stderr).toBe(0);
      return res.stdout.split('\n').filter(Boolean).sort();
    };
    expect(await names(['-q'])).toEqual(['back', 'front', 'other']);
    expect(await names(['-o', 'name'])).toEqual(['pod/back', 'pod/front', 'pod/other']);
    expect(await names(['-q', '-l', 'app=web'])).toEqual(['back', 'front']);
    expect(await names(['-q', '-l', 'app==web,tier!=back'])).toEqual(['front']);
    expect(await names(['-q', '-l', 'tier'])).toEqual(['back', 'front']);
    expect(await names(['-q', '-l', '!tier'])).toEqual(['other']);
    expect(await names(['-q', '-l', 'tier in (back,middle)'])).toEqual(['back']);
    expect(await names(['-q', '-l', 'tier notin (back)'])).toEqual(['front', 'other']);
    expect(await names(['--no-headers', '-l', 'app=db'])).toEqual([
      expect.stringMatching(/^other\s+1\/1\s+Running\s+0\s+\d+s$/),
    ]);
    expect(await names(['--no-headers', '-l', 'app=nothing'])).toEqual([]);
    const list = JSON.parse((await tspod(roots, ['ps', '-o', 'json', '-l', 'app=web'])).stdout);
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' } });
    expect(list.items.map((p: any) => p.metadata.name).sort()).toEqual(['back', 'front']);
    expect(list.items[0]).toMatchObject({ apiVersion: 'v1', kind: 'Pod' });
    expect(JSON.parse((await tspod(roots, ['ps', '--json'])).stdout).kind).toBe('List');
    const yaml = YAML.parse((await tspod(roots, ['ps', '-o', 'yaml', '-l', 'app=db'])).stdout);
    expect(yaml.items.map((p: any) => p.metadata.labels)).toEqual([{ app: 'db' }]);
    for (const [args, msg] of [
      [['-o', 'table'], 'unknown output format "table"'],
      [['-l', '=web'], 'invalid label selector'],
      [['-l', 'a b'], 'unable to parse requirement'],
    ] as const) {
      const res = await tspod(roots, ['ps', ...args]);
      expect(res.code).toBe(125);
      expect(res.stderr.split('\n')[0]).toContain(msg);
      expect(res.stderr.split('\n')[1]).toMatch(/^Usage: tspod ps /);
    }
  });
});

describe('inspect: the Pod object as the kubelet writes its status', () => {
  test('times to the second, no empty lists, containerID tspod://<64 hex>; -o yaml; several pods are a List', async () => {
    await runKept(pod('one', { restartPolicy: 'Never', containers: [busybox('a', 'echo hi')] }));
    await runKept(
      pod('two', {
        restartPolicy: 'Never',
        initContainers: [busybox('i', 'true')],
        containers: [busybox('a', 'true')],
      }),
    );
    const res = await tspod(roots, ['inspect', 'one']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).not.toMatch(/\[\]/);
    expect(res.stdout).not.toMatch(/\d\d:\d\d:\d\d\.\d+Z/);
    const p = JSON.parse(res.stdout);
    expect(p.kind).toBe('Pod');
    expect('initContainerStatuses' in p.status).toBe(false);
    expect('initContainers' in p.spec).toBe(false);
    const a = p.status.containerStatuses[0];
    expect(a).toMatchObject({
      started: false,
      ready: false,
      state: { terminated: { exitCode: 0, reason: 'Completed' } },
    });
    expect(a.containerID).toMatch(/^tspod:\/\/[0-9a-f]{64}$/);
    expect(a.state.terminated.containerID).toBe(a.containerID);
    for (const t of [
      p.status.startTime,
      a.state.terminated.startedAt,
      a.state.terminated.finishedAt,
      ...p.status.conditions.map((c: any) => c.lastTransitionTime),
    ]) {
      expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    const yaml = YAML.parse((await tspod(roots, ['inspect', '-o', 'yaml', 'two'])).stdout);
    expect(yaml.status.initContainerStatuses.map((s: any) => s.name)).toEqual(['i']);
    expect(yaml.status.initContainerStatuses[0].containerID).not.toBe(yaml.status.containerStatuses[0].containerID);
    const both = JSON.parse((await tspod(roots, ['inspect', 'one', 'two'])).stdout);
    expect(both.kind).toBe('List');
    expect(both.items.map((i: any) => i.metadata.name)).toEqual(['one', 'two']);
    const partly = await tspod(roots, ['inspect', 'one', 'nosuch']);
    expect(partly.code).toBe(125);
    expect(JSON.parse(partly.stdout).items.map((i: any) => i.metadata.name)).toEqual(['one']);
    expect(partly.stderr).toBe('tspod: pod "nosuch" not found (see "tspod ps -a")\n');
  });
});

describe('logs as kubectl reads them', () => {
  test('--tail, --since, --since-time, --all-containers, --prefix, --timestamps with the real time', async () => {
    const before = Date.now();
    await runKept(
      pod('talk', {
        restartPolicy: 'Never',
        initContainers: [busybox('prep', 'echo prepared')],
        containers: [
          busybox('a', 'for i in 1 2 3 4 5; do echo a$i; sleep 0.2; done'),
          busybox('b', 'echo b1; echo b2 >&2'),
        ],
      }),
    );
    const after = Date.now();
    const logs = async (args: string[]) => {
      const res = await tspod(roots, ['logs', 'talk', ...args]);
      expect(res.code, res.stderr).toBe(0);
      return res.stdout;
    };
    expect(await logs(['-c', 'a', '--tail', '2'])).toBe('a4\na5\n');
    expect(await logs(['-c', 'a', '--tail', '0'])).toBe('');
    expect(await logs(['-c', 'a', '--since-time', '2000-01-01T00:00:00Z'])).toBe('a1\na2\na3\na4\na5\n');
    expect(await logs(['-c', 'a', '--since-time', new Date(after + 60_000).toISOString()])).toBe('');
    expect(await logs(['-c', 'a', '--since', '1h'])).toBe('a1\na2\na3\na4\na5\n');
    const all = (await logs(['--all-containers', '--prefix'])).split('\n').filter(Boolean);
    expect(all).toContain('[pod/talk/prep] prepared');
    expect(all.filter((l) => l.startsWith('[pod/talk/a] '))).toEqual(
      ['a1', 'a2', 'a3', 'a4', 'a5'].map((x) => `[pod/talk/a] ${x}`),
    );
    expect(all.filter((l) => l.startsWith('[pod/talk/b] ')).sort()).toEqual(['[pod/talk/b] b1', '[pod/talk/b] b2']);
    expect(await logs(['--tail', '1', '--prefix', '-c', 'b'])).toMatch(/^\[pod\/talk\/b\] b[12]\n$/);
    // Real times with nanoseconds: within the run, and 0.2 s apart as the container slept.
    const stamped = (await logs(['-c', 'a', '--timestamps'])).split('\n').filter(Boolean);
    expect(stamped).toHaveLength(5);
    const ns = stamped.map((l) => {
      const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{9})Z a\d$/.exec(l);
      expect(m, l).not.toBeNull();
      return BigInt(Date.parse(`${m![1]}Z`)) * 1_000_000n + BigInt(m![2]);
    });
    expect(Number(ns[0] / 1_000_000n)).toBeGreaterThanOrEqual(before - 1000);
    expect(Number(ns[4] / 1_000_000n)).toBeLessThanOrEqual(after + 1000);
    // (A counter would put them nanoseconds apart; a busy host may read two lines late, together.)
    expect(Number(ns[4] - ns[0]) / 1e6).toBeGreaterThan(500);
    for (let i = 1; i < ns.length; i++) expect(Number(ns[i] - ns[i - 1]) / 1e6).toBeGreaterThan(5);
    for (const [args, msg] of [
      [['--since', '5x'], '--since "5x"'],
      [['--since-time', 'yesterday'], '--since-time "yesterday"'],
      [['--since', '1m', '--since-time', '2026-01-01T00:00:00Z'], 'at most one of'],
      [['-c', 'a', '--all-containers'], '-c and --all-containers'],
    ] as const) {
      const res = await tspod(roots, ['logs', 'talk', ...args]);
      expect(res.code).toBe(125);
      expect(res.stderr.split('\n')[0]).toContain(msg);
    }
    expect((await tspod(roots, ['rm', 'talk'])).code).toBe(0);
  });
});
