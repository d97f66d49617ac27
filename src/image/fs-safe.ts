/**
 * File system steps for unpacking an untrusted archive without ever leaving its directory.
 *
 * The archive is the only writer of the directory it is unpacked into (a fresh staging directory
 * of the image store), so checking a path with `lstat` and then using it is not racy: nobody else
 * can swap a directory for a symlink in between. Every parent of every entry is checked to be a
 * real directory, never a symlink; files are created with `O_CREAT|O_EXCL|O_NOFOLLOW` after the old
 * entry is removed, so neither a planted symlink nor a hard link to a lower layer's file is ever
 * written through. Ownership, mode and mtime are applied in that order: `chown` clears the setuid
 * and setgid bits, so `chmod` must come after it.
 */
import fs from 'node:fs';
import path from 'node:path';

/** What a tar header says about an entry's metadata; `mtime` in seconds. */
export interface Meta {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

export function join(root: string, parts: string[]): string {
  return parts.length === 0 ? root : path.join(root, ...parts);
}

export function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Makes sure every parent of `parts` is a real directory (creating missing ones, mode 0755, when
 * `create`, and telling `made` about each); refuses a parent that is a symlink or not a directory. Returns false
 * when a parent is missing and `create` is false.

 */
export function checkParents(
  root: string,
  parts: string[],
  create: boolean,
  what: string,
  made?: (parts: string[]) => void,
): boolean {
  for (let i = 1; i < parts.length; i++) {
    const p = join(root, parts.slice(0, i));
    const st = lstatOrNull(p);
    if (st === null) {
      if (!create) return false;
      fs.mkdirSync(p, 0o755);
      made?.(parts.slice(0, i));
    } else if (st.isSymbolicLink()) {
      throw new Error(
        `${what}: entry "${parts.join('/')}" would be written through the symlink "${parts.slice(0, i).join('/')}"`,
      );
    } else if (!st.isDirectory()) {
      throw new Error(
        `${what}: entry "${parts.join('/')}" is below "${parts.slice(0, i).join('/')}", which is not a directory`,
      );
    }
  }
  return true;
}

/**
 * Removes whatever is at `abs` so a new entry can take its place; a directory is kept when the new
 * entry is a directory too (its contents merge, as layers do). Returns whether a directory remains.
 */
export function clearFor(abs: string, keepDirectory: boolean): boolean {
  const st = lstatOrNull(abs);
  if (st === null) return false;
  if (st.isDirectory() && keepDirectory) return true;
  fs.rmSync(abs, { recursive: true, force: true });
  return false;
}

/** Applies ownership (when `chown`), mode and mtime to a path that is not followed if a symlink. */
export function applyMeta(abs: string, meta: Meta, chown: boolean, isSymlink = false): void {
  if (chown) fs.lchownSync(abs, meta.uid, meta.gid);
  if (!isSymlink) fs.chmodSync(abs, meta.mode & 0o7777);
  fs.lutimesSync(abs, meta.mtime, meta.mtime);
}

/** Writes a regular file from `body` and applies its metadata through the same descriptor. */
export async function writeFile(abs: string, body: AsyncIterable<Buffer>, meta: Meta, chown: boolean): Promise<number> {
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const fd = fs.openSync(abs, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  let bytes = 0;
  try {
    for await (const chunk of body) {
      for (let off = 0; off < chunk.length;) off += fs.writeSync(fd, chunk, off);
      bytes += chunk.length;
    }
    if (chown) fs.fchownSync(fd, meta.uid, meta.gid);
    fs.fchmodSync(fd, meta.mode & 0o7777);
    fs.futimesSync(fd, meta.mtime, meta.mtime);
  } finally {
    fs.closeSync(fd);
  }
  return bytes;
}

/** True when `parts` names a real directory reached through real directories only. */
export function isPlainDirectory(root: string, parts: string[]): boolean {
  for (let i = 1; i <= parts.length; i++) {
    const st = lstatOrNull(join(root, parts.slice(0, i)));
    if (st === null || !st.isDirectory()) return false;
  }
  return lstatOrNull(root)?.isDirectory() ?? false;
}
