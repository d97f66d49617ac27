/**
 * Workload kinds: validated as the API server validates them, their pods named and labelled as
 * their controllers make them (names, hashes, labels, ownerReferences), checked on the pods that
 * validation returns.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  ManifestError,
  loadObjects,
  validatePod,
  workloadPods,
  jobPod,
  podTemplateHash,
  generateName,
  randomSuffix,
  NAME_ALPHABET,
  type Workload,
} from '../../../src/manifest/index.js';
import { fnv32, fnv32a, safeEncodeString, canonicalJson } from '../../../src/manifest/workload-pods.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tspod-workloads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function load(text: string) {
  const file = path.join(dir, `w${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return loadObjects([{ source: file, role: 'any' }]);
}
async function issues(text: string): Promise<string> {
  const err = await load(text).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ManifestError);
  return (err as Error).message;
}

const template = (labels = '{app: web}', extra = '') =>
  `  template:\n    metadata: {labels: ${labels}}\n    spec:\n` +
  `      ${extra}containers: [{name: c, image: busybox, command: [sleep, "1000"]}]\n`;
const apps = (kind: string, spec = '  replicas: 2\n  selector: {matchLabels: {app: web}}\n', tmpl = template()) =>
  `apiVersion: apps/v1\nkind: ${kind}\nmetadata: {name: web}\nspec:\n${spec}${tmpl}`;
const job = (
  spec = '  completions: 3\n  parallelism: 2\n',
  tmpl = template('{app: pi}', 'restartPolicy: Never\n      '),
) =>
  `apiVersion: batch/v1\nkind: Job\nmetadata: {name: pi, uid: 0f0e0d0c-aaaa-bbbb-cccc-000000000001}\nspec:\n` +
  `${spec}${tmpl}`;

const pods = (w: Workload, rand?: (n: number) => number) =>
  workloadPods(w, { uid: 'u-1', rand }).map((p) => validatePod(p).pod);
const suffix = `[${NAME_ALPHABET}]`;

describe('the names controllers give', () => {
  test("FNV-32 and FNV-32a as Go's hash/fnv computes them", () => {
    expect(fnv32a(Buffer.from(''))).toBe(0x811c9dc5);
    expect(fnv32a(Buffer.from('a'))).toBe(0xe40c292c);
    expect(fnv32(Buffer.from('a'))).toBe(0x050c5d7e);
    expect(fnv32a(Buffer.from('foobar'))).toBe(0xbf9cf968);
  });

  test('SafeEncodeString maps each character by its code onto the alphabet', () => {
    // '0'..'3' are 48..51, and 48 % 27 = 21: the alphabet's "4567".
    expect(safeEncodeString('0123')).toBe('4567');
    expect(NAME_ALPHABET).toBe('bcdfghjklmnpqrstvwxz2456789');
  });

  test('generateName: 5 characters of the alphabet after a base cut to 58', () => {
    const seq = [0, 1, 2, 26, 3];
    let i = 0;
    expect(generateName('web-', () => seq[i++]!)).toBe('web-bcd9f');
    const long = generateName(`${'a'.repeat(70)}-`);
    expect(long).toMatch(new RegExp(`^a{58}${suffix}{5}$`));
    expect(randomSuffix(200)).toMatch(new RegExp(`^${suffix}{200}$`));
  });

  test('the pod-template-hash is the encoded decimal FNV-32a of the template, and follows it', () => {
    const t = { metadata: { labels: { app: 'web' } }, spec: { containers: [] } };
    expect(podTemplateHash(t)).toBe(safeEncodeString(String(fnv32a(Buffer.from(canonicalJson(t))))));
    expect(podTemplateHash({ spec: { containers: [] }, metadata: { labels: { app: 'web' } } })).toBe(
      podTemplateHash(t),
    );
    expect(podTemplateHash({ ...t, metadata: { labels: { app: 'db' } } })).not.toBe(podTemplateHash(t));
    expect(podTemplateHash(t)).toMatch(new RegExp(`^${suffix}{1,10}$`));
  });
});

describe('the pods of each kind', () => {
  test('a Deployment: NAME-HASH-XXXXX, pod-template-hash, owned by its ReplicaSet', async () => {
    const { workloads } = await load(apps('Deployment'));
    const w = workloads[0]!.workload;
    const got = pods(w);
    expect(got).toHaveLength(2);
    const hash = podTemplateHash(w.template);
    for (const p of got) {
      expect(p.metadata.name).toMatch(new RegExp(`^web-${hash}-${suffix}{5}$`));
      expect(p.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
      expect(p.metadata.ownerReferences).toEqual([
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
    expect(got[0]!.metadata.name).not.toBe(got[1]!.metadata.name);
  });

  test('replicas defaults to 1; a paused Deployment makes none', async () => {
    expect(
      pods((await load(apps('ReplicaSet', '  selector: {matchLabels: {app: web}}\n'))).workloads[0]!.workload),
    ).toHaveLength(1);
    expect(
      pods(
        (await load(apps('Deployment', '  paused: true\n  selector: {matchLabels: {app: web}}\n'))).workloads[0]!
          .workload,
      ),
    ).toHaveLength(0);
  });

  test('a ReplicaSet: NAME-XXXXX, owned by it', async () => {
    const w = (await load(apps('ReplicaSet'))).workloads[0]!.workload;
    const [p] = pods(w);
    expect(p!.metadata.name).toMatch(new RegExp(`^web-${suffix}{5}$`));
    expect(p!.metadata.labels).toEqual({ app: 'web' });
    expect(p!.metadata.ownerReferences![0]).toMatchObject({ kind: 'ReplicaSet', name: 'web', uid: 'u-1' });
  });

  test('a StatefulSet: NAME-0..N-1, its hostname and subdomain, identity labels, a claim per pod', async () => {
    const spec =
      '  replicas: 2\n  serviceName: nginx\n  selector: {matchLabels: {app: web}}\n' +
      '  volumeClaimTemplates:\n  - metadata: {name: www}\n' +
      '    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n';

    const w = (await load(apps('StatefulSet', spec))).workloads[0]!.workload;
    const got = pods(w);
    expect(got.map((p) => p.metadata.name)).toEqual(['web-0', 'web-1']);
    expect(got[1]!.spec.hostname).toBe('web-1');
    expect(got[1]!.spec.subdomain).toBe('nginx');
    expect(got[1]!.metadata.labels).toMatchObject({
      app: 'web',
      'statefulset.kubernetes.io/pod-name': 'web-1',
      'apps.kubernetes.io/pod-index': '1',
      'controller-revision-hash': expect.stringMatching(new RegExp(`^web-${suffix}+$`)),
    });
    expect(got[1]!.spec.volumes).toEqual([{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-1' } }]);
    expect(got[0]!.metadata.ownerReferences![0]).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      name: 'web',
    });
  });

  test('a StatefulSet counts from ordinals.start', async () => {
    const w = (
      await load(apps('StatefulSet', '  replicas: 2\n  ordinals: {start: 5}\n  selector: {matchLabels: {app: web}}\n'))
    ).workloads[0]!.workload;
    expect(pods(w).map((p) => p.metadata.name)).toEqual(['web-5', 'web-6']);
  });

  test('a DaemonSet: one pod on this node, revision labels, the daemon tolerations', async () => {
    const w = (await load(apps('DaemonSet', '  selector: {matchLabels: {app: web}}\n'))).workloads[0]!.workload;
    const got = pods(w);
    expect(got).toHaveLength(1);
    expect(got[0]!.metadata.name).toMatch(new RegExp(`^web-${suffix}{5}$`));
    expect(got[0]!.metadata.labels).toMatchObject({
      'pod-template-generation': '1',
      'controller-revision-hash': expect.stringMatching(new RegExp(`^${suffix}+$`)),
    });
    expect(got[0]!.spec.tolerations).toContainEqual({
      key: 'node.kubernetes.io/unschedulable',
      operator: 'Exists',
      effect: 'NoSchedule',
    });
  });

  test("a Job: NAME-XXXXX with the labels the API server adds, owned by the Job; the spec's defaults", async () => {
    const w = (await load(job())).workloads[0]!.workload;
    expect(w.job).toEqual({ parallelism: 2, completions: 3, backoffLimit: 6 });
    const p = validatePod(jobPod(w, { uid: w.metadata.uid! })).pod;
    expect(p.metadata.name).toMatch(new RegExp(`^pi-${suffix}{5}$`));
    expect(p.metadata.labels).toEqual({
      app: 'pi',
      'job-name': 'pi',
      'batch.kubernetes.io/job-name': 'pi',
      'controller-uid': w.metadata.uid,
      'batch.kubernetes.io/controller-uid': w.metadata.uid,
    });
    expect(p.metadata.ownerReferences![0]).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'Job',
      name: 'pi',
      uid: w.metadata.uid,
    });
    expect((await load(job(''))).workloads[0]!.workload.job).toEqual({
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
    });
    expect((await load(job('  parallelism: 3\n'))).workloads[0]!.workload.job).toEqual({
      parallelism: 3,
      backoffLimit: 6,
    });
  });
});

describe("the API server's checks", () => {
  test('the selector must choose the template labels', async () => {
    const msg = await issues(apps('Deployment', '  selector: {matchLabels: {app: db}}\n'));
    expect(msg).toMatch(
      new RegExp(
        String.raw`#?: spec\.template\.metadata\.labels: Invalid value: \{"app":"web"\}: ` +
          '`selector` does not match template `labels`',
      ),
    );
  });

  test('apps/v1 kinds need a selector, and not an empty one', async () => {
    expect(await issues(apps('ReplicaSet', '  replicas: 1\n'))).toMatch(/: spec\.selector: Required value/);
    expect(await issues(apps('StatefulSet', '  selector: {}\n'))).toMatch(
      /: spec\.selector: Invalid value: \{\}: empty selector is invalid for statefulset/,
    );
  });

  test("the template's restartPolicy: Always for apps/v1, Never or OnFailure for a Job", async () => {
    expect(
      await issues(
        apps(
          'Deployment',
          '  selector: {matchLabels: {app: web}}\n',
          template('{app: web}', 'restartPolicy: Never\n      '),
        ),
      ),
    ).toMatch(/spec\.template\.spec\.restartPolicy: Unsupported value: "Never": supported values: "Always"/);
    expect(await issues(job('', template('{app: pi}')))).toMatch(
      /spec\.template\.spec\.restartPolicy: Required value: valid values: "OnFailure", "Never"/,
    );
    expect(await issues(job('', template('{app: pi}', 'restartPolicy: Always\n      ')))).toMatch(
      /Unsupported value: "Always": supported values: "OnFailure", "Never"/,
    );
  });

  test("a Job's selector is generated unless manualSelector", async () => {
    expect(await issues(job('  selector: {matchLabels: {app: pi}}\n'))).toMatch(
      /spec\.selector: Invalid value: .*`selector` not auto-generated/,
    );
    await expect(load(job('  manualSelector: true\n  selector: {matchLabels: {app: pi}}\n'))).resolves.toBeTruthy();
  });

  test('template issues are named by their place in the workload', async () => {
    const msg = await issues(
      apps(
        'Deployment',
        '  selector: {matchLabels: {app: web}}\n',
        '  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: c}]\n',
      ),
    );
    expect(msg).toMatch(/: spec\.template\.spec\.containers\[0\]\.image: /);
  });

  test('a typo in a workload spec is a typo; unimplemented Job fields are refused by name', async () => {
    expect(await issues(apps('Deployment', '  replica: 2\n  selector: {matchLabels: {app: web}}\n'))).toMatch(
      /spec\.replica/,
    );
    expect(await issues(job('  completionMode: Indexed\n'))).toMatch(/spec\.completionMode/);
    expect(await issues(apps('Deployment').replace('apps/v1', 'extensions/v1beta1'))).toMatch(/apiVersion/);
  });

  test('a CronJob is refused by name, with the reason', async () => {
    const msg = await issues(
      'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {schedule: "* * * * *"}\n',
    );
    expect(msg).toMatch(
      /kind "CronJob" is not supported: a CronJob needs a controller that creates Jobs on its schedule/,
    );
  });
});
