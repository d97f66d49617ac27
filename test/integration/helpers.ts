/**
 * Helpers for integration tests: an isolated tspod root per test file (with the busybox image), the
 * CLI run as a user runs it, and checks that a pod left nothing on the host.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, inject } from 'vitest';
import { mountsUnder as mountsBelow } from '../../src/mountinfo.js';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const TSPOD = path.join(REPO, 'bin/tspod');

export interface TestRoots {
  dir: string;
  root: string;
  runRoot: string;
  env: NodeJS.ProcessEnv;
}

/** A fresh root and run root under /tmp, with the busybox image already in its store. */
export function newRoots(tag: string): TestRoots {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tspod-it-${tag}-`));
  const root = path.join(dir, 'root');
  const runRoot = path.join(dir, 'run');
  fs.mkdirSync(root);
  fs.cpSync(path.join(inject('baseRoot'), 'images'), path.join(root, 'images'), {
    recursive: true,
    verbatimSymlinks: true,
  });
  // Tests stay offline: every registry is blocked, so `image: busybox` (pull policy Always) runs
  // the stored image, as on a host without a registry (ARCHITECTURE §13).
  const registries = path.join(dir, 'registries.json');
  fs.writeFileSync(registries, JSON.stringify({ registries: { '*': { blocked: true } } }));
  const env = {
    ...process.env,
    TSPOD_ROOT: root,
    TSPOD_RUN_ROOT: runRoot,
    TSPOD_LOG_LEVEL: 'info',
    TSPOD_REGISTRIES_CONFIG: registries,
  };
  return { dir, root, runRoot, env };
}

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Start `tspod ARGS...`; `done` resolves with its output when it exits. */
export function start(
  roots: TestRoots,
  args: string[],
  input?: string,
): { child: ChildProcess; done: Promise<Result>; output: () => string } {
  const child = spawn(process.execPath, [TSPOD, ...args], { env: roots.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdin!.end(input ?? '');
  const done = new Promise<Result>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done, output: () => stdout };
}

export function tspod(roots: TestRoots, args: string[], input?: string): Promise<Result> {
  return start(roots, args, input).done;
}

/** Run a pod manifest (an object, sent as JSON on stdin) in the foreground. */
export function runPod(roots: TestRoots, manifest: object, extra: string[] = []): Promise<Result> {
  return tspod(roots, ['run', ...extra, '-'], JSON.stringify(manifest));
}

export function pod(name: string, spec: object, uid?: string): object {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, ...(uid ? { uid } : {}) }, spec };
}

/** Lines a container printed in a foreground run (`name | text`). */
export function linesOf(out: string, container: string): string[] {
  const prefix = `${container} | `;
  return out
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length));
}

export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Mount points at or below `dir` in the host's mount table. */
export function mountsUnder(dir: string): string[] {
  return mountsBelow([dir]);
}

/** Cgroup directories of a pod (by uid) in any hierarchy. */
export function cgroupsOf(uid: string): string[] {
  return fs
    .readdirSync('/sys/fs/cgroup')
    .map((h) => path.join('/sys/fs/cgroup', h, 'tspod', uid))
    .filter((d) => fs.existsSync(d));
}

/** Processes whose command line (its arguments joined by spaces) mentions `marker`. */
export function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      if (fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(marker)) pids.push(Number(p));
    } catch {
      // gone
    }
  }
  return pids;
}

/** The host is as before the pod: no mounts, pod directories, cgroups or processes of it. */
export function expectClean(roots: TestRoots, uids: string[] = [], markers: string[] = []): void {
  expect(mountsUnder(roots.dir)).toEqual([]);
  for (const base of [path.join(roots.root, 'pods'), path.join(roots.runRoot, 'pods')]) {
    expect(fs.existsSync(base) ? fs.readdirSync(base) : []).toEqual([]);
  }
  for (const uid of uids) expect(cgroupsOf(uid)).toEqual([]);
  for (const m of markers) expect(processesWith(m)).toEqual([]);
}

export function removeRoots(roots: TestRoots): void {
  fs.rmSync(roots.dir, { recursive: true, force: true });
}

/**
 * A set-user-ID program a pod planted, owned by host root on disk, that the host user nobody
 * cannot reach to run (the directories above it are root's alone).
 */
export function expectSetuidOutOfReach(file: string): void {
  const st = fs.statSync(file);
  expect({ file, uid: st.uid, mode: (st.mode & 0o7777).toString(8) }).toEqual({ file, uid: 0, mode: '4755' });
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'head', '-c', '1', file], {
    encoding: 'utf8',
  });
  expect({ file, status: r.status, denied: /Permission denied/.test(r.stderr) }).toEqual({
    file,
    status: 1,
    denied: true,
  });
}
