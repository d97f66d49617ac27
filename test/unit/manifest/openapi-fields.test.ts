/**
 * Every field name in tspod's table (supported.ts) is a field Kubernetes has, at that place: the
 * table is walked beside the upstream OpenAPI definitions (a trimmed copy of the field lists of
 * the Kubernetes OpenAPI spec release-1.36, as the @kubernetes/client-node 2.0.1 models carry
 * them; fixtures/openapi-fields-release-1.36.json says so in its `source`). A name tspod accepts
 * or refuses by name that upstream lacks would be reported to users as a feature rather than a
 * typo; a test failure here names it with its path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { POD_SCHEMA, WORKLOAD_KINDS, WORKLOAD_SCHEMAS } from '../../../src/manifest/index.js';
import type { Node } from '../../../src/manifest/schema.js';

const upstream = JSON.parse(
  fs.readFileSync(path.join(import.meta.dirname, 'fixtures', 'openapi-fields-release-1.36.json'), 'utf8'),
) as {
  source: string;
  definitions: Record<string, Record<string, string>>;
};

/** The definition a field's type names (`Array<V1Container>` → V1Container), if it is an object. */
function definitionOf(type: string): string | undefined {
  const name = /^(?:Array<)?([A-Z]\w+)>?$/.exec(type)?.[1];
  return name && upstream.definitions[name] ? name : undefined;
}

/** `path: problem` for every field of `node` that `definition` lacks, recursively. */
function mismatches(node: Node, definition: string, at: string): string[] {
  const n = node.kind === 'list' ? node.items : node;
  if (n.kind !== 'object') return [];
  const fields = upstream.definitions[definition]!;
  return Object.entries(n.fields).flatMap(([name, child]) => {
    const p = `${at}.${name}`;
    if (!(name in fields)) return [`${p}: not a field of ${definition}`];
    const sub = definitionOf(fields[name]!);
    return sub ? mismatches(child, sub, p) : [];
  });
}

describe('the support table against the upstream OpenAPI definitions', () => {
  test('the vendored field list says where it comes from', () => {
    expect(upstream.source).toMatch(/release-1\.36/);
    expect(Object.keys(upstream.definitions)).toContain('V1PodSpec');
  });

  test('every field name tspod knows in a Pod is one Kubernetes has there', () => {
    expect(mismatches(POD_SCHEMA, 'V1Pod', '')).toEqual([]);
  });

  test.each(WORKLOAD_KINDS)('every field name tspod knows in a %s is one Kubernetes has there', (kind) => {
    expect(mismatches(WORKLOAD_SCHEMAS[kind], `V1${kind}`, '')).toEqual([]);
  });

  test('the walk would notice a made-up field', () => {
    const fake: Node = {
      kind: 'object',
      fields: { spec: { kind: 'object', fields: { containerz: { kind: 'boolean' } } } },
    };
    expect(mismatches(fake, 'V1Pod', '')).toEqual(['.spec.containerz: not a field of V1PodSpec']);
  });
});
