/**
 * The downward API and projected volumes from inside real pods: the Kubernetes documentation's
 * example pods (fieldRef and resourceFieldRef in env, downwardAPI volumes of labels, annotations
 * and resources, projected volumes of secrets, a configMap and downwardAPI items), a container
 * without limits reading the node's allocatable, a label and an annotation by subscript; the
 * service account token projection and automountServiceAccountToken refused by name.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectClean, linesOf, newRoots, removeRoots, runPod, tspod, type TestRoots } from './helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('downward');
});
afterAll(() => removeRoots(roots));

export const DOCS = path.join(import.meta.dirname, 'fixtures', 'docs');
const doc = (name: string) => path.join(DOCS, `${name}.yaml`);

/** The variables as the documentation's `printenv A B` prints them (Debian's busybox has no printenv). */
const printenv = (...names: string[]) => names.map((n) => `echo "$${n}"`).join('; ');

async function execIn(pod: string, script: string): Promise<string> {
  const res = await tspod(roots, ['exec', pod, '--', 'sh', '-c', script]);
  expect(res.code, res.stderr).toBe(0);
  return res.stdout;
}

describe('downward API in environment variables', () => {
  test("the documentation's dapi-envars pods print what the documentation shows", async () => {
    const res = await tspod(roots, [
      'run',
      '-d',
      '--network',
      'none',
      doc('dapi-envars-fieldref'),
      doc('dapi-envars-resourcefieldref'),
    ]);
    expect(res.code, res.stderr).toBe(0);
    try {
      expect(
        await execIn(
          'dapi-envars-fieldref',
          printenv('MY_NODE_NAME', 'MY_POD_NAME', 'MY_POD_NAMESPACE', 'MY_POD_SERVICE_ACCOUNT'),
        ),
      ).toBe(`${os.hostname()}\ndapi-envars-fieldref\ndefault\ndefault\n`);
      // The documentation: "1 1 33554432 67108864" (cpu 125m and 250m rounded up to whole cores).
      expect(
        await execIn(
          'dapi-envars-resourcefieldref',
          printenv('MY_CPU_REQUEST', 'MY_CPU_LIMIT', 'MY_MEM_REQUEST', 'MY_MEM_LIMIT'),
        ),
      ).toBe('1\n1\n33554432\n67108864\n');
    } finally {
      expect((await tspod(roots, ['rm', '-f', 'dapi-envars-fieldref', 'dapi-envars-resourcefieldref'])).code).toBe(0);
    }
    expectClean(roots);
  });

  test("no limits: the node's allocatable (every CPU, memory less the 100Mi eviction threshold); labels, annotations, divisors", async () => {
    const ref = (resource: string, divisor?: string, containerName?: string) => ({
      resourceFieldRef: { resource, ...(divisor ? { divisor } : {}), ...(containerName ? { containerName } : {}) },
    });
    const manifest = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'alloc',
        labels: { app: 'shop', tier: 'web' },
        annotations: { 'example.com/owner': 'ops team' },
      },
      spec: {
        restartPolicy: 'Never',
        initContainers: [
          { name: 'init', image: 'busybox', command: ['true'], resources: { limits: { memory: '48Mi' } } },
        ],
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: [
              'sh',
              '-c',
              'echo "cpu=$CPU mem=$MEM req=$REQ milli=$MILLI init=$INIT app=$APP owner=$OWNER ips=$IPS"; nproc',
            ],
            resources: { requests: { cpu: '100m' } },
            env: [
              { name: 'CPU', valueFrom: ref('limits.cpu') },
              { name: 'MEM', valueFrom: ref('limits.memory', '1Mi') },
              { name: 'REQ', valueFrom: ref('requests.memory') },
              { name: 'MILLI', valueFrom: ref('requests.cpu', '1m') },
              { name: 'INIT', valueFrom: ref('limits.memory', '1Mi', 'init') },
              { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
              { name: 'OWNER', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['example.com/owner']" } } },
              { name: 'IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
            ],
          },
        ],
      },
    };
    const res = await runPod(roots, manifest, ['--network', 'none']);
    expect(res.code, res.stderr).toBe(0);
    const mem = Math.ceil((os.totalmem() - 100 * 2 ** 20) / 2 ** 20);
    const [line, nproc] = linesOf(res.stdout, 'c');
    expect(line).toBe(`cpu=${os.cpus().length} mem=${mem} req=0 milli=100 init=48 app=shop owner=ops team ips=`);
    expect(nproc).toBe(String(os.cpus().length));
    expectClean(roots);
  });
});

describe('downwardAPI and projected volumes', () => {
  test("the documentation's downwardAPI volume pods: labels, annotations and resources as files", async () => {
    const res = await tspod(roots, [
      'run',
      '-d',
      '--network',
      'none',
      doc('dapi-volume'),
      doc('dapi-volume-resources'),
    ]);
    expect(res.code, res.stderr).toBe(0);
    try {
      const one = await execIn(
        'kubernetes-downwardapi-volume-example',
        [
          'cat /etc/podinfo/labels; echo; cat /etc/podinfo/annotations; echo',
          'readlink /etc/podinfo/labels; stat -Lc %a /etc/podinfo/labels',
          'grep " /etc/podinfo " /proc/self/mounts | cut -d" " -f4 | cut -d, -f1',
        ].join('; '),
      );
      expect(one).toBe(
        'cluster="test-cluster1"\nrack="rack-22"\nzone="us-est-coast"\nbuild="two"\nbuilder="john-doe"\n..data/labels\n644\nro\n',
      );
      const two = await execIn(
        'kubernetes-downwardapi-volume-example-2',
        'for f in cpu_limit cpu_request mem_limit mem_request; do cat /etc/podinfo/$f; echo; done',
      );
      expect(two).toBe('250\n125\n64\n32\n');
    } finally {
      expect(
        (
          await tspod(roots, [
            'rm',
            '-f',
            'kubernetes-downwardapi-volume-example',
            'kubernetes-downwardapi-volume-example-2',
          ])
        ).code,
      ).toBe(0);
    }
    expectClean(roots);
  });

  test("the documentation's projected volumes: two secrets; a secret, downwardAPI items and a configMap in one directory, on a tmpfs", async () => {
    const objects = path.join(roots.dir, 'all-in-one.yaml');
    fs.writeFileSync(
      objects,
      [
        'apiVersion: v1\nkind: Secret\nmetadata: {name: mysecret}\nstringData: {username: my-user}',
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: myconfigmap}\ndata: {config: "debug=true"}',
      ].join('\n---\n'),
    );
    const res = await tspod(roots, [
      'run',
      '-d',
      '--network',
      'none',
      '--secret',
      doc('projected-secrets'),
      '--secret',
      objects,
      doc('projected'),
      doc('projected-secret-downwardapi-configmap'),
    ]);
    expect(res.code, res.stderr).toBe(0);
    try {
      const one = await execIn(
        'test-projected-volume',
        [
          'cd /projected-volume; ls | tr "\\n" " "; echo; cat username.txt; echo; cat password.txt; echo',
          'grep " /projected-volume " /proc/self/mounts | cut -d" " -f3,4 | cut -d, -f1',
        ].join('; '),
      );
      expect(one).toBe('password.txt username.txt \nadmin\n1f2d1e2e67df\ntmpfs ro\n');
      const all = await execIn(
        'volume-test',
        [
          'cd /projected-volume; ls my-group | tr "\\n" " "; echo; cat my-group/my-username; echo; cat my-group/my-config; echo',
          'wc -c < labels; cat cpu_limit; echo',
        ].join('; '),
      );
      expect(all).toBe(`my-config my-username \nmy-user\ndebug=true\n0\n${os.cpus().length}\n`);
    } finally {
      expect((await tspod(roots, ['rm', '-f', 'test-projected-volume', 'volume-test'])).code).toBe(0);
    }
    expectClean(roots);
  });

  test('a service account token projection is refused by name, with the reason; nothing is made', async () => {
    const res = await tspod(roots, ['run', '--network', 'none', doc('projected-service-account-token')]);
    expect(res.code).toBe(125);
    expect(res.stderr).toContain(
      'spec.volumes[0].projected.sources[0].serviceAccountToken: not supported by tspod: needs an API server to issue a service account token (TokenRequest), and tspod has none (--ignore-unsupported runs the pod without it)',
    );
    expectClean(roots);
  });

  test('automountServiceAccountToken: unset mounts nothing; true is refused, or run without a token under --ignore-unsupported', async () => {
    const script = 'ls /var/run/secrets/kubernetes.io/serviceaccount 2>&1 | grep -c "No such file"';
    const manifest = (automount?: boolean) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'sa' },
      spec: {
        restartPolicy: 'Never',
        ...(automount !== undefined ? { automountServiceAccountToken: automount } : {}),
        containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', script] }],
      },
    });
    const unset = await runPod(roots, manifest(), ['--network', 'none']);
    expect(unset.code, unset.stderr).toBe(0);
    expect(linesOf(unset.stdout, 'c')).toEqual(['1']);
    const refused = await runPod(roots, manifest(true), ['--network', 'none']);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain(
      'spec.automountServiceAccountToken: not supported by tspod: needs an API server to issue the token it asks to mount, and tspod has none (--ignore-unsupported runs the pod without it)',
    );
    const ignored = await runPod(roots, manifest(true), ['--network', 'none', '--ignore-unsupported']);
    expect(ignored.code, ignored.stderr).toBe(0);
    expect(ignored.stderr).toContain(
      'spec.automountServiceAccountToken: not supported by tspod: needs an API server to issue the token it asks to mount, and tspod has none, ignored',
    );
    expect(linesOf(ignored.stdout, 'c')).toEqual(['1']);
    expectClean(roots);
  });
});
