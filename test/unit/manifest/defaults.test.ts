/**
 * The API server's defaults, applied so the spec tspod runs is the spec a cluster would run.
 */
import { describe, expect, test } from 'vitest';
import { defaultPullPolicy, validatePod } from '../../../src/manifest/index.js';
import { basePod, type Json } from './helpers.js';

function defaulted(edit: (p: Json) => void = () => {}) {
  const pod = basePod();
  edit(pod);
  return validatePod(pod).pod;
}

describe('pod defaults', () => {
  test('as the API server applies them', () => {
    const { metadata, spec } = defaulted();
    expect(metadata.namespace).toBe('default');
    expect(spec).toMatchObject({
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      serviceAccountName: 'default',
      serviceAccount: 'default',
      securityContext: {},
      hostNetwork: false,
      hostPID: false,
      hostIPC: false,
      shareProcessNamespace: false,
      initContainers: [],
      hostAliases: [],
    });
  });

  test('given values are kept', () => {
    const { spec, metadata } = defaulted((p) => {
      p.metadata.namespace = 'team-a';
      Object.assign(p.spec, {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 0,
        dnsPolicy: 'Default',
        enableServiceLinks: false,
      });
    });
    expect(metadata.namespace).toBe('team-a');
    expect(spec).toMatchObject({
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      dnsPolicy: 'Default',
      enableServiceLinks: false,
    });
  });

  test('serviceAccount is the deprecated alias of serviceAccountName', () => {
    expect(defaulted((p) => (p.spec.serviceAccount = 'builder')).spec).toMatchObject({
      serviceAccountName: 'builder',
      serviceAccount: 'builder',
    });
    expect(defaulted((p) => (p.spec.serviceAccountName = 'runner')).spec).toMatchObject({
      serviceAccountName: 'runner',
      serviceAccount: 'runner',
    });
  });
});

describe('container defaults', () => {
  test('termination message, lists, resources', () => {
    const c = defaulted().spec.containers[1]!;
    expect(c).toMatchObject({
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      env: [],
      ports: [],
      resources: {},
    });
    expect(c).not.toHaveProperty('args');
    expect(c).not.toHaveProperty('workingDir');
  });

  test('imagePullPolicy follows the tag', () => {
    const spec = defaulted().spec;
    expect(spec.containers[0]!.imagePullPolicy).toBe('IfNotPresent'); // nginx:1.25
    expect(spec.containers[1]!.imagePullPolicy).toBe('Always'); // busybox
    expect(defaultPullPolicy('busybox:latest')).toBe('Always');
    expect(defaultPullPolicy('registry.local:5000/busybox')).toBe('Always');
    expect(defaultPullPolicy('registry.local:5000/busybox:1.36')).toBe('IfNotPresent');
    expect(defaultPullPolicy('busybox@sha256:' + 'a'.repeat(64))).toBe('IfNotPresent');
    // the API server's ParseImageName keeps the tag beside a digest: latest is still latest
    expect(defaultPullPolicy('busybox:latest@sha256:' + 'a'.repeat(64))).toBe('Always');
    expect(defaultPullPolicy('busybox:1.36@sha256:' + 'a'.repeat(64))).toBe('IfNotPresent');
    expect(defaultPullPolicy('localhost:5000/busybox@sha256:' + 'a'.repeat(64))).toBe('IfNotPresent');
    expect(defaulted((p) => (p.spec.containers[1].imagePullPolicy = 'Never')).spec.containers[1]!.imagePullPolicy).toBe(
      'Never',
    );
  });

  test('ports default to TCP; on the host network hostPort is the containerPort', () => {
    expect(defaulted().spec.containers[0]!.ports).toEqual([{ name: 'http', containerPort: 80, protocol: 'TCP' }]);
    expect(defaulted((p) => (p.spec.hostNetwork = true)).spec.containers[0]!.ports).toEqual([
      { name: 'http', containerPort: 80, hostPort: 80, protocol: 'TCP' },
    ]);
  });

  test('hostPort 0 is no host port', () => {
    expect(
      defaulted((p) => (p.spec.containers[0].ports[0].hostPort = 0)).spec.containers[0]!.ports[0],
    ).not.toHaveProperty('hostPort');
  });

  test('a request defaults to the limit, per resource', () => {
    const c = defaulted(
      (p) => (p.spec.containers[0].resources = { limits: { cpu: 1, memory: '64Mi' }, requests: { cpu: '250m' } }),
    ).spec.containers[0]!;
    expect(c.resources).toEqual({ limits: { cpu: '1', memory: '64Mi' }, requests: { cpu: '250m', memory: '64Mi' } });
  });

  test('fieldRef apiVersion defaults to v1', () => {
    const c = defaulted(
      (p) => (p.spec.containers[1].env = [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]),
    ).spec.containers[1]!;
    expect(c.env).toEqual([{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } } }]);
  });

  test('init containers get the same defaults', () => {
    const c = defaulted((p) => (p.spec.initContainers = [{ name: 'init', image: 'busybox:1.36' }])).spec
      .initContainers[0]!;
    expect(c).toMatchObject({
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      volumeMounts: [],
    });
  });
});

describe('volume defaults', () => {
  test('hostPath type defaults to ""', () => {
    const v = defaulted((p) => (p.spec.volumes[0] = { name: 'data', hostPath: { path: '/srv/data' } })).spec.volumes[0];
    expect(v).toEqual({ name: 'data', hostPath: { path: '/srv/data', type: '' } });
  });

  test('emptyDir is kept as written', () => {
    expect(defaulted().spec.volumes[0]).toEqual({ name: 'data', emptyDir: {} });
  });
});
