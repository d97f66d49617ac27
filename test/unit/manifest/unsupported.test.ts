/**
 * Fields outside what tspod implements: unsupported Kubernetes fields are refused by name (or,
 * when ignorable and asked to, dropped with a warning); names outside the v1 Pod schema are typos,
 * with a hint; server-set fields are dropped as the API server drops them.
 */
import { describe, expect, test } from 'vitest';
import { POD_SCHEMA, validatePod } from '../../../src/manifest/index.js';
import type { Node } from '../../../src/manifest/schema.js';
import { basePod, linesAfter, type Json } from './helpers.js';

describe('unsupported fields', () => {
  test('are errors that name the field', () => {
    expect(linesAfter((p) => (p.spec.containers[0].env = [{ name: 'A', valueFrom: { fileKeyRef: {} } }]))).toEqual([
      'spec.containers[0].env[0].valueFrom.fileKeyRef: not supported by tspod',
    ]);
    expect(linesAfter((p) => (p.spec.volumes[0] = { name: 'data', nfs: { server: 's', path: '/' } }))).toEqual([
      'spec.volumes[0].nfs: not supported by tspod',
    ]);
    expect(linesAfter((p) => (p.metadata.generateName = 'web-'))).toEqual([
      'metadata.generateName: not supported by tspod',
    ]);
    expect(linesAfter((p) => (p.spec.containers[0].volumeDevices = [{ name: 'd', devicePath: '/dev/xvda' }]))).toEqual([
      'spec.containers[0].volumeDevices: not supported by tspod',
    ]);
  });

  test('ignorable ones say how to run without them', () => {
    expect(
      linesAfter((p) => (p.spec.containers[0].resizePolicy = [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }])),
    ).toEqual([
      'spec.containers[0].resizePolicy: not supported by tspod (--ignore-unsupported runs the pod without it)',
    ]);
    expect(linesAfter((p) => (p.spec.readinessGates = [{ conditionType: 'example.com/ready' }]))).toEqual([
      'spec.readinessGates: not supported by tspod (--ignore-unsupported runs the pod without it)',
    ]);
  });

  test('with --ignore-unsupported, ignorable ones become warnings and are dropped', () => {
    const pod = basePod();
    pod.spec.readinessGates = [{ conditionType: 'example.com/ready' }];
    pod.spec.containers[0].resizePolicy = [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }];
    const result = validatePod(pod, { ignoreUnsupported: true });
    expect(result.warnings).toEqual([
      'spec.containers[0].resizePolicy: not supported by tspod, ignored',
      'spec.readinessGates: not supported by tspod, ignored',
    ]);
    expect(result.pod.spec).not.toHaveProperty('readinessGates');
    expect(result.pod.spec.containers[0]).not.toHaveProperty('resizePolicy');
  });

  test('with --ignore-unsupported, the others are still errors, and say so', () => {
    const lines = linesAfter(
      (p) => (p.spec.containers[0].securityContext = { windowsOptions: { runAsUserName: 'x' } }),
      {
        ignoreUnsupported: true,
      },
    );
    expect(lines).toEqual([
      'spec.containers[0].securityContext.windowsOptions: ' +
        'not supported by tspod (--ignore-unsupported does not apply: ' +
        'running without it could change what the pod may do)',
    ]);
  });

  test('values that mean the same as absence are accepted silently', () => {
    const pod = basePod();
    Object.assign(pod.spec, {
      tolerations: [],
      schedulerName: 'default-scheduler',
      hostUsers: true,
      priority: 0,
      nodeSelector: {},
    });
    Object.assign(pod.spec.containers[0], { stdin: false, tty: false, envFrom: [] });
    pod.spec.containers[0].securityContext = { procMount: 'Default' };
    expect(validatePod(pod).warnings).toEqual([]);
  });
});

describe('unknown fields', () => {
  test('are errors, with a hint when the name is close to a known one', () => {
    expect(
      linesAfter((p) => {
        p.spec.contianers = p.spec.containers;
        delete p.spec.containers;
      }),
    ).toEqual([
      'spec.contianers: unknown field, not in the Kubernetes v1 Pod schema (did you mean "containers"?)',
      'spec.containers: required',
    ]);
    expect(linesAfter((p) => (p.spec.containers[0].ImagePullPolicy = 'Always'))).toEqual([
      'spec.containers[0].ImagePullPolicy: unknown field, ' +
        'not in the Kubernetes v1 Pod schema (did you mean "imagePullPolicy"?)',
    ]);
    expect(linesAfter((p) => (p.spec.containers[0].volumeMounts[0].mountpath = '/x'))).toContain(
      'spec.containers[0].volumeMounts[0].mountpath: unknown field, ' +
        'not in the Kubernetes v1 Pod schema (did you mean "mountPath"?)',
    );
    expect(linesAfter((p) => (p.spec.volumes[0].emptydir = {}))).toContain(
      'spec.volumes[0].emptydir: unknown field, not in the Kubernetes v1 Pod schema (did you mean "emptyDir"?)',
    );
  });

  test('get no hint when nothing is close', () => {
    expect(linesAfter((p) => (p.spec.frobnicate = true))).toEqual([
      'spec.frobnicate: unknown field, not in the Kubernetes v1 Pod schema',
    ]);
  });

  test('are errors even with --ignore-unsupported', () => {
    expect(linesAfter((p) => (p.spec.containers[0].imagePullPolcy = 'Never'), { ignoreUnsupported: true })).toEqual([
      'spec.containers[0].imagePullPolcy: unknown field, ' +
        'not in the Kubernetes v1 Pod schema (did you mean "imagePullPolicy"?)',
    ]);
  });
});

describe('server-set fields', () => {
  test('are accepted and dropped, as on creation through the API server', () => {
    const pod = basePod();
    Object.assign(pod.metadata, {
      resourceVersion: '123',
      creationTimestamp: '2024-01-01T00:00:00Z',
      managedFields: [{}],
      uid: 'u-1',
    });
    pod.status = { phase: 'Running' };
    const result = validatePod(pod);
    expect(result.pod.metadata).toEqual({ name: 'web', namespace: 'default', uid: 'u-1', labels: { app: 'web' } });
    expect(result.pod).not.toHaveProperty('status');
  });
});

describe('the table', () => {
  function* walkTable(node: Node, path: string, underSecurity = false): Generator<[string, Node, boolean]> {
    yield [path, node, underSecurity];
    if (node.kind === 'object') {
      for (const [name, child] of Object.entries(node.fields)) {
        yield* walkTable(child, `${path}.${name}`, underSecurity || name === 'securityContext');
      }
    } else if (node.kind === 'list') yield* walkTable(node.items, `${path}[]`, underSecurity);
  }

  test('no field of a security context is ignorable', () => {
    const ignorable = [...walkTable(POD_SCHEMA, '')].filter(
      ([, n, sec]) => sec && n.kind === 'unsupported' && n.ignorable,
    );
    expect(ignorable).toEqual([]);
  });

  test('volume types, os and runtimeClassName are never ignorable', () => {
    const nodes = new Map([...walkTable(POD_SCHEMA, '')].map(([p, n]) => [p, n]));
    for (const path of ['.spec.volumes[].nfs', '.spec.volumes[].csi', '.spec.os', '.spec.runtimeClassName']) {
      expect(nodes.get(path), path).toMatchObject({ kind: 'unsupported', ignorable: false });
    }
  });

  test('init containers accept the fields of containers, and restartPolicy (Always: a sidecar)', () => {
    const spec = (POD_SCHEMA.fields.spec as Json).fields;
    const { restartPolicy: initPolicy, ...init } = spec.initContainers.items.fields;
    const { restartPolicy: appPolicy, ...app } = spec.containers.items.fields;
    expect(init).toEqual(app);
    expect(initPolicy).toMatchObject({ kind: 'string', values: ['Always'] });
    expect(appPolicy).toMatchObject({ kind: 'unsupported' });
  });
});
