/**
 * The run root's supervisor directory and exits directory, made safely: each is a directory of
 * ours (the effective uid: root), mode 0700, and not a symlink. A directory that exists but is
 * someone else's, or open to others, is refused by name rather than used: the socket in it hands
 * out the host's whole power, and the exit records in the other decide how pods are reported.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HostLayout } from '../layout.js';

/** mkdir -m 0700, then check what is there (it may have been there before). */
function privateDir(dir: string): void {
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = fs.lstatSync(dir);
  const uid = process.geteuid?.() ?? 0;
  const refuse = (why: string) =>
    Object.assign(new Error(`EPERM: refusing to use ${dir}: ${why}`), {
      code: 'EPERM',
      errno: -1,
      syscall: 'lstat',
      path: dir,
    });
  if (!st.isDirectory()) throw refuse('not a directory (a symlink?)');
  if (st.uid !== uid) throw refuse(`owned by uid ${st.uid}, not ${uid}`);
  if ((st.mode & 0o077) !== 0) throw refuse(`mode ${(st.mode & 0o777).toString(8)} lets others in (0700 expected)`);
}

export function prepareHostDirs(layout: HostLayout): void {
  privateDir(layout.supervisorDir);
  privateDir(layout.exitsDir);
}
