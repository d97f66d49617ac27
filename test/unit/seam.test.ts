/**
 * One syscall seam: only src/kernel.ts loads the addon (src/native.ts); everything privileged goes
 * through the Kernel, and the pod's lifecycle through the Host built on it (runtime/host.ts).
 * Type-only imports (the addon's record shapes) would be harmless, but the seam re-exports them too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(__dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

describe('the syscall seam', () => {
  it('is the only importer of the addon', () => {
    const importers = sourceFiles(SRC).filter((f) => {
      const text = fs.readFileSync(f, 'utf8');
      return [...text.matchAll(/from '([^']+)'/g)].some(
        (m) => m[1]!.startsWith('.') && path.resolve(path.dirname(f), m[1]!) === path.join(SRC, 'native.js'),
      );
    });
    expect(importers.map((f) => path.relative(SRC, f))).toEqual(['kernel.ts']);
  });

  it('is where the lifecycle modules get their system calls: none of them loads the kernel by itself', () => {
    const lifecycle = ['runtime', 'supervisor', 'teardown'].flatMap((d) => sourceFiles(path.join(SRC, d)));
    const direct = lifecycle.filter(
      (f) =>
        !f.endsWith('runtime/host.ts') &&
        /import \{[^}]*\bkernel\b[^}]*\} from '\.\.\/kernel\.js'/.test(fs.readFileSync(f, 'utf8')),
    );
    expect(direct.map((f) => path.relative(SRC, f))).toEqual([]);
  });
});
