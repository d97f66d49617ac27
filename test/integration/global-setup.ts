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

const repo = path.resolve(import.meta.dirname, '../..');

function need(ok: boolean, what: string): void {
  if (!ok) throw new Error(`integration tests need ${what}`);
}

/** Every pod cgroup (`<hierarchy>/tspod/<uid>`) on the host right now. */
function podCgroups(): string[] {
  return fs.readdirSync('/sys/fs/cgroup').flatMap((h) => {
    const dir = path.join('/sys/fs/cgroup', h, 'tspod');
    return fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name)) : [];
  });
}

export default async function setup(project: TestProject): Promise<() => void> {
  need(process.getuid?.() === 0, 'root (run them with sudo)');
  need(fs.existsSync(path.join(repo, 'native/build/tspod.node')), 'the native addon: run "make build"');
  need(fs.existsSync(path.join(repo, 'native/build/tspod-pause')), 'the pause program: run "make build"');
  need(fs.existsSync(path.join(repo, 'dist/tspod.mjs')), 'the compiled CLI: run "make build"');
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-it-base-'));
  execFileSync(path.join(repo, 'rootfs/busybox.sh'), [], { env: { ...process.env, TSPOD_ROOT: path.join(base, 'root') }, stdio: ['ignore', 'ignore', 'inherit'] });
  project.provide('baseRoot', path.join(base, 'root'));
  const before = new Set(podCgroups());
  return () => {
    fs.rmSync(base, { recursive: true, force: true });
    // Whatever test leaked it, a pod cgroup left behind fails the run.
    const leaked = podCgroups().filter((d) => !before.has(d));
    if (leaked.length > 0) throw new Error(`pod cgroups left behind by the tests: ${leaked.join(', ')}`);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    baseRoot: string;
  }
}
