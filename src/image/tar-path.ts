/**
 * Paths inside archives, and how to keep them inside the directory they are unpacked into.
 *
 * An archive is untrusted input: its entry names are chosen by whoever made it. The classic
 * attacks are a name that climbs out (`../../etc/cron.d/x`), an absolute name (`/etc/passwd`), and
 * a symlink planted first and then written *through* (`lib -> /etc`, then `lib/passwd`). tspod
 * refuses the whole archive on the first two (GNU tar strips a leading `/` with a warning; an image
 * never needs one, so here it is an error, for root filesystem tarballs too) and never follows a
 * symlink of the archive while writing (see extract.ts).
 *
 * Reading an archive's own files (a blob in an OCI layout, a layer of a `docker save` archive) may
 * legitimately go through its symlinks, so those are resolved the way the kernel's
 * `openat2(RESOLVE_IN_ROOT)` does: as if the archive were the root of the file system, `..` at the
 * top stays at the top and an absolute target starts again from the archive's root.
 */

/** Splits an entry name into its components (`[]` is the root itself); refuses escaping names. */
export function entryPath(name: string, what: string): string[] {
  if (name.includes('\0')) throw new Error(`${what}: entry name contains a NUL byte`);
  if (name.startsWith('/')) throw new Error(`${what}: entry "${name}" has an absolute path`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new Error(`${what}: entry "${name}" contains ".."`);
  return parts;
}

/** Reads the target of the symlink at `parts`, or `undefined` when that is not a symlink. */
export type ReadLink = (parts: string[]) => string | undefined;

const MAX_LINKS = 40;

/**
 * Resolves `rel` inside a root, following symlinks as `RESOLVE_IN_ROOT` does; returns the
 * components of a path that has no symlink in it (the last component is not followed when
 * `followLast` is false).
 */
export function resolveInRoot(rel: string, readlink: ReadLink, followLast = true): string[] {
  let pending = rel.split('/');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const isLast = pending.every((p) => p === '' || p === '.');
    const target = isLast && !followLast ? undefined : readlink([...done, part]);
    if (target === undefined) {
      done.push(part);
      continue;
    }
    if (++links > MAX_LINKS) throw new Error(`too many levels of symbolic links resolving "${rel}"`);
    if (target.startsWith('/')) done.length = 0;
    pending = [...target.split('/'), ...pending];
  }
  return done;
}
