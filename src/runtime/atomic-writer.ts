/**
 * The kubelet's atomic writer (pkg/volume/util/atomic_writer.go), the layout of every configMap,
 * secret, downwardAPI and projected volume:
 *
 *     <volume>/..2026_12_01_22_30_46.1234567/key    the files, in a timestamped directory
 *     <volume>/..data -> ..2026_12_01_22_30_46.1234567
 *     <volume>/key -> ..data/key                    one link per top-level name
 *
 * A reader follows `key` through `..data`, and `..data` is replaced by one rename(2) (atomic on
 * the same file system), so a process reading a volume sees the old set of files or the new one,
 * never half of each. Names starting with `..` are the writer's own; payload paths cannot start
 * with `..` (manifest/config-checks.ts).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { beforeFirst } from '../checked.js';

export interface PayloadFile {
  /** relative path inside the volume */
  path: string;
  content: Buffer;
  /** permission bits (0..0777) */
  mode: number;
}

export interface WriteOwner {
  /** group of every file and directory written (fsGroup), when set */
  gid?: number;
}

function timestampPrefix(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

async function writeFile(tsDir: string, f: PayloadFile, owner: WriteOwner): Promise<void> {
  const target = path.join(tsDir, f.path);
  await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
  // 'wx': the timestamped directory is new, so an existing file here would be a bug, never reused.
  await fs.writeFile(target, f.content, { flag: 'wx', mode: 0o600 });
  if (owner.gid !== undefined) await fs.chown(target, 0, owner.gid);
  // chmod after the write: the mode asked for may not even let the owner write (0400).
  await fs.chmod(target, f.mode);
}

/** Writes `files` into `dir` (which exists) as the kubelet does; returns the timestamped directory's name. */
export async function writeAtomic(
  dir: string,
  files: PayloadFile[],
  owner: WriteOwner = {},
  now = new Date(),
): Promise<string> {
  const tsDir = await fs.mkdtemp(path.join(dir, timestampPrefix(now)));
  await fs.chmod(tsDir, 0o755);
  if (owner.gid !== undefined) await fs.chown(tsDir, 0, owner.gid);
  for (const f of files) await writeFile(tsDir, f, owner);
  const tsName = path.basename(tsDir);
  // The new ..data is made beside the old one and renamed over it: one atomic switch.
  const tmpLink = path.join(dir, '..data_tmp');
  await fs.rm(tmpLink, { force: true });
  await fs.symlink(tsName, tmpLink);
  await fs.rename(tmpLink, path.join(dir, '..data'));
  const tops = [...new Set(files.map((f) => beforeFirst(f.path, '/')))];
  for (const top of tops) {
    const link = path.join(dir, top);
    if (!(await fs.lstat(link).catch(() => undefined))) await fs.symlink(path.join('..data', top), link);
  }
  return tsName;
}
