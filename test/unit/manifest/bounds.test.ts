/**
 * The bounds checked before a manifest is parsed (size, nesting) or run (execve's limits, sysctl
 * values): each refused with the field or position named, none by a crash.
 */
import { describe, expect, test } from 'vitest';
import {
  ARG_MAX,
  MAX_ARG_STRLEN,
  MAX_MANIFEST_BYTES,
  MAX_NESTING_DEPTH,
  execveOverflow,
  tooDeepAt,
} from '../../../src/manifest/bounds.js';
import { ManifestError, parseManifest, validatePod } from '../../../src/manifest/index.js';
import { basePod } from './helpers.js';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    return (e as ManifestError).message;
  }
  throw new Error('not refused');
}

const blockMap = (n: number) => Array.from({ length: n }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + ' x\n';

describe('manifest size', () => {
  test('over 3 MiB is refused with the size and the limit; 3 MiB of valid text is read', () => {
    const pad = (bytes: number) =>
      JSON.stringify({ ...basePod(), metadata: { name: 'web', annotations: { a: 'x'.repeat(bytes) } } });
    const over = pad(MAX_MANIFEST_BYTES);
    expect(refusal(() => parseManifest(over, 'big.json'))).toMatch(
      /^big\.json: the manifest is \d+ bytes, over the limit of 3145728 \(3 MiB/,
    );
    const fits = pad(MAX_MANIFEST_BYTES - 2000);
    expect(Buffer.byteLength(fits)).toBeLessThanOrEqual(MAX_MANIFEST_BYTES);
    expect(parseManifest(fits, 'ok.json')).toMatchObject({ kind: 'Pod' });
  });
});

describe('nesting depth', () => {
  test('a 200 000-deep JSON array is refused at the level past the limit, without recursion', () => {
    // The document's first line counts as a level too (the measure never counts fewer): the 99th [ is refused.
    const text = `{"a": ${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    expect(refusal(() => parseManifest(text, 'deep.json'))).toBe(
      `deep.json:1:${6 + MAX_NESTING_DEPTH - 1}: nests more than ${MAX_NESTING_DEPTH} levels deep ` +
        `(tspod's limit; a Pod is about ten)`,
    );
  });

  test('block-style YAML: indented mappings and compact "- - -" sequences are measured too', () => {
    expect(tooDeepAt(blockMap(MAX_NESTING_DEPTH))).toBeUndefined();
    expect(tooDeepAt(blockMap(MAX_NESTING_DEPTH + 1))).toEqual({
      line: MAX_NESTING_DEPTH + 1,
      col: 2 * MAX_NESTING_DEPTH + 1,
    });
    expect(refusal(() => parseManifest(blockMap(150), 'deep.yaml'))).toMatch(/^deep\.yaml:101:201: nests more than/);
    expect(refusal(() => parseManifest(`a: ${'- '.repeat(100_000)}x\n`.replace('a: ', 'a:\n'), 'seq.yaml'))).toMatch(
      /^seq\.yaml:2:\d+: nests more than/,
    );
    expect(tooDeepAt(`a:\n${'- '.repeat(MAX_NESTING_DEPTH - 1)}x\n`)).toBeUndefined();
  });

  test('brackets in plain scalars, quotes, comments and block scalars are not nesting', () => {
    const text = [
      'apiVersion: v1 # [[[[',
      'kind: Pod',
      'metadata:',
      '  name: web',
      '  annotations:',
      `    a: "${'['.repeat(300)}"`,
      `    b: '${'{'.repeat(300)}'`,
      `    c: x${'['.repeat(300)}`,
      '    d: |',
      ...Array.from({ length: 300 }, (_, i) => `      ${' '.repeat(i)}- [ {`),
      'spec:',
      '  containers:',
      '  - name: c',
      '    image: busybox',
    ].join('\n');
    expect(tooDeepAt(text)).toBeUndefined();
    expect(parseManifest(text, 'ok.yaml')).toMatchObject({ kind: 'Pod', spec: { containers: [{ name: 'c' }] } });
  });

  test('aliases that nest deeper than their text are refused after parsing', () => {
    const lines = ['a0: &a0 [x]', ...Array.from({ length: 110 }, (_, i) => `a${i + 1}: &a${i + 1} [*a${i}]`)];
    expect(refusal(() => parseManifest(lines.join('\n'), 'alias.yaml'))).toMatch(
      /alias\.yaml:1:1: nests more than 100 levels deep once its aliases are expanded|alias/,
    );
  });
});

describe('what execve can take', () => {
  test('one variable over 128 KiB, or everything over ARG_MAX, names the container', () => {
    expect(
      execveOverflow({ command: ['sh'], env: [{ name: 'A', value: 'x'.repeat(MAX_ARG_STRLEN - 3) }] }),
    ).toBeUndefined();
    expect(execveOverflow({ env: [{ name: 'A', value: 'x'.repeat(MAX_ARG_STRLEN) }] })?.field).toBe('env');
    expect(execveOverflow({ args: ['x'.repeat(MAX_ARG_STRLEN)] })?.field).toBe('args');
    const many = Array.from({ length: 20 }, (_, i) => ({ name: `V${i}`, value: 'x'.repeat(ARG_MAX / 20) }));
    expect(execveOverflow({ env: many })?.message).toMatch(/more than execve's 2097152 \(ARG_MAX\)/);
    const pod = basePod();
    pod.spec.containers[1].env = many;
    expect(refusal(() => validatePod(pod))).toMatch(
      new RegExp(
        String.raw`^spec\.containers\[1\]\.env: command, args and environment take \d+ bytes: ` +
          String.raw`more than execve's 2097152 \(ARG_MAX\) \(container "writer"\)`,
      ),
    );
  });
});

describe('sysctl values', () => {
  test('a control character in a value is refused; ordinary values pass', () => {
    const withSysctl = (value: string) => {
      const pod = basePod();
      pod.spec.securityContext = { sysctls: [{ name: 'net.ipv4.ping_group_range', value }] };
      return pod;
    };
    expect(() => validatePod(withSysctl('0 1000'))).not.toThrow();
    for (const bad of ['0 1000\nkernel.x=1', '0\t1', '1\u0000', '1\r']) {
      expect(refusal(() => validatePod(withSysctl(bad)))).toBe(
        'spec.securityContext.sysctls[0].value: may not contain control characters (newline, tab, NUL, ...)',
      );
    }
  });
});
