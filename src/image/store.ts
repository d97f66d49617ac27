/**
 * The image store: names (`docker.io/library/busybox:latest`) → immutable root filesystems plus
 * their configs and blobs.
 *
 * Every container started from an image gets that image's root filesystem as the read-only lower
 * layer of its overlay mount, and writes only to its own upper layer; so one copy on disk serves
 * every pod, and nothing a container does reaches the image. An image is stored once per ID (the
 * sha256 of its config) and tags point to IDs, as in Docker; re-importing or re-pulling a tag moves
 * the tag, and the image it pointed to is deleted once no tag and no pod uses it. A pulled image
 * also records its *repo digests* (`name@sha256:<manifest digest>`), so `name@sha256:...` finds it.
 *
 * Where things are and how concurrent use stays safe is in store-files.ts. Reading goes through a
 * shared lock, changing through an exclusive one, and an import or pull does its long work
 * (downloading, unpacking) without holding either, in a staging directory of its own whose parts
 * become the image by renames.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Roots } from '../paths.js';
import { moveBlobs, sweepBlobs } from './blobs.js';
import { parseImageConfig, type ImageConfig, type Platform } from './config.js';
import { sha256 } from './digest.js';
import { podsUsing } from './in-use.js';
import { digestRef, formatRef, parseRef, tagRef, type ImageRef } from './ref.js';
import type { SourceKind } from './source.js';
import {
  diskUsage, ensureStore, readRefs, Staging, storePaths, sweepTmp, withLock, writeRefs, type Refs, type StorePaths,
} from './store-files.js';
import { unpackBudget } from './unpack-limit.js';

export interface ImageRecord {
  /** the repository, normalised: `docker.io/library/busybox` */
  name: string;
  /** the tag the image was found by; undefined when found by digest only */
  tag?: string;
  /** the normalised reference it was found by: `docker.io/library/busybox:latest` */
  ref: string;
  /** `sha256:...` of the config */
  id: string;
  /** `name@sha256:<manifest digest>` for every repository the image was pulled from */
  repoDigests: string[];
  /** the manifest digest this repository (`name`) knows the image by, when it was pulled */
  digest?: string;
  /** absolute path of the read-only root filesystem directory */
  rootfs: string;
  config: ImageConfig;
  /** when the image was built (its config's `created`), else when it was imported */
  created: string;
  /** bytes in the root filesystem's regular files */
  size?: number;
  /** how `run` got the image, for the pod's events (set by registry/policy.ts) */
  pull?: PullOutcome;
}

export interface PullOutcome {
  how: 'pulled' | 'present' | 'offline';
  seconds?: number;
  message?: string;
}

/** What `tspod image inspect` shows: the record, plus where it came from and the whole config. */
export interface ImageDetails extends ImageRecord {
  imported: string;
  source: SourceKind | 'registry';
  /** every name (`name:tag`, `name@digest`) that points to the image */
  names: string[];
  /** the digest of the image's manifest, as stored */
  manifestDigest?: string;
  /** the OCI image config document, as stored */
  imageConfig: unknown;
}

export interface ImageMeta {
  imported: string;
  source: SourceKind | 'registry';
  size: number;
  manifest?: string;
  blobs?: string[];
  repoDigests?: string[];
}

/** What an import or a pull adds: the unpacked image in a staging directory, and its names. */
export interface NewImage {
  /** a directory holding rootfs/, config.json, image.json */
  dir: string;
  /** blobs to move into the store */
  blobDir: string;
  configBytes: Buffer;
  refs: string[];
}

export class ImageStore {
  readonly paths: StorePaths;

  constructor(readonly roots: Roots) {
    this.paths = storePaths(roots);
  }

  /** The image named `ref`; the error says how to get a missing one. */
  async resolve(ref: string): Promise<ImageRecord> {
    return record(await this.inspect(ref));
  }

  /** The image named `ref`, or undefined when the store does not have it. */
  find(ref: string): ImageRecord | undefined {
    const wanted = parseRef(ref);
    const found = this.lookup(wanted);
    return found && record(this.details(found.key, found.id, wanted));
  }

  async inspect(ref: string): Promise<ImageDetails> {
    const wanted = parseRef(ref);
    const found = this.lookup(wanted);
    if (found === undefined) throw this.notFound(formatRef(wanted));
    return this.details(found.key, found.id, wanted);
  }

  async list(): Promise<ImageRecord[]> {
    if (!this.exists()) return [];
    const refs = withLock(this.paths, 'ex', () => {
      this.sweep();
      return readRefs(this.paths);
    });
    return Object.entries(refs)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([ref, id]) => record(this.details(ref, id, parseRef(ref))));
  }

  /** Imports the image in `file` (see source.ts for the formats) as `ref`. */
  async import(ref: string, file: string, opts: { unpackLimit?: string; platform?: Platform } = {}): Promise<ImageRecord> {
    const wanted = parseRef(ref);
    if (wanted.digest) throw new Error(`invalid image reference "${ref}": an import is named by a tag, not a digest`);
    const name = formatRef(wanted);
    const staging = this.stage('import');
    try {
      const image = path.join(staging.dir, 'image');
      const work = path.join(staging.dir, 'work');
      const blobDir = path.join(staging.dir, 'blobs');
      for (const d of [image, path.join(image, 'rootfs'), work, blobDir]) fs.mkdirSync(d, { mode: 0o700 });
      // Loaded here, not at start-up: the archive readers are only needed to import.
      const { importArchive } = await import('./importer.js');
      const budget = unpackBudget(this.paths.dir, opts.unpackLimit);
      const imported = await importArchive(file, wanted, path.join(image, 'rootfs'), { work, blobDir, budget, platform: opts.platform });
      const meta: ImageMeta = {
        imported: new Date().toISOString(), source: imported.kind, size: diskUsage(path.join(image, 'rootfs')),
        manifest: imported.manifest.digest, blobs: imported.blobs, repoDigests: [],
      };
      writeImageFiles(image, imported.configBytes, meta);
      return this.add({ dir: image, blobDir, configBytes: imported.configBytes, refs: [name] });
    } catch (err) {
      throw new Error(`importing "${file}" as image "${name}"`, { cause: err });
    } finally {
      staging.discard();
    }
  }

  /** A locked scratch directory in the store's tmp/, for an import or a pull. */
  stage(purpose: string): Staging {
    ensureStore(this.paths);
    return withLock(this.paths, 'ex', () => {
      this.sweep();
      return Staging.create(this.paths, purpose);
    });
  }

  /** Makes a staged image part of the store and points `refs` at it (repo digests are kept too). */
  add(img: NewImage): ImageRecord {
    const id = sha256(img.configBytes);
    withLock(this.paths, 'ex', () => {
      moveBlobs(img.blobDir, this.paths.blobs);
      const final = this.imageDir(id);
      if (!fs.existsSync(final)) fs.renameSync(img.dir, final);
      const digests = img.refs.filter((r) => r.includes('@'));
      if (digests.length > 0) {
        const meta = readMeta(final);
        meta.repoDigests = [...new Set([...(meta.repoDigests ?? []), ...digests])].sort();
        writeImageFiles(final, undefined, meta);
      }
      const refs = readRefs(this.paths);
      for (const r of img.refs) if (!r.includes('@') || img.refs.length === 1) refs[r] = id;
      writeRefs(this.paths, refs);
      this.sweep(); // the image a tag pointed to before may now be unused
    });
    const first = parseRef(img.refs[0]);
    return record(this.details(img.refs[0], id, first));
  }

  /** Points the tag `target` at the image `source` names (`tspod image tag`). */
  tag(source: string, target: string): ImageRecord {
    const src = parseRef(source);
    const dst = parseRef(target);
    const key = tagRef(dst);
    if (key === undefined || dst.digest) throw new Error(`invalid image reference "${target}": a tag is needed, not a digest`);
    if (!this.exists()) throw this.notFound(formatRef(src));
    return withLock(this.paths, 'ex', () => {
      const refs = readRefs(this.paths);
      const found = this.lookup(src, refs);
      if (found === undefined) throw this.notFound(formatRef(src));
      refs[key] = found.id;
      writeRefs(this.paths, refs);
      return record(this.details(key, found.id, dst));
    });
  }

  /** Removes the name `ref`, and the image once no name is left; refused while a pod uses it. */
  async remove(ref: string): Promise<string> {
    const wanted = parseRef(ref);
    if (!this.exists()) throw this.notFound(formatRef(wanted));
    return withLock(this.paths, 'ex', () => {
      const refs = readRefs(this.paths);
      const found = this.lookup(wanted, refs);
      if (found === undefined) throw this.notFound(formatRef(wanted));
      const names = found.key in refs ? [found.key] : Object.keys(refs).filter((r) => refs[r] === found.id);
      const otherNames = Object.entries(refs).some(([r, i]) => i === found.id && !names.includes(r));
      const pods = otherNames ? [] : podsUsing(this.roots, found.id);
      if (pods.length > 0) {
        throw new Error(`image "${formatRef(wanted)}" is in use by pod "${pods[0]}"${pods.length > 1 ? ` (and ${pods.length - 1} more)` : ''}; remove the pod first ("tspod rm ${pods[0]}")`);
      }
      for (const n of names) delete refs[n];
      writeRefs(this.paths, refs);
      this.sweep();
      return names.join(', ');
    });
  }

  /** Removes what no image needs: dead imports and blobs no image lists (`tspod image prune`). */
  prune(): { blobs: number } {
    if (!this.exists()) return { blobs: 0 };
    return withLock(this.paths, 'ex', () => {
      const before = fs.readdirSync(this.paths.blobs).length;
      this.sweep();
      return { blobs: before - fs.readdirSync(this.paths.blobs).length };
    });
  }

  /** The blobs of the image `ref` names (manifest first), for `image save`; refused for old images. */
  blobsOf(ref: string): { record: ImageRecord; manifest: string; blobs: string[] } {
    const details = this.detailsOf(ref);
    const meta = readMeta(this.imageDir(details.id));
    if (!meta.manifest || !meta.blobs) {
      throw new Error(`image "${details.ref}" was stored before tspod kept image blobs; import or pull it again to save it`);
    }
    return { record: record(details), manifest: meta.manifest, blobs: meta.blobs };
  }

  blobPath(digest: string): string {
    return path.join(this.paths.blobs, digest.replace(/^sha256:/, ''));
  }

  private detailsOf(ref: string): ImageDetails {
    const wanted = parseRef(ref);
    const found = this.lookup(wanted);
    if (found === undefined) throw this.notFound(formatRef(wanted));
    return this.details(found.key, found.id, wanted);
  }

  /** Finds `ref`: a tag through refs.json; a digest through the names and the repo digests. */
  private lookup(ref: ImageRef, known?: Refs): { key: string; id: string } | undefined {
    if (!known && !this.exists()) return undefined;
    const refs = known ?? withLock(this.paths, 'sh', () => readRefs(this.paths));
    if (!ref.digest) {
      const key = tagRef(ref) as string;
      return refs[key] !== undefined ? { key, id: refs[key] } : undefined;
    }
    const key = digestRef(ref.name, ref.digest);
    if (refs[key] !== undefined) return { key, id: refs[key] };
    for (const id of new Set(Object.values(refs))) {
      const meta = tryMeta(this.imageDir(id));
      if (meta?.repoDigests?.includes(key)) return { key, id };
    }
    return undefined;
  }

  /** Removes dead imports, images no name and no pod uses, and blobs no image lists (exclusive lock). */
  private sweep(): void {
    ensureStore(this.paths);
    sweepTmp(this.paths);
    const named = new Set(Object.values(readRefs(this.paths)));
    const blobs = new Set<string>();
    for (const hex of fs.readdirSync(this.paths.images)) {
      const id = `sha256:${hex}`;
      if (named.has(id) || podsUsing(this.roots, id).length > 0) {
        for (const b of tryMeta(this.imageDir(id))?.blobs ?? []) blobs.add(b);
        continue;
      }
      // rename first: a half-deleted image must never be found under its ID
      const doomed = Staging.create(this.paths, 'remove');
      fs.renameSync(this.imageDir(id), path.join(doomed.dir, 'image'));
      doomed.discard();
    }
    sweepBlobs(this.paths.blobs, blobs);
  }

  private details(key: string, id: string, asked: ImageRef): ImageDetails {
    const dir = this.imageDir(id);
    let configBytes: Buffer;
    let meta: ImageMeta;
    try {
      configBytes = fs.readFileSync(path.join(dir, 'config.json'));
      meta = readMeta(dir);
    } catch (cause) {
      throw new Error(`image "${key}" (${id}) is damaged in the store ${this.paths.dir}; remove it and import it again`, { cause });
    }
    const parsed = parseImageConfig(configBytes, `config of image "${key}"`);
    // refs.json is replaced by rename, so reading it needs no lock (and callers may hold one)
    const refs = readRefs(this.paths);
    const names = Object.keys(refs).filter((r) => refs[r] === id).sort();
    const digest = (meta.repoDigests ?? []).find((d) => d.startsWith(`${asked.name}@`))?.slice(asked.name.length + 1);
    return {
      ...(digest ? { digest } : {}),
      name: asked.name, ...(asked.tag !== undefined ? { tag: asked.tag } : {}), ref: formatRef(asked), id,
      repoDigests: meta.repoDigests ?? [], rootfs: path.join(dir, 'rootfs'), config: parsed.config,
      created: parsed.created ?? meta.imported, size: meta.size, imported: meta.imported, source: meta.source,
      names, ...(meta.manifest ? { manifestDigest: meta.manifest } : {}), imageConfig: JSON.parse(configBytes.toString('utf8')),
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
      `image "${ref}" is not in the store (${this.paths.dir}); pull it with "tspod image pull ${ref}", build the base images with "make images" or add one with "tspod image import ${ref} FILE"`,
    );
  }
}

export function writeImageFiles(dir: string, configBytes: Buffer | undefined, meta: ImageMeta): void {
  if (configBytes) fs.writeFileSync(path.join(dir, 'config.json'), configBytes, { mode: 0o600 });
  const temp = path.join(dir, '.image.json.tmp');
  fs.writeFileSync(temp, JSON.stringify(meta, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(temp, path.join(dir, 'image.json'));
}

function readMeta(dir: string): ImageMeta {
  return JSON.parse(fs.readFileSync(path.join(dir, 'image.json'), 'utf8')) as ImageMeta;
}

function tryMeta(dir: string): ImageMeta | undefined {
  try {
    return readMeta(dir);
  } catch {
    return undefined;
  }
}

function record(d: ImageDetails): ImageRecord {
  const { name, tag, ref, id, repoDigests, digest, rootfs, config, created, size } = d;
  return { name, ...(tag !== undefined ? { tag } : {}), ref, id, repoDigests, ...(digest ? { digest } : {}), rootfs, config, created, size };
}
