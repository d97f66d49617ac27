/**
 * The example manifests: each validates strictly (no unsupported field, no warning), uses only the
 * locally built images, stays on the machine, and the documentation's pod is unchanged apart from
 * its volume.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadManifest, parseManifest, resolveProcess, type DownwardFacts } from '../../../src/manifest/index.js';

const dir = path.resolve(__dirname, '../../../examples');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
const facts: DownwardFacts = {
  podName: 'p',
  namespace: 'default',
  uid: 'u',
  nodeName: 'n',
  serviceAccountName: 'default',
};

test('the expected examples are there', () => {
  expect(files.sort()).toEqual(
    [
      'init-containers',
      'restart-policy',
      'shared-localhost',
      'shared-pid',
      'shared-volume',
      'shell',
      'two-containers',
      'two-containers-hostpath',
    ]
      .map((n) => `${n}.yaml`)
      .sort(),
  );
});

describe.each(files)('%s', (file) => {
  test('validates strictly, with no warnings', async () => {
    const { pod, warnings } = await loadManifest(path.join(dir, file));
    expect(warnings).toEqual([]);
    expect(pod.metadata.name).toBe(file.replace(/(-hostpath)?\.yaml$/, ''));
  });

  test('uses only the local images and stays on the machine', async () => {
    const { pod } = await loadManifest(path.join(dir, file));
    const containers = [...pod.spec.initContainers, ...pod.spec.containers];
    for (const c of containers) {
      expect(['busybox', 'debian', 'nginx']).toContain(c.image);
      const argv = resolveProcess(c, { Cmd: ['sh'] }, facts).argv.join(' ');
      expect(argv).not.toMatch(/https?:\/\/|nslookup|ping |wget/);
      const addresses = argv.match(/\b\d+\.\d+\.\d+\.\d+\b/g) ?? [];
      expect(addresses.every((a) => a.startsWith('127.'))).toBe(true);
    }
    expect(pod.spec.hostNetwork || pod.spec.hostPID || pod.spec.hostIPC).toBe(false);
    if (file !== 'two-containers-hostpath.yaml')
      expect(pod.spec.volumes.every((v) => v.hostPath === undefined)).toBe(true);
  });

  test('shell $(...) in commands passes through Kubernetes expansion unchanged', async () => {
    const { pod } = await loadManifest(path.join(dir, file));
    for (const c of [...pod.spec.initContainers, ...pod.spec.containers]) {
      if (c.command) expect(resolveProcess(c, {}, facts).argv).toEqual([...c.command, ...(c.args ?? [])]);
    }
  });

  test('says what it shows in a comment', () => {
    expect(readFileSync(path.join(dir, file), 'utf8')).toMatch(/^# \S/);
  });
});

test('two-containers-hostpath is the documentation pod verbatim, two-containers the same with an emptyDir', () => {
  const documented = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'two-containers' },
    spec: {
      restartPolicy: 'Never',
      volumes: [{ name: 'shared-data', hostPath: { path: '/data' } }],
      containers: [
        {
          name: 'nginx-container',
          image: 'nginx',
          volumeMounts: [{ name: 'shared-data', mountPath: '/usr/share/nginx/html' }],
        },
        {
          name: 'debian-container',
          image: 'debian',
          volumeMounts: [{ name: 'shared-data', mountPath: '/pod-data' }],
          command: ['/bin/sh'],
          args: ['-c', 'echo Hello from the debian container > /pod-data/index.html'],
        },
      ],
    },
  };
  const verbatim = readFileSync(path.join(dir, 'two-containers-hostpath.yaml'), 'utf8');
  expect(parseManifest(verbatim, 'two-containers-hostpath.yaml')).toEqual(documented);
  documented.spec.volumes = [{ name: 'shared-data', emptyDir: {} } as never];
  const text = readFileSync(path.join(dir, 'two-containers.yaml'), 'utf8');
  expect(parseManifest(text, 'two-containers.yaml')).toEqual(documented);
  expect(text).toMatch(/emptyDir.*instead of[\s\S]*hostPath/);
});
