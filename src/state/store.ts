/**
 * Pod state on disk: `<run-root>/pods/<name>/state.json`, written atomically (a temporary file in
 * the same directory, then rename(2), which replaces the old file in one step: a reader sees the
 * old state or the new, never half of one).
 *
 * The supervisor holds an exclusive flock(2) on the pod's lock file for as long as it runs. The
 * kernel drops that lock when the process dies, however it dies, so "can I take the lock?" tells
 * reliably whether a pod is still supervised or was orphaned (its supervisor killed).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { kernel } from '../kernel.js';
import type { Roots } from '../paths.js';
import { podLayout } from '../layout.js';
import type { PodState, ProcessRef } from './types.js';

/** The three calls an atomic write makes: the seam where tests inject ENOSPC, EIO, EPIPE. */
export interface StateFs {
  writeFile(file: string, data: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(file: string): Promise<void>;
}

export const realStateFs: StateFs = {
  writeFile: (file, data, mode) => fsp.writeFile(file, data, { mode }),
  rename: (from, to) => fsp.rename(from, to),
  rm: (file) => fsp.rm(file, { force: true }),
};

/**
 * Write `value` as JSON to `file` in one step. A write or rename that fails (a full disk, EIO)
 * leaves the old file as it was and no temporary file behind: nothing half-done.
 */
export async function writeJsonAtomic(
  file: string,
  value: unknown,
  mode = 0o600,
  sfs: StateFs = realStateFs,
): Promise<void> {
  // (node:crypto loaded here, on the first write: ps, inspect and logs only read states.)
  const tmp = `${file}.tmp-${process.pid}-${process.getBuiltinModule('node:crypto').randomBytes(4).toString('hex')}`;
  try {
    await sfs.writeFile(tmp, JSON.stringify(value, null, 2) + '\n', mode);
    await sfs.rename(tmp, file);
  } catch (err) {
    await sfs.rm(tmp).catch(() => undefined);
    throw err;
  }
}

export async function writeState(roots: Roots, state: PodState, sfs?: StateFs): Promise<void> {
  await writeJsonAtomic(podLayout(roots, state.name).stateFile, state, 0o600, sfs);
}

export async function readState(roots: Roots, name: string): Promise<PodState | undefined> {
  try {
    return JSON.parse(await fsp.readFile(podLayout(roots, name).stateFile, 'utf8')) as PodState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`reading the state of pod "${name}"`, { cause: err });
  }
}

/** Names of every pod that has a directory under the run root. */
export async function listPodNames(roots: Roots): Promise<string[]> {
  try {
    return (await fsp.readdir(path.join(roots.runRoot, 'pods'))).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** An open lock file; `release` closes it (which drops the lock). */
export interface PodLock {
  fd: number;
  release(): void;
}

/** Take the pod's lock; undefined when another process holds it (and `wait` is false). */
// (libuv opens every file with O_CLOEXEC, so children never inherit the lock.)
export function lockPod(roots: Roots, name: string, wait = false): PodLock | undefined {
  const fd = fs.openSync(podLayout(roots, name).lockFile, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  if (!kernel.flock(fd, 'ex', wait)) {
    fs.closeSync(fd);
    return undefined;
  }
  // Once only: a second close could close an fd reused meanwhile (another pod's lock, in the one
  // supervisor of many pods).
  let held = true;
  return {
    fd,
    release: () => {
      if (!held) return;
      held = false;
      fs.closeSync(fd);
    },
  };
}

/**
 * An exclusive flock on `file` (created 0600, never through a symlink): undefined when another
 * process holds it and `wait` is false. (The supervisor's and the start lock: supervisor/host-main.ts.)
 */
export function lockFile(file: string, wait: boolean): { release(): void } | undefined {
  const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
  if (!kernel.flock(fd, 'ex', wait)) {
    fs.closeSync(fd);
    return undefined;
  }
  let held = true;
  return {
    release: () => {
      if (!held) return;
      held = false;
      fs.closeSync(fd);
    },
  };
}

/** Is the pod's supervisor alive? (It holds the lock while it runs.) */
export function isSupervised(roots: Roots, name: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(podLayout(roots, name).lockFile, fs.constants.O_RDWR);
  } catch (err) {
    // No lock file yet: nobody supervises the pod. Any other error (EACCES for a caller who is
    // not root) says nothing about the supervisor, and must not make a pod look orphaned.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  try {
    const free = kernel.flock(fd, 'sh', false);
    return !free;
  } finally {
    fs.closeSync(fd);
  }
}

/** State (field 3) and start time (field 22) of /proc/<pid>/stat; undefined when there is no such pid. */
function procStat(pid: number): { state: string; startTime: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    const startTime = fields[19];
    if (state === undefined || startTime === undefined) return undefined; // not the kernel's format
    return { state, startTime: Number(startTime) };
  } catch {
    return undefined;
  }
}

/** The start time of a process (field 22 of /proc/<pid>/stat), undefined when it is gone. */
export function processStartTime(pid: number): number | undefined {
  return procStat(pid)?.startTime;
}

export function processRef(pid: number): ProcessRef {
  return { pid, startTime: processStartTime(pid) ?? 0 };
}

/** Is this exact process (not a later one with a recycled pid, not a zombie) still alive? */
export function isAlive(ref: ProcessRef | undefined): boolean {
  const st = ref && procStat(ref.pid);
  return !!st && st.startTime === ref!.startTime && st.state !== 'Z' && st.state !== 'X';
}
