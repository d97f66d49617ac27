/**
 * Workload kinds from inside real pods: a Deployment's replicas named and labelled as the
 * controllers name them (read through the downward API inside each pod), a StatefulSet pod's
 * hostname, a Job's completions run at most `parallelism` at a time (each pod writes when it runs
 * into a shared hostPath), a Job's backoffLimit stopping the retries; running a file again is
 * refused naming the pods, `--replace` replaces them, `tspod down` removes everything and the
 * host is clean.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cgroupsOf, expectClean, newRoots, removeRoots, tspod, waitFor, type TestRoots } from './helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('workloads');
});
afterAll(() => removeRoots(roots));

const ALPHA = '[bcdfghjklmnpqrstvwxz2456789]';
const file = (name: string, obj: object) => {
  const f = path.join(roots.dir, name);
  fs.writeFileSync(f, JSON.stringify(obj));
  return f;
};
const podinfo = {
  volumes: [
    {
      name: 'podinfo',
      downwardAPI: {
        items: [
          { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
          { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
        ],
      },
    },
  ],
};
const sleeper = (extra: object = {}) => ({
  ...podinfo,
  containers: [
    {
      name: 'c',
      image: 'busybox',
      command: ['sleep', '600'],
      volumeMounts: [{ name: 'podinfo', mountPath: '/etc/podinfo' }],
    },
  ],
  terminationGracePeriodSeconds: 2,
  ...extra,
});
const exec = async (pod: string, ...cmd: string[]) => {
  const r = await tspod(roots, ['exec', pod, '--', ...cmd]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
};
const names = (out: string) => out.split('\n').filter(Boolean);
const uidOf = async (pod: string) => JSON.parse((await tspod(roots, ['inspect', pod])).stdout).metadata.uid as string;
const jobsLeft = () =>
  fs.existsSync(path.join(roots.runRoot, 'jobs')) ? fs.readdirSync(path.join(roots.runRoot, 'jobs')) : [];

describe('a Deployment', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web', tier: 'front' } }, spec: sleeper() },
    },
  };

  test('makes its replicas, named and labelled by its controllers; a second run is refused; --replace; down', async () => {
    const f = file('deployment.json', deployment);
    const run = await tspod(roots, ['run', '-d', '--network', 'none', f]);
    expect(run.code, run.stderr).toBe(0);
    const pods = names(run.stdout);
    expect(pods).toHaveLength(2);
    const hash = new RegExp(`^web-(${ALPHA}{1,10})-${ALPHA}{5}$`).exec(pods[0]!)?.[1];
    expect(hash, pods[0]).toBeDefined();
    for (const p of pods) {
      expect(p).toMatch(new RegExp(`^web-${hash}-${ALPHA}{5}$`));
      // Seen from inside the pod: its own name and labels, as the downward API writes them.
      expect(await exec(p, 'cat', '/etc/podinfo/name')).toBe(p);
      expect((await exec(p, 'cat', '/etc/podinfo/labels')).split('\n').sort()).toEqual([
        'app="web"',
        `pod-template-hash="${hash}"`,
        'tier="front"',
      ]);
      expect((await exec(p, 'hostname')).trim()).toBe(p);
      const obj = JSON.parse((await tspod(roots, ['inspect', p])).stdout);
      expect(obj.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `web-${hash}`,
          uid: expect.any(String),
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }

    const again = await tspod(roots, ['run', '-d', '--network', 'none', f]);
    expect(again.code).toBe(125);
    expect(again.stderr).toContain(
      `already on this node: Deployment "web": ${[...pods]
        .sort()
        .map((p) => `"${p}"`)
        .join(', ')}; remove them with "tspod down FILE" or run the files again with --replace`,
    );

    const oldUids = await Promise.all(pods.map(uidOf));
    const replaced = await tspod(roots, ['run', '-d', '--replace', '--network', 'none', f]);
    expect(replaced.code, replaced.stderr).toBe(0);
    const fresh = names(replaced.stdout);
    expect(fresh).toHaveLength(2);
    expect(fresh.filter((p) => pods.includes(p))).toEqual([]);
    expect(replaced.stderr).toContain(`replaced: removed ${[...pods].sort().join(', ')}`);
    for (const uid of oldUids) expect(cgroupsOf(uid)).toEqual([]);
    const listed = names((await tspod(roots, ['ps', '-a', '-q'])).stdout).sort();
    expect(listed).toEqual([...fresh].sort());

    const uids = await Promise.all(fresh.map(uidOf));
    const down = await tspod(roots, ['down', f]);
    expect(down.code, down.stderr).toBe(0);
    expect(names(down.stdout).sort()).toEqual([...fresh].sort());
    expect(names((await tspod(roots, ['ps', '-a', '-q'])).stdout)).toEqual([]);
    expectClean(roots, uids);
    const nothing = await tspod(roots, ['down', f]);
    expect(nothing.code).toBe(0);
    expect(nothing.stderr).toContain('nothing of');
  });
});

describe('a StatefulSet', () => {
  test('pods NAME-0..N-1, in order, each its own hostname and identity labels', async () => {
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: {
        replicas: 2,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: sleeper() },
      },
    };
    const f = file('sts.json', sts);
    const run = await tspod(roots, ['run', '-d', '--network', 'none', f]);
    expect(run.code, run.stderr).toBe(0);
    expect(names(run.stdout)).toEqual(['db-0', 'db-1']);
    expect((await exec('db-0', 'hostname')).trim()).toBe('db-0');
    expect(await exec('db-1', 'cat', '/etc/podinfo/labels')).toMatch(
      /apps\.kubernetes\.io\/pod-index="1"[\s\S]*statefulset\.kubernetes\.io\/pod-name="db-1"/,
    );
    const uids = [await uidOf('db-0'), await uidOf('db-1')];
    const down = await tspod(roots, ['down', f]);
    expect(down.code, down.stderr).toBe(0);
    expect(names(down.stdout)).toEqual(['db-0', 'db-1']);
    expectClean(roots, uids);
  });
});

describe('a DaemonSet', () => {
  test('one pod on this node, NAME-XXXXX, with the revision labels', async () => {
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { metadata: { labels: { app: 'agent' } }, spec: sleeper() },
      },
    };
    const f = file('ds.json', ds);
    const run = await tspod(roots, ['run', '-d', '--network', 'none', f]);
    expect(run.code, run.stderr).toBe(0);
    const [p, ...rest] = names(run.stdout);
    expect(rest).toEqual([]);
    expect(p).toMatch(new RegExp(`^agent-${ALPHA}{5}$`));
    expect(await exec(p!, 'cat', '/etc/podinfo/labels')).toMatch(
      new RegExp(`app="agent"\ncontroller-revision-hash="${ALPHA}+"\npod-template-generation="1"`),
    );
    const uids = [await uidOf(p!)];
    const down = await tspod(roots, ['down', f]);
    expect(down.code, down.stderr).toBe(0);
    expect(names(down.stdout)).toEqual([p]);
    expectClean(roots, uids);
  });
});

describe('a Job', () => {
  test('completions 3, parallelism 2: three pods succeed, never more than two at once; kept with --keep until down', async () => {
    const shared = path.join(roots.dir, 'job-shared');
    fs.mkdirSync(shared);
    const script =
      'echo "start $(cat /etc/podinfo/name)" >> /shared/log; sleep 2; echo "end $(cat /etc/podinfo/name)" >> /shared/log; echo done';
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pi' },
      spec: {
        completions: 3,
        parallelism: 2,
        template: {
          spec: {
            ...podinfo,
            restartPolicy: 'Never',
            volumes: [...podinfo.volumes, { name: 'shared', hostPath: { path: shared } }],
            containers: [
              {
                name: 'c',
                image: 'busybox',
                command: ['sh', '-c', script],
                volumeMounts: [
                  { name: 'podinfo', mountPath: '/etc/podinfo' },
                  { name: 'shared', mountPath: '/shared' },
                ],
              },
            ],
          },
        },
      },
    };
    const f = file('job.json', job);
    const run = await tspod(roots, ['run', '--keep', '--network', 'none', f]);
    expect(run.code, run.stderr).toBe(0);
    const pods = run.stdout.split('\n').filter((l) => new RegExp(`^pi-${ALPHA}{5}$`).test(l));
    expect(pods).toHaveLength(3);
    for (const p of pods) expect(run.stdout).toContain(`[pod/${p}/c] done`);
    expect(run.stderr).toContain('job "pi" completed: CompletionsReached');
    // From the pods' own record of when they ran: at most two at once.
    let running = 0;
    let most = 0;
    const log = fs.readFileSync(path.join(shared, 'log'), 'utf8').trim().split('\n');
    for (const line of log) {
      running += line.startsWith('start ') ? 1 : -1;
      most = Math.max(most, running);
    }
    expect(
      log
        .filter((l) => l.startsWith('end '))
        .map((l) => l.slice(4))
        .sort(),
    ).toEqual([...pods].sort());
    expect(most).toBe(2);
    // Kept: listed as kubectl lists a finished Job's pods, until down.
    const ps = (await tspod(roots, ['ps', '-a', '-l', 'job-name=pi', '--no-headers'])).stdout.trim().split('\n');
    expect(ps.map((l) => l.split(/\s+/)[0]).sort()).toEqual([...pods].sort());
    for (const l of ps) expect(l.split(/\s+/)[2]).toBe('Completed');
    expect(jobsLeft()).toEqual(['pi']);
    const uids = await Promise.all(pods.map(uidOf));
    const down = await tspod(roots, ['down', f]);
    expect(down.code, down.stderr).toBe(0);
    expect(names(down.stdout).sort()).toEqual([...pods].sort());
    expect(jobsLeft()).toEqual([]);
    expectClean(roots, uids);
  }, 120_000);

  test('in the foreground without --keep, a Job and its pods are gone once it completed', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'once' },
      spec: {
        template: {
          spec: {
            restartPolicy: 'OnFailure',
            containers: [{ name: 'c', image: 'busybox', command: ['echo', 'hello'] }],
          },
        },
      },
    };
    const run = await tspod(roots, ['run', '--network', 'none', file('once.json', job)]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^\\[pod/once-${ALPHA}{5}/c\\] hello$`, 'm'));
    expect(names((await tspod(roots, ['ps', '-a', '-q'])).stdout)).toEqual([]);
    expect(jobsLeft()).toEqual([]);
    expectClean(roots);
  }, 60_000);

  test('backoffLimit 1: one retry after the back-off, then Failed; down removes the Job and its pods', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'fail' },
      spec: {
        backoffLimit: 1,
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'exit 3'] }],
          },
        },
      },
    };
    const f = file('fail.json', job);
    const run = await tspod(roots, ['run', '-d', '--network', 'none', f]);
    expect(run.code, run.stderr).toBe(0);
    expect(names(run.stdout)).toHaveLength(1);
    const record = path.join(roots.runRoot, 'jobs', 'fail', 'job.json');
    const rec = await waitFor(
      'the job to fail',
      () => {
        const r = JSON.parse(fs.readFileSync(record, 'utf8'));
        return r.status.outcome ? r : undefined;
      },
      60_000,
    );
    expect(rec.status).toMatchObject({
      failed: 2,
      succeeded: 0,
      active: 0,
      outcome: { type: 'Failed', reason: 'BackoffLimitExceeded' },
    });
    // Exactly the two pods, both failed with the container's status, selected by the Job's label.
    const listed = names((await tspod(roots, ['ps', '-a', '-q', '-l', 'job-name=fail'])).stdout).sort();
    expect(listed).toEqual([...rec.pods].sort());
    const second = JSON.parse((await tspod(roots, ['inspect', rec.pods[1]])).stdout);
    expect(second.status.containerStatuses[0].state.terminated.exitCode).toBe(3);
    const started = (n: number) =>
      Date.parse(
        JSON.parse(fs.readFileSync(path.join(roots.runRoot, 'pods', rec.pods[n], 'state.json'), 'utf8')).createdAt,
      );
    expect(started(1) - started(0)).toBeGreaterThanOrEqual(10_000);

    const refused = await tspod(roots, ['run', '-d', '--network', 'none', f]);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain('already on this node: Job "fail"');
    const uids = await Promise.all(rec.pods.map(uidOf));
    const down = await tspod(roots, ['down', f]);
    expect(down.code, down.stderr).toBe(0);
    expect(names(down.stdout).sort()).toEqual([...rec.pods].sort());
    expect(jobsLeft()).toEqual([]);
    expectClean(roots, uids);
  }, 120_000);

  test("--replace and down stop a running Job's controller first: no pod is made after", async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'long' },
      spec: {
        completions: 5,
        template: {
          spec: {
            restartPolicy: 'Never',
            terminationGracePeriodSeconds: 2,
            containers: [{ name: 'c', image: 'busybox', command: ['sleep', '600'] }],
          },
        },
      },
    };
    const f = file('long.json', job);
    const first = names((await tspod(roots, ['run', '-d', '--network', 'none', f])).stdout);
    expect(first).toHaveLength(1);
    const controller = JSON.parse(fs.readFileSync(path.join(roots.runRoot, 'jobs', 'long', 'job.json'), 'utf8'))
      .controller.pid as number;
    const replaced = await tspod(roots, ['run', '-d', '--replace', '--network', 'none', f]);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stderr).toContain(`replaced: removed ${first[0]}`);
    // Gone (or a zombie its new parent has not reaped yet): it runs no more.
    const state = fs.existsSync(`/proc/${controller}/stat`)
      ? fs.readFileSync(`/proc/${controller}/stat`, 'utf8').replace(/^.*\) /s, '')[0]
      : 'gone';
    expect(['gone', 'Z']).toContain(state);
    const second = names(replaced.stdout);
    expect(second).toHaveLength(1);
    expect(second[0]).not.toBe(first[0]);
    const uids = [await uidOf(second[0]!)];
    const down = await tspod(roots, ['down', f]);
    expect(down.code, down.stderr).toBe(0);
    expect(names(down.stdout)).toEqual(second);
    // Nothing the stopped controller could have made afterwards.
    await new Promise((r) => setTimeout(r, 1500));
    expect(names((await tspod(roots, ['ps', '-a', '-q'])).stdout)).toEqual([]);
    expect(jobsLeft()).toEqual([]);
    expectClean(roots, uids);
  }, 60_000);

  test('activeDeadlineSeconds: the running pod is stopped, the Job Failed (DeadlineExceeded)', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'late' },
      spec: {
        activeDeadlineSeconds: 3,
        template: {
          spec: {
            restartPolicy: 'Never',
            terminationGracePeriodSeconds: 2,
            containers: [{ name: 'c', image: 'busybox', command: ['sleep', '600'] }],
          },
        },
      },
    };
    const run = await tspod(roots, ['run', '--network', 'none', file('late.json', job)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('job "late" failed: DeadlineExceeded: Job was active longer than specified deadline');
    expect(names((await tspod(roots, ['ps', '-a', '-q'])).stdout)).toEqual([]);
    expect(jobsLeft()).toEqual([]);
    expectClean(roots);
  }, 60_000);

  test('ttlSecondsAfterFinished: the detached controller removes the finished Job and its pods', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'brief' },
      spec: {
        ttlSecondsAfterFinished: 1,
        template: {
          spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] },
        },
      },
    };
    const run = await tspod(roots, ['run', '-d', '--network', 'none', file('brief.json', job)]);
    expect(run.code, run.stderr).toBe(0);
    expect(names(run.stdout)).toHaveLength(1);
    await waitFor('the Job to be removed', () => jobsLeft().length === 0 || undefined, 30_000);
    expect(names((await tspod(roots, ['ps', '-a', '-q'])).stdout)).toEqual([]);
    expectClean(roots);
  }, 60_000);

  test('a CronJob is refused by name, nothing made', async () => {
    const cron = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'c' },
      spec: { schedule: '* * * * *', jobTemplate: {} },
    };
    const r = await tspod(roots, ['run', '-d', file('cron.json', cron)]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain(
      'kind "CronJob" is not supported: a CronJob needs a controller that creates Jobs on its schedule',
    );
    expectClean(roots);
  });
});
