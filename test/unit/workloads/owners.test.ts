/**
 * Which workload a pod belongs to, read from its controller reference as the garbage collector
 * reads it: a Deployment through its ReplicaSet NAME-<pod-template-hash>.
 */
import { describe, expect, test } from 'vitest';
import { validatePod, workloadPods, jobPod, type Pod, type Workload } from '../../../src/manifest/index.js';
import { ownerOf, sameOwner } from '../../../src/workloads/owners.js';

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
const workload = (kind: Workload['kind'], name = 'web', extra: Partial<Workload> = {}): Workload => ({
  kind,
  apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1',
  metadata: { name, namespace: 'default' },
  replicas: 1,
  template,
  ...(kind === 'Job'
    ? {
        job: { parallelism: 1, completions: 1, backoffLimit: 6 },
        template: { ...template, spec: { ...template.spec, restartPolicy: 'Never' } },
      }
    : {}),
  ...(kind === 'StatefulSet' ? { statefulSet: { parallel: false, start: 0, claims: [], deleteClaims: false } } : {}),
  ...extra,
});
const podOf = (w: Workload): Pod =>
  validatePod(w.kind === 'Job' ? jobPod(w, { uid: 'u' }) : workloadPods(w, { uid: 'u' })[0]!).pod;

describe('the owner of a pod', () => {
  test.each(['ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job'] as const)("a %s pod is its own kind's", (kind) => {
    expect(ownerOf(podOf(workload(kind)))).toEqual({ kind, name: 'web', namespace: 'default' });
  });

  test("a Deployment's pod is the Deployment's, through its ReplicaSet NAME-HASH", () => {
    expect(ownerOf(podOf(workload('Deployment', 'web-abc')))).toEqual({
      kind: 'Deployment',
      name: 'web-abc',
      namespace: 'default',
    });
  });

  test('a ReplicaSet whose name merely ends like a hash is still a ReplicaSet', () => {
    const p = podOf(workload('ReplicaSet', 'web-bcd'));
    expect(ownerOf(p)).toEqual({ kind: 'ReplicaSet', name: 'web-bcd', namespace: 'default' });
  });

  test('a pod without a controller reference has no owner; namespaces keep owners apart', () => {
    expect(
      ownerOf(validatePod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: template.spec }).pod),
    ).toBeUndefined();
    expect(sameOwner({ kind: 'Job', name: 'a', namespace: 'x' }, { kind: 'Job', name: 'a', namespace: 'y' })).toBe(
      false,
    );
  });
});
