/**
 * The image store's files on disk, and the locks that make concurrent use safe.
 *
 * ```
 * <root>/images/
 *   lock                   flock(2): shared to read or to start an import, exclusive to change
 *   refs.json              {"refs": {"docker.io/library/busybox:latest": "sha256:<id>", ...}}
 *   blobs/sha256/<hex>     the image's parts as pulled or imported: manifest, config, layers
 *   layers/sha256/<hex>/   each layer once, by diff ID, unpacked (layers.ts): overlayfs lower dirs
 *   sha256/<id>/config.json   the OCI image config, byte for byte (its sha256 is <id>)
 *   sha256/<id>/image.json    what tspod knows besides: its layers (diff IDs, bottom first), when
 *                          and from what it came, its manifest and repo digests, its blobs, size
 *   sha256/<id>/rootfs     for a one-layer image, a symlink to its layer's diff/ (see below)
 *   tmp/                   imports and pulls in progress, each a directory locked by its owner
 * ```
 *
 * `refs.json` keys are normalised references (ref.ts); a store written before names were
 * normalised has keys such as `busybox:latest`, which are read as their normalised form, so such a
 * store is used as it is and rewritten in the new form by its first change. Images stored before
 * tspod kept blobs have no `blobs` in `image.json`: they run, but cannot be saved or pushed.
 *
 * A store written before the layer store (every image one unpacked `sha256/<id>/rootfs/`) is
 * migrated on first use (migrate.ts). A one-layer image keeps `rootfs` as a relative symlink to its
 * layer, so a tspod of the old format reading the same store (a host mid-upgrade) still finds it.
 *
 * Atomicity comes from rename(2): an image appears in `sha256/` in one step once it is complete,
 * and `refs.json` is replaced by writing a temporary file and renaming it. An import that dies
 * leaves only its directory in `tmp/`; flock locks die with their process, so the next store
 * operation finds that directory unlocked and removes it. Locks are taken with a blocking
 * `flock` and held only around synchronous steps, so two operations in one process can never wait
 * on each other.
 */
import fs from 'node:fs';
import path from 'node:path';
import { kernel } from '../kernel.js';
import { imagesDir, type Roots } from '../paths.js';
import { normalizeRef } from './ref.js';

export interface StorePaths {
  dir: string;
  lock: string;
  refs: string;
  images: string;
  blobs: string;
  layers: string;
  tmp: string;
}

export function storePaths(roots: Roots): StorePaths {
  const dir = imagesDir(roots);
  return {
    dir,
    lock: path.join(dir, 'lock'),
    refs: path.join(dir, 'refs.json'),
    images: path.join(dir, 'sha256'),
    blobs: path.join(dir, 'blobs', 'sha256'),
    layers: path.join(dir, 'layers'),
    tmp: path.join(dir, 'tmp'),
  };
}

export function ensureStore(p: StorePaths): void {
  for (const d of [p.dir, p.images, p.blobs, p.layers, p.tmp]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
}

/** Runs `fn` holding the store lock (`sh` to read, `ex` to change). */
export function withLock<T>(p: StorePaths, how: 'sh' | 'ex', fn: () => T): T {
  const fd = fs.openSync(p.lock, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  try {
    kernel.flock(fd, how, true);
    return fn();
  } finally {
    fs.closeSync(fd); // closing the last descriptor releases the flock
  }
}

export type Refs = Record<string, string>;

export function readRefs(p: StorePaths): Refs {
  let text: string;
  try {
    text = fs.readFileSync(p.refs, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`reading the image index ${p.refs}`, { cause: err });
  }
  let refs: Refs;
  try {
    refs = (JSON.parse(text) as { refs: Refs }).refs ?? {};
  } catch (cause) {
    throw new Error(`the image index ${p.refs} is not valid JSON`, { cause });
  }
  // Keys of an older store (`busybox:latest`) read as what they normalise to.
  const out: Refs = {};
  for (const [key, id] of Object.entries(refs)) {
    try {
      out[normalizeRef(key)] = id;
    } catch {
      out[key] = id; // not a reference any more; kept so that it can still be removed
    }
  }
  return out;
}

/** Replaces `refs.json` atomically (caller holds the exclusive lock). */
export function writeRefs(p: StorePaths, refs: Refs): void {
  const sorted = Object.fromEntries(Object.entries(refs).sort(([a], [b]) => a.localeCompare(b)));
  writeFileAtomic(p, p.refs, JSON.stringify({ refs: sorted }, null, 2) + '\n');
}

/** Write to a temporary file in `tmp/`, flush it, rename it over `file`. */
export function writeFileAtomic(p: StorePaths, file: string, data: string | Buffer): void {
  const temp = path.join(p.tmp, `.${path.basename(file)}.${process.pid}.${Date.now()}`);
  const fd = fs.openSync(temp, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
}

/** A scratch directory in `tmp/` that stays locked (so it is not swept) until `discard()`. */
export class Staging {
  private constructor(
    readonly dir: string,
    private fd: number,
  ) {}

  /** Call with the store lock held (shared is enough): sweeping needs it exclusive. */
  static create(p: StorePaths, purpose: string): Staging {
    const dir = fs.mkdtempSync(path.join(p.tmp, `${purpose}-`));
    const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    kernel.flock(fd, 'ex', false);
    return new Staging(dir, fd);
  }

  discard(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * Removes what dead imports left in `tmp/` (caller holds the exclusive lock). A live import keeps
 * its directory locked until it has removed it itself, so an entry may vanish while we look.
 */
export function sweepTmp(p: StorePaths): void {
  for (const name of fs.readdirSync(p.tmp)) {
    try {
      sweepEntry(path.join(p.tmp, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

function sweepEntry(entry: string): void {
  if (!fs.lstatSync(entry).isDirectory()) {
    fs.rmSync(entry, { force: true });
    return;
  }
  const fd = fs.openSync(entry, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    if (kernel.flock(fd, 'ex', false)) fs.rmSync(entry, { recursive: true, force: true });
  } finally {
    fs.closeSync(fd);
  }
}

/** Apparent size of the regular files under `dir`, each hard-linked file counted once. */
export function diskUsage(dir: string): number {
  const seen = new Set<number>();
  let total = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const st = fs.lstatSync(p);
        if (st.nlink > 1 && seen.has(st.ino)) continue;
        seen.add(st.ino);
        total += st.size;
      }
    }
  };
  walk(dir);
  return total;
}
