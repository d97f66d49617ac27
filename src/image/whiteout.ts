/**
 * Whiteouts: how a layer deletes what the layers below it put there.
 *
 * A layer is a tar of the *changes* made on top of the layers below. Additions and modifications
 * are ordinary entries; a deletion cannot be an entry, so the OCI image spec encodes it as a marker
 * file:
 *
 * - `dir/.wh.NAME` removes `dir/NAME` (and everything below it) as the lower layers left it;
 * - `dir/.wh..wh..opq` makes `dir` *opaque*: everything the lower layers put in `dir` disappears,
 *   and only what this same layer puts there stays.
 *
 * Markers never appear in the result, and they never hide entries of their own layer. An opaque
 * marker may come before or after the layer's entries for that directory, so opaque directories
 * are emptied once the whole layer is read, keeping every path the layer wrote (and their parents).
 * Other `.wh..wh.` names are AUFS bookkeeping (`.wh..wh.plnk`) and are skipped.
 *
 * The image store keeps each layer in a directory of its own and lets overlayfs stack them (see
 * layers.ts), so there the markers are stored the way overlayfs reads them in a lower directory:
 * a whiteout is a character device 0/0 at the name it deletes, and an opaque directory carries
 * the extended attribute `user.overlay.opaque` = `y`, read by an overlay mounted with the
 * `userxattr` option. Why `user.` and not overlayfs's default `trusted.overlay.opaque`: `trusted.`
 * attributes can be set and read only with CAP_SYS_ADMIN in the initial user namespace, so an
 * import by an unprivileged user, or an overlay mounted from inside a user namespace
 * (`hostUsers: false`), could not use them, while `user.` attributes work for both; overlayfs
 * hides `user.overlay.*` from the processes that use the mount, so a container cannot forge or
 * strip the marker through its root, and tspod never applies an archive's own extended
 * attributes, so a layer cannot plant one either. (Creating a 0/0 device needs no CAP_MKNOD since
 * Linux 5.8; the store's filesystem must support `user.` attributes: ext4, xfs, btrfs, tmpfs
 * since 6.6.) The flattening mode below, which applies the markers onto one tree, is what a
 * layer means; the overlay mode stores the same meaning for the kernel to apply.
 */
import fs from 'node:fs';
import { join, lstatOrNull } from './fs-safe.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
/** the opaque-directory attribute of an overlay mounted with `userxattr` */
export const OVERLAY_OPAQUE_XATTR = 'user.overlay.opaque';

/** True when `st` is an overlay whiteout: a character device with device number 0/0. */
export function isOverlayWhiteout(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

export type Whiteout = { kind: 'opaque' } | { kind: 'remove'; name: string } | { kind: 'meta' };

/** Classifies a base name: `undefined` for an ordinary name. */
export function whiteoutOf(base: string): Whiteout | undefined {
  if (base === OPAQUE_MARKER) return { kind: 'opaque' };
  if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) return { kind: 'meta' };
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === '' || name === '.' || name === '..') return { kind: 'meta' };
    return { kind: 'remove', name };
  }
  return undefined;
}

/** The paths one layer wrote: each entry and its parents, keys like `usr/bin/sh`. */
export class LayerPaths {
  private readonly keys = new Set<string>(['']);

  add(parts: string[]): void {
    for (let i = parts.length; i > 0; i--) {
      const key = parts.slice(0, i).join('/');
      if (this.keys.has(key)) return;
      this.keys.add(key);
    }
  }

  has(parts: string[]): boolean {
    return this.keys.has(parts.join('/'));
  }
}

/**
 * Empties the opaque directory `dir` of everything the layer did not write, recursing into the
 * directories it did write (their lower-layer contents are hidden too).
 */
export function sweepOpaque(root: string, dir: string[], written: LayerPaths): void {
  const abs = join(root, dir);
  for (const name of fs.readdirSync(abs)) {
    const child = [...dir, name];
    const childAbs = join(root, child);
    if (!written.has(child)) {
      fs.rmSync(childAbs, { recursive: true, force: true });
    } else if (lstatOrNull(childAbs)?.isDirectory()) {
      sweepOpaque(root, child, written);
    }
  }
}
