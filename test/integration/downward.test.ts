/**
 * The downward API from inside real pods: the Kubernetes documentation's example pods (fieldRef
 * and resourceFieldRef in env), and a container without limits reading the node's allocatable,
 * a label and an annotation by subscript, a divisor.
 */
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
  test('the documentation\'s dapi-envars pods print what the documentation shows', async () => {
    const res = await tspod(roots, ['run', '-d', '--network', 'none', doc('dapi-envars-fieldref'), doc('dapi-envars-resourcefieldref')]);
    expect(res.code, res.stderr).toBe(0);
    try {
      expect(await execIn('dapi-envars-fieldref', printenv('MY_NODE_NAME', 'MY_POD_NAME', 'MY_POD_NAMESPACE', 'MY_POD_SERVICE_ACCOUNT')))
        .toBe(`${os.hostname()}\ndapi-envars-fieldref\ndefault\ndefault\n`);
      // The documentation: "1 1 33554432 67108864" (cpu 125m and 250m rounded up to whole cores).
      expect(await execIn('dapi-envars-resourcefieldref', printenv('MY_CPU_REQUEST', 'MY_CPU_LIMIT', 'MY_MEM_REQUEST', 'MY_MEM_LIMIT')))
        .toBe('1\n1\n33554432\n67108864\n');
    } finally {
      expect((await tspod(roots, ['rm', '-f', 'dapi-envars-fieldref', 'dapi-envars-resourcefieldref'])).code).toBe(0);
    }
    expectClean(roots);
  });

  test('no limits: the node\'s allocatable (every CPU, memory less the 100Mi eviction threshold); labels, annotations, divisors', async () => {
    const ref = (resource: string, divisor?: string, containerName?: string) => ({ resourceFieldRef: { resource, ...(divisor ? { divisor } : {}), ...(containerName ? { containerName } : {}) } });
    const manifest = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'alloc', labels: { app: 'shop', tier: 'web' }, annotations: { 'example.com/owner': 'ops team' } },
      spec: {
        restartPolicy: 'Never',
        initContainers: [{ name: 'init', image: 'busybox', command: ['true'], resources: { limits: { memory: '48Mi' } } }],
        containers: [{
          name: 'c', image: 'busybox',
          command: ['sh', '-c', 'echo "cpu=$CPU mem=$MEM req=$REQ milli=$MILLI init=$INIT app=$APP owner=$OWNER ips=$IPS"; nproc'],
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
        }],
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
