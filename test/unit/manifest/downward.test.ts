/**
 * The downward API without root: field paths (env and volume rules), labels and annotations as
 * the kubelet formats them, resourceFieldRef with divisors and the node's allocatable standing in
 * for a missing limit.
 */
import { describe, expect, test } from 'vitest';
import {
  fieldValue,
  formatMap,
  goQuote,
  resourceValue,
  type Allocatable,
  type FieldFacts,
} from '../../../src/manifest/downward.js';
import { resolveProcess, validatePod, ManifestError, type Container } from '../../../src/manifest/index.js';

const node: Allocatable = { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, ephemeralStorageBytes: 100 * 10 ** 9 };
const facts: FieldFacts = {
  podName: 'web',
  namespace: 'prod',
  uid: 'u-1',
  labels: { zone: 'us-est-coast', cluster: 'test-cluster1', rack: 'rack-22' },
  annotations: { build: 'two', builder: 'john-doe', 'x/quote': 'say "hi"\n' },
  podIP: '10.88.0.5',
  podIPs: ['10.88.0.5', 'fd00::5'],
  hostIP: '192.168.1.10',
  nodeName: 'host-1',
  serviceAccountName: 'default',
};

function pod(containers: object[]) {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'x' } }, spec: { containers } };
}
const issuesOf = (m: object) => {
  try {
    validatePod(m);
    return [];
  } catch (err) {
    return (err as ManifestError).issues.map((i) => `${i.path}: ${i.message}`);
  }
};

describe('field paths', () => {
  test('values, subscripts, the whole maps', () => {
    expect(fieldValue("metadata.labels['rack']", facts)).toBe('rack-22');
    expect(fieldValue("metadata.annotations['nope']", facts)).toBe('');
    expect(fieldValue('status.podIPs', facts)).toBe('10.88.0.5,fd00::5');
    expect(fieldValue('status.hostIPs', facts)).toBe('192.168.1.10');
    expect(fieldValue('metadata.labels', facts)).toBe('cluster="test-cluster1"\nrack="rack-22"\nzone="us-est-coast"');
  });

  test('Go %q quoting of annotation values', () => {
    expect(goQuote('say "hi"\n\t\\ é\x01\x7f')).toBe('"say \\"hi\\"\\n\\t\\\\ é\\x01\\x7f"');
    expect(formatMap({})).toBe('');
  });

  test('env accepts subscripts and addresses; the whole maps only in volumes', () => {
    const env = (fieldPath: string) =>
      issuesOf(pod([{ name: 'c', image: 'busybox', env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath } } }] }]));
    expect(env("metadata.labels['app']")).toEqual([]);
    expect(env('status.podIPs')).toEqual([]);
    expect(env('metadata.labels')[0]).toContain('only for downwardAPI volume files');
    expect(env("metadata.labels['bad key']")[0]).toContain('invalid field path');
    expect(env('spec.hostname')[0]).toContain('invalid field path "spec.hostname"');
  });
});

describe('resourceFieldRef', () => {
  const c = (resources: object) =>
    validatePod(pod([{ name: 'c', image: 'busybox', resources }])).pod.spec.containers[0]!;
  const v = (ct: Container, resource: string, divisor?: string) =>
    resourceValue({ resource, ...(divisor ? { divisor } : {}) }, ct, node);

  test('divided and rounded up, as the kubelet does', () => {
    const ct = c({ limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '250m', memory: '32Mi' } });
    expect(v(ct, 'limits.cpu')).toBe('1');
    expect(v(ct, 'limits.cpu', '1m')).toBe('500');
    expect(v(ct, 'requests.cpu', '1m')).toBe('250');
    expect(v(ct, 'limits.memory')).toBe(String(64 * 2 ** 20));
    expect(v(ct, 'limits.memory', '1Mi')).toBe('64');
    expect(v(ct, 'requests.memory', '1M')).toBe('34');
  });

  test("no limit: the node's allocatable; no request: 0", () => {
    const ct = c({});
    expect(v(ct, 'limits.cpu')).toBe('4');
    expect(v(ct, 'limits.memory', '1Gi')).toBe('8');
    expect(v(ct, 'limits.ephemeral-storage', '1G')).toBe('100');
    expect(v(ct, 'requests.cpu')).toBe('0');
    expect(v(ct, 'requests.memory')).toBe('0');
  });

  test('in env, from the reader or a named container', () => {
    const m = pod([
      {
        name: 'a',
        image: 'busybox',
        resources: { limits: { memory: '128Mi' } },
        env: [
          { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
          {
            name: 'B_CPU',
            valueFrom: { resourceFieldRef: { containerName: 'b', resource: 'requests.cpu', divisor: '1m' } },
          },
        ],
      },
      { name: 'b', image: 'busybox', resources: { requests: { cpu: '0.3' } } },
    ]);
    const p = validatePod(m).pod;
    const env = resolveProcess(
      p.spec.containers[0]!,
      { Cmd: ['sh'] },
      { ...facts, allocatable: node, containers: p.spec.containers },
    ).env;
    expect(env).toContain('MEM=128');
    expect(env).toContain('B_CPU=300');
  });

  test('refused: a divisor the API server does not allow, an unknown resource, an unknown container', () => {
    const env = (ref: object) =>
      issuesOf(pod([{ name: 'c', image: 'busybox', env: [{ name: 'X', valueFrom: { resourceFieldRef: ref } }] }]));
    expect(env({ resource: 'limits.cpu', divisor: '1Mi' })[0]).toContain(
      'invalid divisor "1Mi" for limits.cpu: must be one of 1m, 1',
    );
    expect(env({ resource: 'limits.memory', divisor: '3' })[0]).toContain('invalid divisor "3"');
    expect(env({ resource: 'limits.memory', divisor: '1k' })).toEqual([]);
    expect(env({ resource: 'limits.gpu' })[0]).toContain('resourceFieldRef.resource: invalid value "limits.gpu"');
    expect(env({ resource: 'limits.cpu', containerName: 'other' })).toEqual([
      'spec.containers[0].env[0].valueFrom.resourceFieldRef.containerName: container "other" is not in the pod',
    ]);
  });
});
