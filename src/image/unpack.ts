/**
 * Unpacking one tar archive (a layer, or a whole root filesystem) onto a directory, safely.
 *
 * Each entry becomes what its tar header says (directory, file, symlink, hard link, device, FIFO)
 * with its owner, mode and mtime, replacing what a lower layer left at that path. The rules that
 * keep an untrusted archive inside the directory:
 *
 * - names are normalised and refused when absolute or containing `..` (tar-path.ts);
 * - no entry is written through a symlink, whether the archive planted it or a lower layer did;
 * - a hard link must name an existing, non-directory entry reached through real directories, so it
 *   can only link what is already inside (`link()` does not follow a final symlink either);
 * - directories are created owner-only and get their own mode and mtime once the archive is done
 *   (writing into a directory changes its mtime, and a read-only mode would stop the writing).
 *
 * Whiteout markers are either applied onto the tree (flattening one layer onto the ones below) or,
 * for a layer unpacked into its own directory of the layer store, stored as overlayfs markers
 * (`overlay: true`; whiteout.ts says which and why). In that mode a marker's missing parents are
 * created (the marker must sit in its directory), and a path the layer both whites out and then
 * writes becomes a fresh directory: an opaque one, since the layer replaced what was below.
 *
 * Extended attributes (`SCHILY.xattr.*`, e.g. `security.capability` file capabilities) are not
 * applied: Node has no `setxattr`, and an image that relies on file capabilities gets the
 * capabilities Kubernetes grants through the pod's `securityContext` instead.
 */
import fs from 'node:fs';
import { kernel } from '../kernel.js';
import {
  applyMeta,
  checkParents,
  clearFor,
  isPlainDirectory,
  join,
  lstatOrNull,
  writeFile,
  type Meta,
} from './fs-safe.js';
import { entryPath } from './tar-path.js';
import { LayerPaths, OVERLAY_OPAQUE_XATTR, sweepOpaque, whiteoutOf } from './whiteout.js';

/** A tar header as tar-stream decodes it, with the pax records it keeps aside. */
export interface TarHeader {
  name: string;
  type?: string | null;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: Date;
  linkname?: string | null;
  devmajor?: number;
  devminor?: number;
  pax?: Record<string, string>;
}

export interface UnpackOptions {
  /** what the archive is, for errors: `layer 2 of "busybox:latest"` */
  what: string;
  /** interpret OCI whiteout markers (layers); a root filesystem tarball keeps `.wh.` files as files */
  whiteouts: boolean;
  /** store the markers as overlayfs reads them (a layer in its own directory) instead of applying them */
  overlay?: boolean;
  /** apply owners (default: when running as root; an unprivileged process cannot) */
  chown?: boolean;
  /**
   * Overlay mode: the metadata the image's lower layers give a directory (undefined: they have
   * none there). A directory the layer needs but does not list (a parent of an entry or a marker)
   * gets it, as containerd does: in an overlay the upper directory's mode, owner and times win,
   * so a parent made with defaults would change them for the whole image.
   */
  lowerDirMeta?: (parts: string[]) => Meta | undefined;
}

const DEVICE_TYPE: Record<string, number> = {
  'character-device': fs.constants.S_IFCHR,
  'block-device': fs.constants.S_IFBLK,
  fifo: fs.constants.S_IFIFO,
};

export class Unpacker {
  private readonly written = new LayerPaths();
  private readonly opaque: string[][] = [];
  private readonly dirMeta = new Map<string, { parts: string[]; meta: Meta }>();
  /** overlay mode: the whiteout devices this layer made, keys like `etc/gone` */
  private readonly whited = new Set<string>();
  /** directories made because an entry needed them, not listed by the layer */
  private readonly implicit: string[][] = [];
  private readonly made = (parts: string[]) => this.implicit.push(parts);
  private readonly chown: boolean;
  /** regular-file bytes written */
  bytes = 0;

  constructor(
    readonly root: string,
    readonly opts: UnpackOptions,
  ) {
    this.chown = opts.chown ?? process.getuid?.() === 0;
  }

  /** Applies one entry; `body` must be consumed (it is, unless this throws). */
  async entry(header: TarHeader, body: AsyncIterable<Buffer>): Promise<void> {
    const parts = entryPath(header.name, this.opts.what);
    const base = parts[parts.length - 1];
    const whiteout = this.opts.whiteouts && base !== undefined ? whiteoutOf(base) : undefined;
    let consumed = false;
    if (whiteout) {
      this.applyWhiteout(parts, whiteout.kind === 'remove' ? whiteout.name : whiteout.kind);
    } else if (parts.length === 0) {
      if (header.type !== 'directory')
        throw new Error(`${this.opts.what}: entry "${header.name}" replaces the root directory`);
      this.dirMeta.set('', { parts, meta: metaOf(header) });
    } else {
      this.reviveWhited(parts);
      checkParents(this.root, parts, true, this.opts.what, this.made);
      consumed = await this.create(parts, header, body);
      this.written.add(parts);
    }
    if (!consumed) for await (const _ of body); // markers, links and directories have no data to keep
  }

  private applyWhiteout(parts: string[], name: string): void {
    const dir = parts.slice(0, -1);
    if (name === 'meta') return;
    if (this.opts.overlay) return this.storeWhiteout(dir, name);
    if (!checkParents(this.root, parts, false, this.opts.what)) return;
    if (name === 'opaque') {
      this.opaque.push(dir);
      this.written.add(dir);
      return;
    }
    const target = [...dir, name];
    if (!this.written.has(target)) this.remove(target);
  }

  /** Overlay mode: an opaque mark for `dir` (set in finish), or a 0/0 device at `dir/name`. */
  private storeWhiteout(dir: string[], name: string): void {
    this.reviveWhited(dir, true);
    checkParents(this.root, [...dir, name], true, this.opts.what, this.made);
    if (name === 'opaque') {
      this.opaque.push(dir);
      return;
    }
    const target = [...dir, name];
    // an entry of this same layer is not hidden by its whiteout; a second marker adds nothing
    if (this.written.has(target) || lstatOrNull(join(this.root, target)) !== null) return;
    kernel.mknod(join(this.root, target), fs.constants.S_IFCHR, 0, 0);
    this.whited.add(target.join('/'));
  }

  /**
   * Overlay mode: an entry at or below a path this layer whited out. The whiteout goes, and the
   * path becomes a directory of this layer that hides the lower one (opaque) when it is a parent;
   * an entry at the path itself replaces the device in create(), and is made opaque if a directory.
   */
  private reviveWhited(parts: string[], allParents = false): void {
    if (this.whited.size === 0) return;
    for (let i = 1; i <= parts.length; i++) {
      const key = parts.slice(0, i).join('/');
      if (!this.whited.has(key)) continue;
      this.whited.delete(key);
      this.opaque.push(parts.slice(0, i));
      if (i < parts.length || allParents) {
        fs.rmSync(join(this.root, parts.slice(0, i)));
        fs.mkdirSync(join(this.root, parts.slice(0, i)), 0o755);
      }
    }
  }

  /** Creates the entry; true when it consumed `body`. */
  private async create(parts: string[], h: TarHeader, body: AsyncIterable<Buffer>): Promise<boolean> {
    const abs = join(this.root, parts);
    const meta = metaOf(h);
    const type = h.type ?? 'file';
    if (type === 'directory') {
      if (!clearFor(abs, true)) fs.mkdirSync(abs, 0o700);
      this.dirMeta.set(parts.join('/'), { parts, meta });
      return false;
    }
    this.remove(parts);
    if (type === 'file' || type === 'contiguous-file') {
      this.bytes += await writeFile(abs, body, meta, this.chown);
      return true;
    } else if (type === 'symlink') {
      fs.symlinkSync(h.linkname ?? '', abs);
      applyMeta(abs, meta, this.chown, true);
    } else if (type === 'link') {
      fs.linkSync(this.linkTarget(parts, h.linkname ?? ''), abs);
    } else if (DEVICE_TYPE[type] !== undefined) {
      kernel.mknod(abs, DEVICE_TYPE[type] | (meta.mode & 0o7777), h.devmajor ?? 0, h.devminor ?? 0);
      applyMeta(abs, meta, this.chown);
    } else {
      throw new Error(`${this.opts.what}: entry "${h.name}" has an unsupported type (${type})`);
    }
    return false;
  }

  /** The path a hard link entry may link to: an existing non-directory, inside, not via symlinks. */
  private linkTarget(parts: string[], linkname: string): string {
    const what = `${this.opts.what}: hard link "${parts.join('/')}"`;
    const target = entryPath(linkname, what);
    const st = checkParents(this.root, target, false, what) ? lstatOrNull(join(this.root, target)) : null;
    if (st === null) throw new Error(`${what} points to "${linkname}", which does not exist`);
    if (st.isDirectory()) throw new Error(`${what} points to the directory "${linkname}"`);
    return join(this.root, target);
  }

  private markOpaque(dir: string[]): void {
    if (markOpaqueIn(this.root, dir, this.opts.what)) this.made(dir);
  }

  /** Removes a path and forgets the metadata of directories that were at or under it. */
  private remove(parts: string[]): void {
    clearFor(join(this.root, parts), false);
    const key = parts.join('/');
    for (const k of this.dirMeta.keys()) {
      if (k === key || k.startsWith(key + '/')) this.dirMeta.delete(k);
    }
  }

  /** Ends the archive: empties opaque directories, then sets directories' modes, deepest first. */
  finish(): void {
    for (const dir of this.opaque) {
      if (this.opts.overlay) this.markOpaque(dir);
      else if (isPlainDirectory(this.root, dir)) sweepOpaque(this.root, dir, this.written);
    }
    const lower = this.opts.lowerDirMeta;
    for (const parts of lower ? this.implicit : []) {
      const meta = this.dirMeta.has(parts.join('/')) ? undefined : lower!(parts);
      if (meta) this.dirMeta.set(parts.join('/'), { parts, meta });
    }
    const dirs = [...this.dirMeta.values()].sort((a, b) => b.parts.length - a.parts.length);
    for (const { parts, meta } of dirs) {
      if (isPlainDirectory(this.root, parts)) applyMeta(join(this.root, parts), meta, this.chown);
    }
  }
}

/** Overlay mode: `dir` hides what the lower layers have there (made if the layer did not: true). */
function markOpaqueIn(root: string, dir: string[], what: string): boolean {
  const abs = join(root, dir);
  const st = lstatOrNull(abs);
  if (st !== null && !st.isDirectory()) return false; // the layer put a file or symlink there: nothing below to hide
  if (st === null) fs.mkdirSync(abs, 0o755);
  if (!isPlainDirectory(root, dir))
    throw new Error(`${what}: opaque directory "${dir.join('/')}" is not a plain directory`);
  kernel.lsetxattr(abs, OVERLAY_OPAQUE_XATTR, 'y');
  return st === null;
}

/** Owner, mode and mtime of an entry; pax records (`uid`, `gid`, `mtime`) win over the header. */
export function metaOf(h: TarHeader): Meta {
  const pax = h.pax ?? {};
  const num = (v: string | undefined, fallback: number) =>
    v !== undefined && Number.isFinite(Number(v)) ? Number(v) : fallback;
  return {
    mode: (h.mode ?? 0o644) & 0o7777,
    uid: num(pax.uid, h.uid ?? 0),
    gid: num(pax.gid, h.gid ?? 0),
    mtime: num(pax.mtime, (h.mtime?.getTime() ?? 0) / 1000),
  };
}
