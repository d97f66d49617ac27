/**
 * The layering of src/ cannot cycle. Two rules, checked on the real import graph (read with the
 * TypeScript parser, so `import type` and `import { type X }` are told apart from value imports):
 *
 * - no cycle between files, whatever kind of import closes it (a cycle of modules is one module
 *   in several files: none of them can be read or tested alone);
 * - no cycle between folders through value imports (and dynamic `import()`): a folder is a
 *   concept (manifest, plan, runtime, supervisor, cli...), and a lower one never needs a higher one
 *   to run. Type-only imports between folders are allowed where they name shared records (a plan,
 *   a pod's state), since they vanish when compiled.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(__dirname, '../../src');

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), spec).replace(/\.js$/, '');
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(candidate)) return candidate;
  throw new Error(`${path.relative(SRC, from)}: cannot resolve import "${spec}"`);
}

function isTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) return node.isTypeOnly;
  const clause = node.importClause;
  if (!clause) return false; // a side-effect import runs the module
  if (clause.isTypeOnly) return true;
  const named = clause.namedBindings;
  return (
    !clause.name &&
    !!named &&
    ts.isNamedImports(named) &&
    named.elements.length > 0 &&
    named.elements.every((e) => e.isTypeOnly)
  );
}

function importsOf(file: string): Edge[] {
  const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const edges: Edge[] = [];
  const add = (spec: string, typeOnly: boolean) => {
    const to = resolveImport(file, spec);
    if (to) edges.push({ from: file, to, typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      add(node.moduleSpecifier.text, isTypeOnly(node));
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      add(node.arguments[0].text, false);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      add(node.argument.literal.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edges;
}

/** Every cycle's members (strongly connected components of more than one node), by Tarjan. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return found;
}

function graphOf(edges: Edge[], key: (file: string) => string): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>();
  for (const e of edges) {
    const a = key(e.from);
    const b = key(e.to);
    if (a === b) continue;
    if (!g.has(a)) g.set(a, new Set());
    g.get(a)!.add(b);
  }
  return g;
}

/** For a message: the imports that make up a cycle between the given nodes. */
function explain(edges: Edge[], key: (file: string) => string, members: string[]): string {
  const lines = edges
    .filter((e) => members.includes(key(e.from)) && members.includes(key(e.to)) && key(e.from) !== key(e.to))
    .map((e) => `  ${path.relative(SRC, e.from)} -> ${path.relative(SRC, e.to)}${e.typeOnly ? ' (type)' : ''}`);
  return `cycle between ${members.join(', ')}:\n${[...new Set(lines)].join('\n')}`;
}

const edges = sourceFiles(SRC).flatMap(importsOf);
const fileKey = (f: string) => path.relative(SRC, f);
const folderKey = (f: string) => path.dirname(path.relative(SRC, f));

describe('the layering of src/', () => {
  it('reads a real graph (the check is not vacuous)', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges.some((e) => e.typeOnly)).toBe(true);
    expect(
      cycles(
        new Map([
          ['a', new Set(['b'])],
          ['b', new Set(['a'])],
        ]),
      ),
    ).toEqual([['a', 'b']]);
  });

  it('has no cycle between files', () => {
    const found = cycles(graphOf(edges, fileKey));
    expect(found.map((c) => explain(edges, fileKey, c))).toEqual([]);
  });

  it('has no cycle between folders through value imports', () => {
    const values = edges.filter((e) => !e.typeOnly);
    const found = cycles(graphOf(values, folderKey));
    expect(found.map((c) => explain(values, folderKey, c))).toEqual([]);
  });
});
