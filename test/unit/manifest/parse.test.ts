/**
 * Reading manifests: JSON and YAML, one document, file or standard input, and syntax errors that
 * point at the file, line and column.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadManifest, ManifestError, parseManifest } from '../../../src/manifest/index.js';
import { basePod } from './helpers.js';

function errorOf(fn: () => unknown): ManifestError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ManifestError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

async function asyncErrorOf(p: Promise<unknown>): Promise<ManifestError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ManifestError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('parseManifest', () => {
  test('reads JSON', () => {
    expect(parseManifest(JSON.stringify(basePod(), null, 2), 'pod.json')).toEqual(basePod());
  });

  test('reads YAML', () => {
    const yaml =
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: busybox\n' +
      '    args: ["a", b]\n';
    expect(parseManifest(yaml, 'pod.yaml')).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'busybox', args: ['a', 'b'] }] },
    });
  });

  test('reads YAML as Kubernetes tools do (1.1 booleans and octals), timestamps as strings', () => {
    expect(parseManifest('a: yes\nb: off\nc: 0755\nd: 2024-01-01\ne: "yes"\nf: 1:30\n', 'x')).toEqual({
      a: true,
      b: false,
      c: 493,
      d: '2024-01-01',
      e: 'yes',
      f: '1:30',
    });
  });

  test('accepts a leading document marker and trailing empty documents', () => {
    expect(parseManifest('---\na: 1\n---\n', 'x')).toEqual({ a: 1 });
  });

  test('a syntax error gives source:line:column', () => {
    const e = errorOf(() => parseManifest('apiVersion: v1\nkind: Pod\nmetadata:\n  name: "web\n', 'pod.yaml'));
    expect(e.message).toMatch(/^pod\.yaml:5:1: missing closing "quote/);
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]!.path).toBe('pod.yaml:5:1');
  });

  test('a JSON syntax error gives its position too', () => {
    const e = errorOf(() => parseManifest('{\n  "kind": "Pod",\n  "spec": [1, }\n}', 'pod.json'));
    expect(e.message).toMatch(/^pod\.json:3:\d+: /);
  });

  test('a bad indentation is reported where it is', () => {
    const e = errorOf(() => parseManifest('spec:\n  containers:\n  - name: a\n     image: b\n', 'p.yaml'));
    expect(e.message).toMatch(/^p\.yaml:[34]:\d+: /);
  });

  test('duplicate keys are an error', () => {
    const e = errorOf(() => parseManifest('kind: Pod\nkind: Pod\n', 'p.yaml'));
    expect(e.message).toMatch(/^p\.yaml:2:1: map keys must be unique/);
  });

  test('exactly one document', () => {
    expect(errorOf(() => parseManifest('a: 1\n---\nb: 2\n', 'p.yaml')).message).toBe(
      'p.yaml:2:1: expected one document (one Pod), found 2',
    );
    expect(errorOf(() => parseManifest('', 'p.yaml')).message).toBe('p.yaml:1:1: the manifest is empty');
    expect(errorOf(() => parseManifest('# nothing\n', 'p.yaml')).message).toBe('p.yaml:1:1: the manifest is empty');
  });

  test('too many aliases are refused', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
    ].join('\n');
    expect(errorOf(() => parseManifest(bomb, 'bomb.yaml')).message).toMatch(/^bomb\.yaml:1:1: .*alias/i);
  });
});

describe('loadManifest', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tspod-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('reads, validates and defaults a file', async () => {
    const file = path.join(dir, 'pod.json');
    writeFileSync(file, JSON.stringify(basePod()));
    const { pod, warnings } = await loadManifest(file);
    expect(pod.spec.restartPolicy).toBe('Always');
    expect(warnings).toEqual([]);
  });

  test('reads standard input for -', async () => {
    const { pod } = await loadManifest('-', { readStdin: async () => JSON.stringify(basePod()) });
    expect(pod.metadata.name).toBe('web');
  });

  test('names <stdin> in syntax errors', async () => {
    const e = await asyncErrorOf(loadManifest('-', { readStdin: async () => 'a: [' }));
    expect(e.message).toMatch(/^<stdin>:1:\d+: /);
  });

  test('passes ignoreUnsupported on', async () => {
    const pod = basePod();
    pod.spec.readinessGates = [{ conditionType: 'example.com/ready' }];
    const text = JSON.stringify(pod);
    await expect(loadManifest('-', { readStdin: async () => text })).rejects.toThrow(
      'spec.readinessGates: not supported by tspod',
    );
    const { warnings } = await loadManifest('-', { readStdin: async () => text, ignoreUnsupported: true });
    expect(warnings).toEqual(['spec.readinessGates: not supported by tspod, ignored']);
  });

  test('a validation error records its source', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: []}\n');
    const e = await asyncErrorOf(loadManifest(file));
    expect(e.message).toBe('spec.containers: required');
    expect(e.source).toBe(file);
  });

  test('a missing file is a ManifestError naming it', async () => {
    const file = path.join(dir, 'absent.yaml');
    const e = await asyncErrorOf(loadManifest(file));
    expect(e.message).toMatch(new RegExp(`^${file}: cannot read the manifest: ENOENT`));
    expect(e.cause).toBeInstanceOf(Error);
  });
});
