/**
 * Once per integration run: check what the tests need, and build the busybox image once into a
 * base store that each test file copies into its own root (copying a 2 MB store is much faster
 * than building the image per file). Anything missing is an error: integration tests fail, they
 * never skip.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { CgroupWatch } from './cgroup-watch.js';

const repo = path.resolve(import.meta.dirname, '../..');

function need(ok: boolean, what: string): void {
  if (!ok) throw new Error(`integration tests need ${what}`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  need(process.getuid?.() === 0, 'root (run them with sudo)');
  need(fs.existsSync(path.join(repo, 'native/build/tspod.node')), 'the native addon: run "make build"');
  need(fs.existsSync(path.join(repo, 'native/build/tspod-pause')), 'the pause program: run "make build"');
  need(fs.existsSync(path.join(repo, 'dist/tspod.mjs')), 'the compiled CLI: run "make build"');
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-it-base-'));
  execFileSync(path.join(repo, 'rootfs/busybox.sh'), [], {
    env: { ...process.env, TSPOD_ROOT: path.join(base, 'root') },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  project.provide('baseRoot', path.join(base, 'root'));
  // This run's id, in the environment of the test workers and so of every process they start.
  const testRun = path.basename(base);
  process.env.TSPOD_TEST_RUN = testRun;
  const watch = new CgroupWatch(testRun);
  return async () => {
    fs.rmSync(base, { recursive: true, force: true });
    // Whatever test of this run leaked it, a pod cgroup left behind fails the run; other runs'
    // pods on the same host do not (cgroup-watch.ts).
    const leaked = await watch.stop();
    if (leaked.length > 0) throw new Error(`pod cgroups left behind by the tests: ${leaked.join(', ')}`);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    baseRoot: string;
  }
}
