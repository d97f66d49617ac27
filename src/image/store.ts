/**
 * The image store: names (`docker.io/library/busybox:latest`) → images, each an ordered list of
 * layers (stored once per diff ID, layers.ts) plus its config and blobs.
 *
 * Every container started from an image gets that image's layer directories as the read-only
 * lower directories of its overlay mount, and writes only to its own upper directory; so one copy
 * of a layer on disk serves every image built on it and every pod, and nothing a container does
 * reaches the image. An image is stored once per ID (the
 * sha256 of its config) and tags point to IDs, as in Docker; re-importing or re-pulling a tag moves
 * the tag, and the image it pointed to is deleted once no tag and no pod uses it; a layer goes once
 * no image left lists it (`image rm`, `image prune`, and every change of the store sweep). A pulled image
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
  diskUsage,
  ensureStore,
  readRefs,
  Staging,
  storePaths,
  sweepTmp,
  withLock,
  writeRefs,
  type Refs,
  type StorePaths,
} from './store-files.js';
import { unpackBudget } from './unpack-limit.js';
import type { LayerTarget } from './importer.js';
import type { ImageMeta } from './image-meta.js';
import {
  commitLayers,
  declareWants,
  hasLayer,
  lowerDir,
  readLayerMeta,
  stageLayer,
  sweepLayers,
  wantedByImports,
  writeLayerMeta,
} from './layers.js';
import { layersOfImage, migrateStore, needsMigration } from './migrate.js';
import { only } from '../checked.js';

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
  /** the image's layer directories, topmost first, as overlayfs takes its lower directories */
  lowerDirs: string[];
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
  /** the diff IDs of the image's layers, bottom first */
  layers: string[];
}

export type { ImageMeta };

/** What an import or a pull adds: the image in a staging directory, and its names. */
export interface NewImage {
  /** a directory holding config.json, image.json */
  dir: string;
  /** blobs to move into the store */
  blobDir: string;
  configBytes: Buffer;
  refs: string[];
  /** layers unpacked by this import: diff ID → staged layer directory (diff/ and layer.json) */
  staged?: Map<string, string>;
  /** blob digest → the diff ID it was checked to decompress to */
  layerBlobs?: Map<string, string>;
}

export interface ImportStagedOptions {
  /** `registry` for a pull; otherwise the kind of archive the importer found */
  source?: 'registry';
  /** where the image's blobs are (and the importer keeps them) */
  blobDir: string;
  unpackLimit?: string;
  platform?: Platform;
  /** blobs of the image the archive does not list (the index a pull went through) */
  extraBlobs?: string[];
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

  /**
   * Migrates a store of the old format (one unpacked root filesystem per image) on first use,
   * before anything else reads it; every public entry point calls this first, holding no lock.
   */
  private ready(): void {
    if (!this.exists()) return;
    if (!withLock(this.paths, 'sh', () => needsMigration(this.paths))) return;
    withLock(this.paths, 'ex', () => {
      ensureStore(this.paths);
      sweepTmp(this.paths);
      migrateStore(this.paths, (purpose) => Staging.create(this.paths, purpose));
    });
  }

  /** The image named `ref`, or undefined when the store does not have it. */
  find(ref: string): ImageRecord | undefined {
    this.ready();
    const wanted = parseRef(ref);
    const found = this.lookup(wanted);
    return found && record(this.details(found.key, found.id, wanted));
  }

  async inspect(ref: string): Promise<ImageDetails> {
    this.ready();
    const wanted = parseRef(ref);
    const found = this.lookup(wanted);
    if (found === undefined) throw this.notFound(formatRef(wanted));
    return this.details(found.key, found.id, wanted);
  }

  async list(): Promise<ImageRecord[]> {
    if (!this.exists()) return [];
    this.ready();
    const refs = withLock(this.paths, 'ex', () => {
      this.sweep();
      return readRefs(this.paths);
    });
    return Object.entries(refs)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([ref, id]) => record(this.details(ref, id, parseRef(ref))));
  }

  /** Imports the image in `file` (see source.ts for the formats) as `ref`. */
  async import(
    ref: string,
    file: string,
    opts: { unpackLimit?: string; platform?: Platform } = {},
  ): Promise<ImageRecord> {
    const wanted = parseRef(ref);
    if (wanted.digest) throw new Error(`invalid image reference "${ref}": an import is named by a tag, not a digest`);
    const name = formatRef(wanted);
    const staging = this.stage('import');
    try {
      const blobDir = path.join(staging.dir, 'blobs');
      fs.mkdirSync(blobDir, { mode: 0o700 });
      return await this.importStaged(staging, file, wanted, [name], { blobDir, ...opts });
    } catch (err) {
      throw new Error(`importing "${file}" as image "${name}"`, { cause: err });
    } finally {
      staging.discard();
    }
  }

  /**
   * Imports the archive or layout `file` through the scratch directory `staging` (which the
   * caller discards): the layers the store lacks are unpacked there, then everything becomes part
   * of the store in add(). Shared by `image import` and pulls (which download into `staging`).
   */
  async importStaged(
    staging: Staging,
    file: string,
    wanted: ImageRef,
    refs: string[],
    o: ImportStagedOptions,
  ): Promise<ImageRecord> {
    const image = path.join(staging.dir, 'image');
    const work = path.join(staging.dir, 'work');
    for (const d of [image, work]) fs.mkdirSync(d, { mode: 0o700 });
    // Loaded here, not at start-up: the archive readers are only needed to import.
    const { importArchive } = await import('./importer.js');
    const budget = unpackBudget(this.paths.dir, o.unpackLimit);
    const imported = await importArchive(file, wanted, {
      work,
      blobDir: o.blobDir,
      budget,
      platform: o.platform,
      layers: this.layerTarget(staging),
    });
    const staged = new Map<string, string>();
    for (const l of imported.layers) {
      if (l.unpacked === undefined || staged.has(l.diffId)) continue;
      const dir = path.dirname(l.unpacked);
      writeLayerMeta(dir, { diffId: l.diffId, size: diskUsage(l.unpacked), blobs: l.blob ? [l.blob] : [] });
      staged.set(l.diffId, dir);
    }
    const meta: ImageMeta = {
      imported: new Date().toISOString(),
      source: o.source ?? imported.kind,
      size: 0,
      manifest: imported.manifest.digest,
      blobs: [...new Set([...(o.extraBlobs ?? []), ...imported.blobs])],
      repoDigests: [],
      layers: imported.layers.map((l) => l.diffId),
    };
    writeImageFiles(image, imported.configBytes, meta);
    const layerBlobs = new Map(imported.layers.flatMap((l) => (l.blob ? [[l.blob, l.diffId] as const] : [])));
    return this.add({ dir: image, blobDir: o.blobDir, configBytes: imported.configBytes, refs, staged, layerBlobs });
  }

  /**
   * The importer's view of the layer store. Before it asks whether a layer is here, the import
   * says it relies on it (layers.ts, declareWants), so a sweep by another process cannot remove
   * the layer between this answer and the import's add().
   */
  private layerTarget(staging: Staging): LayerTarget {
    const wants: string[] = [];
    return {
      has: (diffId) => {
        wants.push(diffId);
        declareWants(staging, wants);
        return hasLayer(this.paths, diffId);
      },
      stage: (diffId) => stageLayer(staging, diffId).diff,
      dirOf: (diffId) => lowerDir(this.paths, diffId),
    };
  }

  /** A locked scratch directory in the store's tmp/, for an import or a pull. */
  stage(purpose: string): Staging {
    this.ready();
    ensureStore(this.paths);
    return withLock(this.paths, 'ex', () => {
      this.sweep();
      return Staging.create(this.paths, purpose);
    });
  }

  /** Makes a staged image part of the store and points `refs` at it (repo digests are kept too). */
  add(img: NewImage): ImageRecord {
    const [name] = img.refs;
    if (name === undefined) throw new Error('internal: an image is added to the store under at least one reference');
    const id = sha256(img.configBytes);
    withLock(this.paths, 'ex', () => {
      moveBlobs(img.blobDir, this.paths.blobs);
      commitLayers(this.paths, img.staged ?? new Map(), img.layerBlobs ?? new Map());
      const final = this.imageDir(id);
      if (!fs.existsSync(final)) this.placeImage(img.dir, final, id);
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
    return record(this.details(name, id, parseRef(name)));
  }

  /**
   * Renames a staged image into place (exclusive lock held), once every layer it lists is in the
   * store; its size is the sum of its layers'. A one-layer image gets its `rootfs` symlink
   * (store-files.ts says why).
   */
  private placeImage(dir: string, final: string, id: string): void {
    const meta = readMeta(dir);
    const layers = meta.layers ?? [];
    const missing = layers.find((d) => !hasLayer(this.paths, d));
    if (missing)
      throw new Error(`layer ${missing} of image ${id} is not in the store ${this.paths.dir}; import the image again`);
    meta.size = [...new Set(layers)].reduce((n, d) => n + (readLayerMeta(this.paths, d)?.size ?? 0), 0);
    writeImageFiles(dir, undefined, meta);
    const one = only([...new Set(layers)]);
    if (one !== undefined) fs.symlinkSync(path.relative(final, lowerDir(this.paths, one)), path.join(dir, 'rootfs'));
    fs.renameSync(dir, final);
  }

  /** Points the tag `target` at the image `source` names (`tspod image tag`). */
  tag(source: string, target: string): ImageRecord {
    const src = parseRef(source);
    const dst = parseRef(target);
    const key = tagRef(dst);
    if (key === undefined || dst.digest)
      throw new Error(`invalid image reference "${target}": a tag is needed, not a digest`);
    if (!this.exists()) throw this.notFound(formatRef(src));
    this.ready();
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
    this.ready();
    return withLock(this.paths, 'ex', () => {
      const refs = readRefs(this.paths);
      const found = this.lookup(wanted, refs);
      if (found === undefined) throw this.notFound(formatRef(wanted));
      const names = found.key in refs ? [found.key] : Object.keys(refs).filter((r) => refs[r] === found.id);
      const otherNames = Object.entries(refs).some(([r, i]) => i === found.id && !names.includes(r));
      const pods = otherNames ? [] : podsUsing(this.roots, found.id);
      if (pods.length > 0) {
        throw new Error(
          `image "${formatRef(wanted)}" is in use by pod "${pods[0]}"` +
            `${pods.length > 1 ? ` (and ${pods.length - 1} more)` : ''}; remove the pod first ("tspod rm ${pods[0]}")`,
        );
      }
      for (const n of names) delete refs[n];
      writeRefs(this.paths, refs);
      this.sweep();
      return names.join(', ');
    });
  }

  /** Removes what no image needs: dead imports, blobs and layers no image lists (`tspod image prune`). */
  prune(): { blobs: number; layers: number } {
    if (!this.exists()) return { blobs: 0, layers: 0 };
    this.ready();
    return withLock(this.paths, 'ex', () => {
      const before = fs.readdirSync(this.paths.blobs).length;
      const layers = this.sweep();
      return { blobs: before - fs.readdirSync(this.paths.blobs).length, layers };
    });
  }

  /** The blobs of the image `ref` names (manifest first), for `image save`; refused for old images. */
  blobsOf(ref: string): { record: ImageRecord; manifest: string; blobs: string[] } {
    const details = this.detailsOf(ref);
    const meta = readMeta(this.imageDir(details.id));
    if (!meta.manifest || !meta.blobs) {
      throw new Error(
        `image "${details.ref}" was stored before tspod kept image blobs; import or pull it again to save it`,
      );
    }
    return { record: record(details), manifest: meta.manifest, blobs: meta.blobs };
  }

  /** True when the layer store holds the layer `diffId` (a pull need not download it). */
  hasLayer(diffId: string): boolean {
    return hasLayer(this.paths, diffId);
  }

  /** The stored blobs known to decompress to the layer `diffId` (any of them stands for it). */
  blobsOfLayer(diffId: string): string[] {
    return (readLayerMeta(this.paths, diffId)?.blobs ?? []).filter((b) => fs.existsSync(this.blobPath(b)));
  }

  blobPath(digest: string): string {
    return path.join(this.paths.blobs, digest.replace(/^sha256:/, ''));
  }

  private detailsOf(ref: string): ImageDetails {
    this.ready();
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

  /**
   * Removes dead imports, images no name and no pod uses, blobs no image lists, and layers no kept
   * image and no live import relies on (exclusive lock held); returns how many layers went.
   */
  private sweep(): number {
    ensureStore(this.paths);
    sweepTmp(this.paths);
    const named = new Set(Object.values(readRefs(this.paths)));
    const blobs = new Set<string>();
    const layers = wantedByImports(this.paths); // after sweepTmp: what is left in tmp/ is live
    for (const hex of fs.readdirSync(this.paths.images)) {
      const id = `sha256:${hex}`;
      if (named.has(id) || podsUsing(this.roots, id).length > 0) {
        const meta = tryMeta(this.imageDir(id));
        for (const b of meta?.blobs ?? []) blobs.add(b);
        for (const l of layersOfImage(this.paths, id, meta)) layers.add(l);
        continue;
      }
      // rename first: a half-deleted image must never be found under its ID
      const doomed = Staging.create(this.paths, 'remove');
      fs.renameSync(this.imageDir(id), path.join(doomed.dir, 'image'));
      doomed.discard();
    }
    sweepBlobs(this.paths.blobs, blobs);
    return sweepLayers(this.paths, layers, () => Staging.create(this.paths, 'remove'));
  }

  private details(key: string, id: string, asked: ImageRef): ImageDetails {
    const dir = this.imageDir(id);
    let configBytes: Buffer;
    let meta: ImageMeta;
    try {
      configBytes = fs.readFileSync(path.join(dir, 'config.json'));
      meta = readMeta(dir);
    } catch (cause) {
      throw new Error(
        `image "${key}" (${id}) is damaged in the store ${this.paths.dir}; remove it and import it again`,
        { cause },
      );
    }
    const parsed = parseImageConfig(configBytes, `config of image "${key}"`);
    const layers = meta.layers ?? [];
    if (layers.length === 0)
      throw new Error(
        `image "${key}" (${id}) lists no layers in the store ${this.paths.dir}; remove it and import it again`,
      );
    // refs.json is replaced by rename, so reading it needs no lock (and callers may hold one)
    const refs = readRefs(this.paths);
    const names = Object.keys(refs)
      .filter((r) => refs[r] === id)
      .sort();
    const digest = (meta.repoDigests ?? []).find((d) => d.startsWith(`${asked.name}@`))?.slice(asked.name.length + 1);
    return {
      ...(digest ? { digest } : {}),
      name: asked.name,
      ...(asked.tag !== undefined ? { tag: asked.tag } : {}),
      ref: formatRef(asked),
      id,
      repoDigests: meta.repoDigests ?? [],
      lowerDirs: [...layers].reverse().map((d) => lowerDir(this.paths, d)),
      config: parsed.config,
      created: parsed.created ?? meta.imported,
      size: meta.size,
      imported: meta.imported,
      source: meta.source,
      names,
      ...(meta.manifest ? { manifestDigest: meta.manifest } : {}),
      imageConfig: JSON.parse(configBytes.toString('utf8')),
      layers,
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
      `image "${ref}" is not in the store (${this.paths.dir}); pull it with "tspod image pull ${ref}", ` +
        `build the base images with "make images" or add one with "tspod image import ${ref} FILE"`,
    );
  }
}

export function writeImageFiles(dir: string, configBytes: Buffer | undefined, meta: ImageMeta): void {
  if (configBytes) fs.writeFileSync(path.join(dir, 'config.json'), configBytes, { mode: 0o600 });
  const temp = path.join(dir, '.image.json.tmp');
  fs.writeFileSync(temp, JSON.stringify(meta, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(temp, path.join(dir, 'image.json'));
}

export function readMeta(dir: string): ImageMeta {
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
  const { name, tag, ref, id, repoDigests, digest, lowerDirs, config, created, size } = d;
  return {
    name,
    ...(tag !== undefined ? { tag } : {}),
    ref,
    id,
    repoDigests,
    ...(digest ? { digest } : {}),
    lowerDirs,
    config,
    created,
    size,
  };
}
