/**
 * Validation rules about the manifest as a whole, names and uniqueness: each invalid manifest is
 * checked for the exact `path: message` line it produces, and valid variants for producing none.
 */
import { describe, expect, test } from 'vitest';
import { ManifestError, validatePod } from '../../../src/manifest/index.js';
import { basePod, linesAfter, linesOf } from './helpers.js';

describe('a valid manifest', () => {
  test('validates without issues or warnings', () => {
    const { pod, warnings } = validatePod(basePod());
    expect(warnings).toEqual([]);
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['server', 'writer']);
  });

  test('does not change the object it was given', () => {
    const input = basePod();
    const copy = structuredClone(input);
    validatePod(input);
    expect(input).toEqual(copy);
  });
});

describe('apiVersion and kind', () => {
  test('must be v1 and Pod', () => {
    expect(linesAfter((p) => (p.apiVersion = 'apps/v1'))).toEqual([
      'apiVersion: invalid value "apps/v1": must be "v1"',
    ]);
    expect(linesAfter((p) => (p.kind = 'Deployment'))).toEqual(['kind: invalid value "Deployment": must be "Pod"']);
  });

  test('are required', () => {
    expect(linesAfter((p) => delete p.apiVersion)).toEqual(['apiVersion: required']);
    expect(linesAfter((p) => delete p.kind)).toEqual(['kind: required']);
  });

  test('metadata and spec are required', () => {
    expect(linesAfter((p) => delete p.spec)).toEqual(['spec: required']);
    expect(linesAfter((p) => delete p.metadata)).toEqual(['metadata: required']);
  });

  test('the manifest must be an object', () => {
    expect(linesOf([basePod()])).toEqual(['(root): expected an object, got a list']);
    expect(linesOf('pod')).toEqual(['(root): expected an object, got a string ("pod")']);
    expect(linesOf(null)).toEqual(['(root): expected an object, got null']);
  });
});

describe('names', () => {
  test('the pod name is a DNS subdomain', () => {
    expect(linesAfter((p) => (p.metadata.name = 'web.example-1'))).toEqual([]);
    expect(linesAfter((p) => (p.metadata.name = 'Web'))).toEqual([
      "metadata.name: invalid name \"Web\": must be a DNS subdomain (lower-case letters, digits, '-' and '.', " +
        'starting and ending with a letter or digit)',
    ]);
    expect(linesAfter((p) => (p.metadata.name = 'a'.repeat(254)))).toEqual([
      `metadata.name: "${'a'.repeat(254)}" is longer than 253 characters`,
    ]);
    expect(linesAfter((p) => (p.metadata.name = ''))).toEqual(['metadata.name: required']);
  });

  test('container names are DNS labels', () => {
    expect(linesAfter((p) => (p.spec.containers[1].name = 'my.writer'))).toEqual([
      'spec.containers[1].name: invalid name "my.writer": must be a DNS label (lower-case letters, ' +
        "digits and '-', starting and ending with a letter or digit)",
    ]);
    expect(linesAfter((p) => (p.spec.containers[1].name = 'w'.repeat(64)))).toEqual([
      `spec.containers[1].name: "${'w'.repeat(64)}" is longer than 63 characters`,
    ]);
  });

  test('volume names are DNS labels', () => {
    expect(linesAfter((p) => (p.spec.volumes[0].name = 'Data'))).toContain(
      'spec.volumes[0].name: invalid name "Data": must be a DNS label (lower-case letters, digits and \'-\', ' +
        'starting and ending with a letter or digit)',
    );
  });

  test('port names are IANA service names', () => {
    expect(linesAfter((p) => (p.spec.containers[0].ports[0].name = 'http-alt'))).toEqual([]);
    expect(linesAfter((p) => (p.spec.containers[0].ports[0].name = '8080'))).toEqual([
      'spec.containers[0].ports[0].name: invalid port name "8080": must contain at least one letter',
    ]);
    expect(linesAfter((p) => (p.spec.containers[0].ports[0].name = 'a-very-long-port-name'))).toEqual([
      'spec.containers[0].ports[0].name: invalid port name "a-very-long-port-name": longer than 15 characters',
    ]);
    expect(linesAfter((p) => (p.spec.containers[0].ports[0].name = 'http--x'))).toEqual([
      "spec.containers[0].ports[0].name: invalid port name \"http--x\": may not begin or end with '-' nor contain '--'",
    ]);
  });

  test('namespace, hostname and subdomain are DNS labels', () => {
    expect(linesAfter((p) => (p.metadata.namespace = 'my_ns'))[0]).toMatch(
      /^metadata\.namespace: invalid name "my_ns": must be a DNS label/,
    );
    expect(linesAfter((p) => (p.spec.hostname = 'a.b'))[0]).toMatch(
      /^spec\.hostname: invalid name "a\.b": must be a DNS label/,
    );
    expect(linesAfter((p) => (p.spec.subdomain = '-x'))[0]).toMatch(/^spec\.subdomain: invalid name "-x"/);
  });

  test('label keys and values', () => {
    expect(linesAfter((p) => (p.metadata.labels = { 'example.com/tier': 'front_end.1', empty: '' }))).toEqual([]);
    expect(linesAfter((p) => (p.metadata.labels = { 'bad key': 'x' }))).toEqual([
      'metadata.labels[bad key]: invalid key "bad key": the name must be at most 63 letters, digits, \'-\', ' +
        "'_' or '.', starting and ending with a letter or digit",
    ]);
    expect(linesAfter((p) => (p.metadata.labels = { 'Example.com/x': 'y' }))).toEqual([
      'metadata.labels[Example.com/x]: invalid key "Example.com/x": the prefix before \'/\' must be a DNS subdomain',
    ]);
    expect(linesAfter((p) => (p.metadata.labels = { app: 'no spaces' }))).toEqual([
      'metadata.labels[app]: invalid label value "no spaces": must be at most 63 letters, digits, \'-\', ' +
        "'_' or '.', starting and ending with a letter or digit",
    ]);
    expect(linesAfter((p) => (p.metadata.labels = { app: 5 }))).toEqual([
      'metadata.labels[app]: expected a string, got a number (5)',
    ]);
  });

  test('annotations take any value, within 256 KiB in total', () => {
    expect(linesAfter((p) => (p.metadata.annotations = { 'example.com/note': 'any text: at all!' }))).toEqual([]);
    expect(linesAfter((p) => (p.metadata.annotations = { big: 'x'.repeat(256 * 1024) }))).toEqual([
      'metadata.annotations: keys and values total 262147 bytes, more than the limit of 262144',
    ]);
  });
});

describe('uniqueness', () => {
  test('container names are unique across init and app containers', () => {
    expect(linesAfter((p) => (p.spec.containers[1].name = 'server'))).toEqual([
      'spec.containers[1].name: duplicate container name "server": already used by spec.containers[0]',
    ]);
    const lines = linesAfter(
      (p) => (p.spec.initContainers = [{ name: 'writer', image: 'busybox', command: ['true'] }]),
    );
    expect(lines).toEqual([
      'spec.containers[1].name: duplicate container name "writer": already used by spec.initContainers[0]',
    ]);
  });

  test('volume names are unique', () => {
    expect(linesAfter((p) => p.spec.volumes.push({ name: 'data', emptyDir: {} }))).toEqual([
      'spec.volumes[1].name: duplicate volume name "data": already used by spec.volumes[0]',
    ]);
  });

  test('port names are unique within a container', () => {
    expect(linesAfter((p) => p.spec.containers[0].ports.push({ name: 'http', containerPort: 81 }))).toEqual([
      'spec.containers[0].ports[1].name: duplicate port name "http": already used by spec.containers[0].ports[0]',
    ]);
  });

  test('a mount path is used once per container', () => {
    expect(linesAfter((p) => p.spec.containers[1].volumeMounts.push({ name: 'data', mountPath: '/data/' }))).toEqual([
      'spec.containers[1].volumeMounts[1].mountPath: "/data/" is already mounted by volumeMounts[0]',
    ]);
  });
});

describe('the error', () => {
  test('collects every issue, one per line, each path: message', () => {
    const pod = basePod();
    pod.metadata.name = 'Web';
    pod.spec.restartPolicy = 'Sometimes';
    pod.spec.containers[1].volumeMounts[0].name = 'missing';
    let error: unknown;
    try {
      validatePod(pod);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ManifestError);
    expect(error).toBeInstanceOf(Error);
    const e = error as ManifestError;
    expect(e.issues.map((i) => i.path)).toEqual([
      'metadata.name',
      'spec.restartPolicy',
      'spec.containers[1].volumeMounts[0].name',
    ]);
    expect(e.message.split('\n')).toEqual(e.issues.map((i) => `${i.path}: ${i.message}`));
  });
});
