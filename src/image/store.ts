/**
 * The image store: names (`busybox:latest`) → immutable root filesystems plus their configs.
 *
 * Every container started from an image gets that image's root filesystem as the read-only lower
 * layer of its overlay mount, and writes only to its own upper layer; so one copy on disk serves
 * every pod, and nothing a container does reaches the image. An image is stored once per ID (the
 * sha256 of its config) and tags point to IDs, as in Docker; re-importing a tag moves the tag, and
 * the image it pointed to is deleted once no tag and no pod uses it.
 *
 * Where things are and how concurrent use stays safe is in store-files.ts. Reading goes through a
 * shared lock, changing through an exclusive one, and an import does its long work (unpacking)
 * without holding either, in a staging directory of its own that becomes the image by one rename.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Roots } from '../paths.js';
import { parseImageConfig, type ImageConfig } from './config.js';
import { sha256 } from './digest.js';
import { podsUsing } from './in-use.js';
import { formatRef, parseRef } from './ref.js';
import type { SourceKind } from './source.js';
import {
  diskUsage, ensureStore, readRefs, Staging, storePaths, sweepTmp, withLock, writeRefs, type StorePaths,
} from './store-files.js';

export interface ImageRecord {
  name: string;
  tag: string;
  /** `name:tag` */
  ref: string;
  /** `sha256:...` of the config */
  id: string;
  /** absolute path of the read-only root filesystem directory */
  rootfs: string;
  config: ImageConfig;
  /** when the image was built (its config's `created`), else when it was imported */
  created: string;
  /** bytes in the root filesystem's regular files */
  size?: number;
}

/** What `tspod image inspect` shows: the record, plus where it came from and the whole config. */
export interface ImageDetails extends ImageRecord {
  imported: string;
  source: SourceKind;
  /** the OCI image config document, as stored */
  imageConfig: unknown;
}

interface ImageMeta {
  imported: string;
  source: SourceKind;
  size: number;
}

export class ImageStore {
  readonly paths: StorePaths;

  constructor(readonly roots: Roots) {
    this.paths = storePaths(roots);
  }

  /** The image named `ref` (`name` or `name:tag`); the error says how to get a missing one. */
  async resolve(ref: string): Promise<ImageRecord> {
    return record(await this.inspect(ref));
  }

  async inspect(ref: string): Promise<ImageDetails> {
    const wanted = formatRef(parseRef(ref));
    const id = this.exists() ? withLock(this.paths, 'sh', () => readRefs(this.paths)[wanted]) : undefined;
    if (id === undefined) throw this.notFound(wanted);
    return this.details(wanted, id);
  }

  async list(): Promise<ImageRecord[]> {
    if (!this.exists()) return [];
    const refs = withLock(this.paths, 'ex', () => {
      this.sweep();
      return readRefs(this.paths);
    });
    return Object.entries(refs)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([ref, id]) => record(this.details(ref, id)));
  }

  /** Imports the image in `file` (see source.ts for the formats) as `ref`. */
  async import(ref: string, file: string): Promise<ImageRecord> {
    const wanted = parseRef(ref);
    const name = formatRef(wanted);
    ensureStore(this.paths);
    const staging = withLock(this.paths, 'ex', () => {
      this.sweep();
      return Staging.create(this.paths, 'import');
    });
    try {
      const image = path.join(staging.dir, 'image');
      const work = path.join(staging.dir, 'work');
      for (const d of [image, path.join(image, 'rootfs'), work]) fs.mkdirSync(d, { mode: 0o700 });
      // Loaded here, not at start-up: the archive readers are only needed to import.
      const { importArchive } = await import('./importer.js');
      const imported = await importArchive(file, wanted, path.join(image, 'rootfs'), work);
      const id = sha256(imported.configBytes);
      const meta: ImageMeta = { imported: new Date().toISOString(), source: imported.kind, size: diskUsage(path.join(image, 'rootfs')) };
      fs.writeFileSync(path.join(image, 'config.json'), imported.configBytes, { mode: 0o600 });
      fs.writeFileSync(path.join(image, 'image.json'), JSON.stringify(meta, null, 2) + '\n', { mode: 0o600 });
      withLock(this.paths, 'ex', () => this.commit(image, id, name));
      return record(this.details(name, id));
    } catch (err) {
      throw new Error(`importing "${file}" as image "${name}"`, { cause: err });
    } finally {
      staging.discard();
    }
  }

  /** Removes the tag `ref`, and the image once no tag is left; refused while a pod uses it. */
  async remove(ref: string): Promise<void> {
    const wanted = formatRef(parseRef(ref));
    if (!this.exists()) throw this.notFound(wanted);
    withLock(this.paths, 'ex', () => {
      const refs = readRefs(this.paths);
      const id = refs[wanted];
      if (id === undefined) throw this.notFound(wanted);
      const otherTags = Object.entries(refs).some(([r, i]) => i === id && r !== wanted);
      const pods = otherTags ? [] : podsUsing(this.roots, id);
      if (pods.length > 0) {
        throw new Error(`image "${wanted}" is in use by pod "${pods[0]}"${pods.length > 1 ? ` (and ${pods.length - 1} more)` : ''}; remove the pod first ("tspod rm ${pods[0]}")`);
      }
      delete refs[wanted];
      writeRefs(this.paths, refs);
      this.sweep();
    });
  }

  private commit(image: string, id: string, ref: string): void {
    const final = this.imageDir(id);
    if (!fs.existsSync(final)) fs.renameSync(image, final);
    const refs = readRefs(this.paths);
    refs[ref] = id;
    writeRefs(this.paths, refs);
    this.sweep(); // the image the tag pointed to before may now be unused
  }

  /** Removes dead imports, and images no tag and no pod uses (caller holds the exclusive lock). */
  private sweep(): void {
    ensureStore(this.paths);
    sweepTmp(this.paths);
    const tagged = new Set(Object.values(readRefs(this.paths)));
    for (const hex of fs.readdirSync(this.paths.images)) {
      const id = `sha256:${hex}`;
      if (tagged.has(id) || podsUsing(this.roots, id).length > 0) continue;
      // rename first: a half-deleted image must never be found under its ID
      const doomed = Staging.create(this.paths, 'remove');
      fs.renameSync(this.imageDir(id), path.join(doomed.dir, 'image'));
      doomed.discard();
    }
  }

  private details(ref: string, id: string): ImageDetails {
    const dir = this.imageDir(id);
    const { name, tag } = parseRef(ref);
    let configBytes: Buffer;
    let meta: ImageMeta;
    try {
      configBytes = fs.readFileSync(path.join(dir, 'config.json'));
      meta = JSON.parse(fs.readFileSync(path.join(dir, 'image.json'), 'utf8')) as ImageMeta;
    } catch (cause) {
      throw new Error(`image "${ref}" (${id}) is damaged in the store ${this.paths.dir}; remove it and import it again`, { cause });
    }
    const parsed = parseImageConfig(configBytes, `config of image "${ref}"`);
    return {
      name, tag, ref, id, rootfs: path.join(dir, 'rootfs'), config: parsed.config,
      created: parsed.created ?? meta.imported, size: meta.size,
      imported: meta.imported, source: meta.source, imageConfig: JSON.parse(configBytes.toString('utf8')),
    };
  }

  private imageDir(id: string): string {
    return path.join(this.paths.images, id.replace(/^sha256:/, ''));
  }

  private exists(): boolean {
    return fs.existsSync(this.paths.dir);
  }

  private notFound(ref: string): Error {
    return new Error(
      `image "${ref}" is not in the store (${this.paths.dir}); build the base images with "make images" or add one with "tspod image import ${ref} FILE"`,
    );
  }
}

function record(d: ImageDetails): ImageRecord {
  const { name, tag, ref, id, rootfs, config, created, size } = d;
  return { name, tag, ref, id, rootfs, config, created, size };
}
