/**
 * docs/tutorial.md, run as a reader runs it: every ```sh block in order, in one bash session, as
 * root, from the repository's top directory, with `tspod` on the PATH; each block's output must
 * show what the page's ```output block says it shows (tutorial-blocks.ts). The page's own last
 * commands remove what it made; the test then checks that nothing is left.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectClean, newRoots, REPO, removeRoots, TSPOD, type TestRoots } from './helpers.js';
import { missingLine, tutorialBlocks } from './tutorial-blocks.js';

const PAGE = path.join(REPO, 'docs/tutorial.md');
let roots: TestRoots;
let bin: string;

beforeAll(() => {
  roots = newRoots('tutorial');
  bin = path.join(roots.dir, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(TSPOD, path.join(bin, 'tspod'));
});
afterAll(() => removeRoots(roots));

/** One script for the whole page: a marker line before each block splits the output again. */
function script(commands: string[]): string {
  return [
    'set -euo pipefail',
    'exec 2>&1',
    // Whatever a failed block left running in the background is ended with the shell.
    "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT",
    ...commands.flatMap((c, i) => [`echo "@@block ${i}@@"`, c]),
    'echo "@@end@@"',
  ].join('\n');
}

describe('docs/tutorial.md', () => {
  test('every command runs, and prints what the page says', () => {
    const blocks = tutorialBlocks(fs.readFileSync(PAGE, 'utf8'));
    expect(blocks.length).toBeGreaterThan(8);
    const res = spawnSync('bash', ['-c', script(blocks.map((b) => b.commands))], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 110_000,
      env: { ...roots.env, PATH: `${bin}:${process.env.PATH}` },
    });
    const out = res.stdout;
    const parts = out.split(/^@@block (\d+)@@$/m);
    const printed = new Map<number, string>();
    for (let i = 1; i < parts.length; i += 2)
      printed.set(Number(parts[i]), (parts[i + 1] ?? '').replace(/@@end@@\s*$/, ''));
    for (const [i, b] of blocks.entries()) {
      const got = printed.get(i);
      expect(
        got,
        `the block at line ${b.line} never ran; the page's commands stopped before it:\n${out}`,
      ).toBeDefined();
      if (b.expected === undefined) continue;
      const missing = missingLine(b.expected, got!);
      expect(missing, `block at line ${b.line}: "${missing}" is not in what it printed:\n${got}`).toBeUndefined();
    }
    expect(res.status, `the page's commands failed (exit ${res.status}):\n${out}`).toBe(0);
    expect(out).toMatch(/@@end@@/);
    expectClean(roots, [], ['sleep 600', 'sleep 3600']);
  }, 120_000);
});
