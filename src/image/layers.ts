/**
 * The layer store: every layer once, by its diff ID, unpacked into a directory of its own.
 *
 * A layer's *diff ID* is the sha256 of its uncompressed tar, as the image config lists it
 * (`rootfs.diff_ids`); two images built on the same base list the same diff IDs for the base's
 * layers, whatever compression their registries chose. So the store keys layers by diff ID, an
 * image is its ordered list of diff IDs, and a container's root is an overlay mount with the
 * image's layer directories as its lower directories (topmost first): images that share a base
 * share its directories on disk, and a pull or import of a second image on that base unpacks only
 * its own layers.
 *
 * ```
 * <store>/layers/sha256/<hex>/diff/        the layer as overlayfs reads a lower directory
 * <store>/layers/sha256/<hex>/layer.json   {diffId, size, blobs}: what tspod knows besides
 * ```
 *
 * The layer's files live in `diff/`, not in the layer's directory itself, so that nothing tspod
 * writes about a layer is ever visible inside a container. `blobs` records the digests of the
 * (compressed) blobs that were checked to decompress to this diff ID: the manifest layer digest
 * → diff ID mapping a pull can use to know that a layer is already here.
 *
 * A layer appears in one rename(2) of a complete directory unpacked in the import's staging
 * directory, so a crash never leaves a partial layer under `layers/`; a layer directory without
 * its `layer.json` or `diff/` (a migration that died halfway, see migrate.ts) is not a layer and is
 * swept. Layers are reference-counted from the image records: a layer that no kept image lists,
 * and that no import in progress has said it relies on (`wants.json` in its live staging
 * directory), is removed by the sweep, which renames it out of `layers/` before deleting it so
 * that a half-deleted layer is never found.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Staging, StorePaths } from './store-files.js';
import { groups } from '../checked.js';

export interface LayerMeta {
  /** `sha256:<hex>` of the uncompressed tar (or, for a migrated multi-layer image, see migrate.ts) */
  diffId: string;
  /** bytes in the layer's regular files */
  size: number;
  /** digests of the stored blobs known to decompress to this layer */
  blobs: string[];
}

const WANTS = 'wants.json';

function parts(diffId: string): [string, string] {
  const m = /^(sha256|sha512):([0-9a-f]{64,128})$/.exec(diffId);
  if (!m) throw new Error(`"${diffId}" is not a layer diff ID`);
  return groups(m, 1, 2);
}

/** The directory of the layer `diffId` in the store (holds `diff/` and `layer.json`). */
export function layerDir(p: StorePaths, diffId: string): string {
  return path.join(p.layers, ...parts(diffId));
}

/** The layer's files: what the overlay mount takes as a lower directory. */
export function lowerDir(p: StorePaths, diffId: string): string {
  return path.join(layerDir(p, diffId), 'diff');
}

/** True when the store holds the complete layer `diffId`. */
export function hasLayer(p: StorePaths, diffId: string): boolean {
  const dir = layerDir(p, diffId);
  return fs.existsSync(path.join(dir, 'layer.json')) && fs.existsSync(path.join(dir, 'diff'));
}

export function readLayerMeta(p: StorePaths, diffId: string): LayerMeta | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(layerDir(p, diffId), 'layer.json'), 'utf8')) as LayerMeta;
  } catch {
    return undefined;
  }
}

/** The diff ID of the stored layer that the blob `digest` is known to decompress to. */
export function layerOfBlob(p: StorePaths, digest: string): string | undefined {
  for (const id of listLayers(p)) {
    if (readLayerMeta(p, id)?.blobs.includes(digest)) return id;
  }
  return undefined;
}

/** Every layer directory under `layers/` (complete or not), as diff IDs. */
export function listLayers(p: StorePaths): string[] {
  const out: string[] = [];
  for (const algo of readdirOrEmpty(p.layers)) {
    for (const hex of readdirOrEmpty(path.join(p.layers, algo))) out.push(`${algo}:${hex}`);
  }
  return out;
}

/** A layer being unpacked by an import: `<staging>/layers/<hex>/diff`, made empty here. */
export function stageLayer(staging: Staging, diffId: string): { dir: string; diff: string } {
  const dir = path.join(staging.dir, 'layers', parts(diffId).join('-'));
  fs.mkdirSync(path.join(dir, 'diff'), { recursive: true, mode: 0o755 });
  return { dir, diff: path.join(dir, 'diff') };
}

/** Finishes a staged layer: its `layer.json`, written before it is renamed into the store. */
export function writeLayerMeta(dir: string, meta: LayerMeta): void {
  fs.writeFileSync(path.join(dir, 'layer.json'), JSON.stringify(meta, null, 2) + '\n', { mode: 0o600 });
}

/**
 * Moves the staged layers into the store (exclusive lock held). A layer the store got meanwhile
 * from another import is kept as it is, and ours is discarded with the staging directory; the
 * blobs ours was checked against are added to its record.
 */
export function commitLayers(p: StorePaths, staged: Map<string, string>, blobs: Map<string, string>): void {
  for (const [diffId, dir] of staged) {
    const final = layerDir(p, diffId);
    if (!hasLayer(p, diffId)) {
      fs.mkdirSync(path.dirname(final), { recursive: true, mode: 0o700 });
      fs.rmSync(final, { recursive: true, force: true }); // an incomplete leftover (see the header)
      fs.renameSync(dir, final);
    }
  }
  for (const [digest, diffId] of blobs) addBlob(p, diffId, digest);
}

/** Records that the blob `digest` decompresses to the stored layer `diffId`. */
function addBlob(p: StorePaths, diffId: string, digest: string): void {
  const meta = readLayerMeta(p, diffId);
  if (!meta || meta.blobs.includes(digest)) return;
  meta.blobs = [...meta.blobs, digest].sort();
  const file = path.join(layerDir(p, diffId), 'layer.json');
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(meta, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}

/**
 * Says, in the import's staging directory, which layers the import relies on finding in the
 * store. Written before the import looks for them: a sweep that runs after this keeps them, and
 * one that ran before has removed them already, so the import sees them missing and unpacks its own.
 */
export function declareWants(staging: Staging, diffIds: string[]): void {
  fs.writeFileSync(path.join(staging.dir, WANTS), JSON.stringify(diffIds));
}

/** What live imports rely on (call after sweepTmp: every directory left in tmp/ is live). */
export function wantedByImports(p: StorePaths): Set<string> {
  const out = new Set<string>();
  for (const name of readdirOrEmpty(p.tmp)) {
    try {
      for (const d of JSON.parse(fs.readFileSync(path.join(p.tmp, name, WANTS), 'utf8')) as string[]) out.add(d);
    } catch {
      // no wants (or it vanished): relies on nothing
    }
  }
  return out;
}

/**
 * Removes every layer not in `used` (exclusive lock held); returns how many went. `remove` is a
 * fresh staging directory per layer, so the rename out of `layers/` is the deletion's one step.
 */
export function sweepLayers(p: StorePaths, used: Set<string>, remove: () => Staging): number {
  let removed = 0;
  for (const diffId of listLayers(p)) {
    if (used.has(diffId) && hasLayer(p, diffId)) continue;
    const doomed = remove();
    fs.renameSync(layerDir(p, diffId), path.join(doomed.dir, 'layer'));
    doomed.discard();
    removed++;
  }
  return removed;
}

function readdirOrEmpty(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
