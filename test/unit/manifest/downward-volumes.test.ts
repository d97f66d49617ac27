/**
 * downwardAPI and projected volumes without root: what the table accepts and refuses (field
 * paths, containerName, duplicate paths, the sources that need an API server), the defaults,
 * and the files each volume gets.
 */
import { describe, expect, test } from 'vitest';
import { ManifestError, validatePod, type DownwardFacts, type Pod } from '../../../src/manifest/index.js';
import { volumePayload } from '../../../src/runtime/config-volumes.js';

const podWith = (volumes: object[], extra: object = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { a: '1', b: 'two' } },
  spec: { containers: [{ name: 'c', image: 'busybox', resources: { limits: { memory: '64Mi' } } }], volumes, ...extra },
});
const issuesOf = (m: object, ignoreUnsupported = false) => {
  try {
    return validatePod(m, { ignoreUnsupported }).warnings.map((w) => `warning ${w}`);
  } catch (err) {
    return (err as ManifestError).issues.map((i) => `${i.path}: ${i.message}`);
  }
};
const facts = (pod: Pod): DownwardFacts => ({
  podName: 'p',
  namespace: 'default',
  uid: 'u-1',
  labels: pod.metadata.labels,
  annotations: {},
  nodeName: 'n',
  serviceAccountName: 'default',
  allocatable: { cpuMillis: 2000, memoryBytes: 2 ** 30, ephemeralStorageBytes: 10 ** 9 },
  containers: pod.spec.containers,
});
const files = (volume: object, config = { configMaps: {}, secrets: {} }) => {
  const { pod } = validatePod(podWith([volume]));
  return volumePayload(pod, pod.spec.volumes[0]!, config, facts(pod)).map((f) => [
    f.path,
    f.content.toString(),
    f.mode.toString(8),
  ]);
};

describe('downwardAPI volumes', () => {
  test('labels, a label, uid, resources; modes from the item or defaultMode (0644)', () => {
    expect(
      files({
        name: 'd',
        downwardAPI: {
          items: [
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            { path: 'sub/b', fieldRef: { fieldPath: "metadata.labels['b']" }, mode: 0o400 },
            { path: 'uid', fieldRef: { fieldPath: 'metadata.uid' } },
            { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } },
            { path: 'cpu', resourceFieldRef: { containerName: 'c', resource: 'limits.cpu', divisor: '1m' } },
          ],
        },
      }),
    ).toEqual([
      ['labels', 'a="1"\nb="two"', '644'],
      ['sub/b', 'two', '400'],
      ['uid', 'u-1', '644'],
      ['mem', '64', '644'],
      ['cpu', '2000', '644'],
    ]);
  });

  test('refused: addresses, a missing containerName or one not in the pod, duplicate paths, ..', () => {
    const d = (items: object[]) => issuesOf(podWith([{ name: 'd', downwardAPI: { items } }]));
    expect(d([{ path: 'ip', fieldRef: { fieldPath: 'status.podIP' } }])[0]).toContain(
      '(status.podIP is only for environment variables)',
    );
    expect(d([{ path: 'x', resourceFieldRef: { resource: 'limits.cpu' } }])).toEqual([
      'spec.volumes[0].downwardAPI.items[0].resourceFieldRef.containerName: required',
    ]);
    expect(d([{ path: 'x', resourceFieldRef: { containerName: 'nope', resource: 'limits.cpu' } }])).toEqual([
      'spec.volumes[0].downwardAPI.items[0].resourceFieldRef.containerName: container "nope" is not in the pod',
    ]);
    expect(
      d([
        { path: 'x', fieldRef: { fieldPath: 'metadata.name' } },
        { path: 'x', fieldRef: { fieldPath: 'metadata.uid' } },
      ]),
    ).toEqual([
      'spec.volumes[0].downwardAPI.items[1].path: conflicting duplicate paths: ' +
        '"x" is also given by spec.volumes[0].downwardAPI.items[0]',
    ]);
    expect(d([{ path: '../x', fieldRef: { fieldPath: 'metadata.name' } }])[0]).toContain("may not contain '..'");
    expect(d([{ path: 'x' }])[0]).toContain('must specify a source (fieldRef or resourceFieldRef)');
  });
});

describe('projected volumes', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const config = {
    configMaps: { 'default/cm': { config: b64('debug') } },
    secrets: { 'default/s': { username: b64('me'), password: b64('pw') } },
  };

  test('sources in one directory under defaultMode; items keep their own mode; the later source wins a path', () => {
    expect(
      files(
        {
          name: 'v',
          projected: {
            defaultMode: 0o440,
            sources: [
              { secret: { name: 's' } },
              { configMap: { name: 'cm', items: [{ key: 'config', path: 'conf/c', mode: 0o600 }] } },
              { downwardAPI: { items: [{ path: 'username', fieldRef: { fieldPath: 'metadata.name' } }] } },
              { secret: { name: 'gone', optional: true } },
            ],
          },
        },
        config,
      ),
    ).toEqual([
      ['password', 'pw', '440'],
      ['username', 'p', '440'],
      ['conf/c', 'debug', '600'],
    ]);
  });

  test('a missing non-optional source fails naming it', () => {
    expect(() => files({ name: 'v', projected: { sources: [{ configMap: { name: 'absent' } }] } }, config)).toThrow(
      'volume "v": configmap "absent" not found',
    );
  });

  test(
    'sources that need an API server are refused by name with the reason, ' + 'or left out under --ignore-unsupported',
    () => {
      const m = podWith([
        {
          name: 'v',
          projected: {
            sources: [
              { serviceAccountToken: { path: 'token', audience: 'api' } },
              { clusterTrustBundle: { name: 'b', path: 'ca' } },
            ],
          },
        },
      ]);
      expect(issuesOf(m)).toEqual([
        'spec.volumes[0].projected.sources[0].serviceAccountToken: not supported by tspod: ' +
          'needs an API server to issue a service account token (TokenRequest), ' +
          'and tspod has none (--ignore-unsupported runs the pod without it)',
        'spec.volumes[0].projected.sources[1].clusterTrustBundle: not supported by tspod: ' +
          'needs an API server to read ClusterTrustBundle objects, ' +
          'and tspod has none (--ignore-unsupported runs the pod without it)',
      ]);
      expect(issuesOf(m, true)).toHaveLength(2);
      const { pod } = validatePod(m, { ignoreUnsupported: true });
      expect(volumePayload(pod, pod.spec.volumes[0]!, config, facts(pod))).toEqual([]);
    },
  );

  test('duplicate item paths across sources are refused; defaults are written', () => {
    const m = podWith([
      {
        name: 'v',
        projected: {
          sources: [
            { secret: { name: 's', items: [{ key: 'username', path: 'u' }] } },
            { downwardAPI: { items: [{ path: 'u', fieldRef: { fieldPath: 'metadata.name' } }] } },
          ],
        },
      },
    ]);
    expect(issuesOf(m)).toEqual([
      'spec.volumes[0].projected.sources[1].downwardAPI.items[0].path: conflicting duplicate paths: ' +
        '"u" is also given by spec.volumes[0].projected.sources[0].secret.items[0]',
    ]);
    const v = validatePod(
      podWith([
        {
          name: 'v',
          projected: {
            sources: [{ downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } }],
          },
        },
      ]),
    ).pod.spec.volumes[0]!;
    expect(v.projected).toEqual({
      defaultMode: 0o644,
      sources: [
        { downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } }] } },
      ],
    });
  });
});

test('automountServiceAccountToken: false and unset are accepted; true needs an API server', () => {
  expect(issuesOf(podWith([], { automountServiceAccountToken: false }))).toEqual([]);
  expect(issuesOf(podWith([], { automountServiceAccountToken: true }))[0]).toContain(
    'spec.automountServiceAccountToken: not supported by tspod: needs an API server',
  );
});
