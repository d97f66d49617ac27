/**
 * The files of an image archive, read in place: an OCI layout directory, or a tar archive
 * (`oci-archive`, `docker save`) read by byte ranges without unpacking it.
 *
 * Image archives name their parts by path (`index.json`, `blobs/sha256/<hex>`, `<id>/layer.tar`),
 * and some of those paths are symlinks (`docker save` links repeated layers). A path is resolved
 * *inside* the archive, as `openat2(RESOLVE_IN_ROOT)` would: a symlink to `/etc/shadow` or to
 * `../../x` stays within the archive, so reading a part can never read a file of the host.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { readTar } from './tar-read.js';
import { entryPath, resolveInRoot } from './tar-path.js';

export interface ArchiveFiles {
  /** true when `rel` names a regular file of the archive */
  has(rel: string): boolean;
  /** the bytes of the file at `rel` */
  open(rel: string): Readable;
  /** the whole file at `rel`, refused when larger than `limit` bytes (manifests, configs) */
  read(rel: string, limit?: number): Promise<Buffer>;
}

const SMALL_FILE_LIMIT = 16 << 20;

async function readAll(stream: Readable, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      stream.destroy();
      throw new Error(`${what} is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** An OCI image layout directory. */
export class DirFiles implements ArchiveFiles {
  constructor(readonly root: string) {}

  private resolve(rel: string): string {
    const readlink = (parts: string[]) => {
      const p = path.join(this.root, ...parts);
      const st = fs.lstatSync(p, { throwIfNoEntry: false });
      return st?.isSymbolicLink() ? fs.readlinkSync(p) : undefined;
    };
    return path.join(this.root, ...resolveInRoot(rel, readlink));
  }

  has(rel: string): boolean {
    return fs.lstatSync(this.resolve(rel), { throwIfNoEntry: false })?.isFile() ?? false;
  }

  open(rel: string): Readable {
    const fd = fs.openSync(this.resolve(rel), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    return fs.createReadStream('', { fd });
  }

  read(rel: string, limit = SMALL_FILE_LIMIT): Promise<Buffer> {
    return readAll(this.open(rel), limit, `"${rel}"`);
  }
}

interface TarEntry {
  type: string;
  offset: number;
  size: number;
  linkname: string;
}

/** An uncompressed tar archive, indexed once (names → data offsets), then read by ranges. */
export class TarFiles implements ArchiveFiles {
  private constructor(
    readonly file: string,
    private readonly index: Map<string, TarEntry>,
  ) {}

  static async index(file: string, what: string): Promise<TarFiles> {
    const index = new Map<string, TarEntry>();
    await readTar(fs.createReadStream(file), what, async (h, body) => {
      const key = entryPath(h.name, what).join('/');
      index.set(key, {
        type: h.type ?? 'file',
        offset: h.byteOffset ?? -1,
        size: h.size ?? 0,
        linkname: h.linkname ?? '',
      });
      for await (const _ of body);
    });
    return new TarFiles(file, index);
  }

  /** The entry holding the data of `rel`: symlinks followed inside the archive, hard links too. */
  private entry(rel: string): TarEntry | undefined {
    const readlink = (parts: string[]) => {
      const e = this.index.get(parts.join('/'));
      return e?.type === 'symlink' ? e.linkname : undefined;
    };
    let e = this.index.get(resolveInRoot(rel, readlink).join('/'));
    if (e?.type === 'link') e = this.index.get(resolveInRoot(e.linkname, readlink).join('/'));
    return e && (e.type === 'file' || e.type === 'contiguous-file') && e.offset >= 0 ? e : undefined;
  }

  has(rel: string): boolean {
    return this.entry(rel) !== undefined;
  }

  open(rel: string): Readable {
    const e = this.entry(rel);
    if (!e) throw new Error(`"${rel}" is not a file in the archive ${this.file}`);
    if (e.size === 0) return Readable.from([]);
    return fs.createReadStream(this.file, { start: e.offset, end: e.offset + e.size - 1 });
  }

  read(rel: string, limit = SMALL_FILE_LIMIT): Promise<Buffer> {
    return readAll(this.open(rel), limit, `"${rel}"`);
  }

  /** Names of the archive's entries (for telling what kind of archive it is). */
  names(): string[] {
    return [...this.index.keys()];
  }
}
