/**
 * Reading a file of an image without mounting it: the lookup overlayfs makes through the image's
 * layer directories, done by hand (for the image's /etc/passwd and /etc/group, say, read before
 * any container exists, and for the metadata of a directory a new layer needs but does not list).
 *
 * Topmost layer first, each component of the path is looked up: a whiteout (a 0/0 character
 * device) ends the search (the file was deleted), a directory marked opaque hides the layers below
 * it, and anything but a directory on the way hides what lower layers have below that name. A
 * symlink anywhere on the way gives no file, as if absent: its target would be resolved against
 * the host's root, not the image's, so it is never followed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { kernel } from '../kernel.js';
import type { Meta } from './fs-safe.js';
import { isOverlayWhiteout, OVERLAY_OPAQUE_XATTR } from './whiteout.js';

/** The contents of `file` (relative, like `etc/passwd`) in the image, or undefined. */
export function readImageFile(lowerDirs: string[], file: string): string | undefined {
  const found = findInLayers(lowerDirs, file.split('/').filter(Boolean));
  return found === undefined ? undefined : fs.readFileSync(found, 'utf8');
}

/** The path of the regular file `parts` names in the merged view of `lowerDirs` (topmost first). */
export function findInLayers(
  lowerDirs: string[],
  parts: string[],
  want: (st: fs.Stats) => boolean = (st) => st.isFile(),
): string | undefined {
  for (const layer of lowerDirs) {
    const r = lookInLayer(layer, parts, want);
    if (r.kind === 'found') return r.path;
    if (r.kind === 'hidden') return undefined;
  }
  return undefined;
}

type Look = { kind: 'found'; path: string } | { kind: 'hidden' } | { kind: 'absent' };

/** One layer's answer: the file, "not here and not below" (hidden), or "look further down". */
function lookInLayer(layer: string, parts: string[], want: (st: fs.Stats) => boolean): Look {
  let dir = layer;
  let opaque = false; // a directory on the way, in this layer, hides the lower layers below it
  for (const [i, part] of parts.entries()) {
    const p = path.join(dir, part);
    const st = lstatOrNull(p);
    if (st === null) return opaque ? { kind: 'hidden' } : { kind: 'absent' };
    if (isOverlayWhiteout(st)) return { kind: 'hidden' };
    if (i === parts.length - 1) return want(st) ? { kind: 'found', path: p } : { kind: 'hidden' };
    if (!st.isDirectory()) return { kind: 'hidden' };
    opaque ||= isOpaque(p);
    dir = p;
  }
  return { kind: 'hidden' };
}

/** Mode, owner and mtime of the directory `parts` as the image's layers show it, if it is one. */
export function dirMetaInLayers(lowerDirs: string[], parts: string[]): Meta | undefined {
  const found = findInLayers(lowerDirs, parts, (st) => st.isDirectory());
  if (found === undefined) return undefined;
  const st = fs.lstatSync(found);
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtimeMs / 1000 };
}

function isOpaque(dir: string): boolean {
  return kernel.lgetxattr(dir, OVERLAY_OPAQUE_XATTR) === 'y';
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      return null;
    throw err;
  }
}
