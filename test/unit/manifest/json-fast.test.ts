import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseJsonManifest } from '../../../src/manifest/json-fast.js';
import { parseDocuments, parseYamlDocuments } from '../../../src/manifest/parse.js';

const viaYaml = (text: string) => parseYamlDocuments(text, 'x.json');

describe('a JSON manifest read by JSON.parse means what the YAML reading means', () => {
  test('generated JSON documents, compact and indented: the same value, or left to YAML', () => {
    const doc = fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.array(fc.jsonValue()));
    fc.assert(
      fc.property(doc, fc.constantFrom(0, 2, 4), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        const fast = parseJsonManifest(text);
        if (fast === undefined) return;
        const [yaml, ...more] = viaYaml(text);
        expect(more).toEqual([]);
        expect(yaml?.position).toEqual({ line: 1, col: 1 });
        expect(fast).toEqual(yaml?.value);
      }),
      { numRuns: 600 },
    );
  });

  test(
    'generated documents with any unicode and JSON white space (CR, LF, CR LF, tab) between tokens: ' +
      'the same value both ways',
    () => {
      const space = fc.constantFrom('', ' ', '\t', '\n', '\r', '\r\n', ' \r ');
      // JSON.stringify, with white space of the generator's choosing after every structural character.
      const spaced = (v: unknown, ws: () => string): string => {
        if (Array.isArray(v)) return `[${ws()}${v.map((x) => spaced(x, ws)).join(`,${ws()}`)}${ws()}]`;
        if (v !== null && typeof v === 'object') {
          return `{${ws()}${Object.entries(v)
            .map(([k, x]) => `${JSON.stringify(k)}${ws()}:${ws()}${spaced(x, ws)}`)
            .join(`,${ws()}`)}${ws()}}`;
        }
        return JSON.stringify(v);
      };
      const doc = fc.oneof(
        fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue({ stringUnit: 'binary' })),
        fc.array(fc.jsonValue({ stringUnit: 'binary' })),
      );
      fc.assert(
        fc.property(doc, fc.array(space, { minLength: 1 }), (value, spaces) => {
          let n = 0;
          const t = spaced(value, () => spaces[n++ % spaces.length] ?? '');
          const want = JSON.parse(t) as unknown;
          expect(parseDocuments(t, 'x.json')[0]?.value).toEqual(want);
          expect(viaYaml(t)[0]?.value).toEqual(want);
        }),
        { numRuns: 400 },
      );
    },
  );

  test('a carriage return alone is a line break (JSON: white space), as go-yaml reads it', () => {
    expect(parseJsonManifest('{"a":\r1}')).toEqual({ a: 1 });
    expect(viaYaml('{"a":\r1}')[0]?.value).toEqual({ a: 1 });
    expect(viaYaml(' {"a":\r1}')[0]?.value).toEqual({ a: 1 });
    expect(viaYaml('a: 1\rb: 2\r')[0]?.value).toEqual({ a: 1, b: 2 });
    expect(viaYaml('a: |\r  x\r  y\r')[0]?.value).toEqual({ a: 'x\ny\n' });
  });

  test('a Pod manifest as JSON is taken', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', labels: { app: 'x' } },
      spec: {
        containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1.5'], ports: [{ containerPort: 80 }] }],
        terminationGracePeriodSeconds: 0,
      },
    };
    const text = JSON.stringify(pod, null, 2);
    expect(parseJsonManifest(text)).toEqual(pod);
    expect(viaYaml(text)[0]?.value).toEqual(pod);
  });

  test.each([
    ['a duplicate key, which the YAML reading refuses', '{"a": 1, "a": 2}'],
    ['an exponent, a string to YAML 1.1', '{"a": 1e3}'],
    ['a signed exponent', '{"a": 1.5e+3}'],
    ['minus zero', '{"a": -0}'],
    ['a merge key', '{"<<": {"a": 1}}'],
    ['an escaped key', '{"\\u003c<": 1}'],
    ['__proto__', '{"__proto__": {"a": 1}}'],
    ['leading white space', ' {"a": 1}'],
    ['a byte-order mark', '\ufeff{"a": 1}'],
    ['a scalar', '"a"'],
    ['invalid JSON', '{"a": 1,}'],
  ])('left to YAML: %s', (_why, text) => {
    expect(parseJsonManifest(text)).toBeUndefined();
  });

  test('a duplicate key: JSON.parse would keep the last, the YAML reading refuses it (so it is declined)', () => {
    expect(JSON.parse('{"a": 1, "a": 2}')).toEqual({ a: 2 });
    expect(() => viaYaml('{"a": 1, "a": 2}')).toThrow(/unique|duplicate/i);
  });
});
