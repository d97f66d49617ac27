/**
 * Migrating a store of the old format: one unpacked root filesystem per image
 * (`sha256/<id>/rootfs/`, its layers flattened into it), into the layer store (layers.ts).
 *
 * It happens on the first use of the store by this version, under the store's exclusive lock,
 * image by image, and each image's move is one rename(2) of its `rootfs/` directory: no file is
 * copied or unpacked again, so even a large store migrates in a moment. Where the flattened files
 * go:
 *
 * - an image of one layer (every image `make images` builds, most imports): its flattened files
 *   *are* that layer (a bottom layer's whiteouts hide nothing), so they become the layer of the
 *   image's one diff ID, shared with any image that has it;
 * - an image of several layers: its files are the layers merged, which no diff ID names, so they
 *   become one layer of its own, keyed by a digest derived from the image ID
 *   (`flattenedLayerKey`), and the image is marked `flattened`. It runs as before and saves as
 *   before (its blobs are kept); pulling or importing it again does not unflatten it (the image
 *   is already there), removing it and pulling it again does.
 *
 * Crash safety, step by step for one image: (1) the layer directory is made and its `layer.json`
 * written, (2) `rootfs/` is renamed to the layer's `diff/` — from here the layer is complete —,
 * (3) `rootfs` becomes a symlink to it (for a tspod of the old format reading the same store), (4)
 * `image.json` gets its `layers` (written to a temporary file and renamed). A crash before (2)
 * leaves an incomplete layer directory, which is swept, and the image as it was; a crash after (2)
 * leaves a complete layer that the next migration finds and finishes with (3) and (4). Until
 * (4), the sweep keeps the layer of an image that is not migrated yet (`layersOfImage`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseImageConfig } from './config.js';
import { sha256 } from './digest.js';
import { hasLayer, layerDir, lowerDir, writeLayerMeta } from './layers.js';
import { diskUsage, type Staging, type StorePaths } from './store-files.js';
import type { ImageMeta } from './image-meta.js';
import { only } from '../checked.js';

/** True when some image of the store has no `layers` yet (the old format). */
export function needsMigration(p: StorePaths): boolean {
  return imageIds(p).some((id) => {
    const meta = tryMeta(p, id);
    return meta !== undefined && meta.layers === undefined;
  });
}

/** Migrates every image of the old format (exclusive lock held); returns how many it moved. */
export function migrateStore(p: StorePaths, staging: (purpose: string) => Staging): number {
  let moved = 0;
  for (const id of imageIds(p)) {
    const meta = tryMeta(p, id);
    if (meta === undefined || meta.layers !== undefined) continue;
    migrateImage(p, id, meta, staging);
    moved++;
  }
  return moved;
}

/** The layers an image lists, or for an image not migrated yet the one it will have. */
export function layersOfImage(p: StorePaths, id: string, meta: ImageMeta | undefined): string[] {
  if (meta?.layers) return meta.layers;
  const key = oldImageLayer(p, id);
  return key ? [key.diffId] : [];
}

/** The layer key of a migrated multi-layer image: a digest no real layer can have. */
export function flattenedLayerKey(id: string): string {
  return sha256(`tspod flattened image ${id}`);
}

function oldImageLayer(p: StorePaths, id: string): { diffId: string; flattened: boolean } | undefined {
  let diffIds: string[];
  try {
    diffIds = parseImageConfig(
      fs.readFileSync(path.join(imageDir(p, id), 'config.json')),
      `config of image ${id}`,
    ).diffIds;
  } catch {
    return undefined;
  }
  const one = only([...new Set(diffIds)]);
  return one !== undefined ? { diffId: one, flattened: false } : { diffId: flattenedLayerKey(id), flattened: true };
}

function migrateImage(p: StorePaths, id: string, meta: ImageMeta, staging: (purpose: string) => Staging): void {
  const dir = imageDir(p, id);
  const key = oldImageLayer(p, id);
  if (key === undefined)
    throw new Error(
      `image ${id} in the store ${p.dir} has no readable config; remove it ("tspod image rm") and import it again`,
    );
  const rootfs = path.join(dir, 'rootfs');
  const st = lstatOrNull(rootfs);
  if (!hasLayer(p, key.diffId)) {
    if (st === null || !st.isDirectory()) {
      throw new Error(
        `image ${id} in the store ${p.dir} has neither its root filesystem nor its layer ${key.diffId}; ` +
          'remove it and import it again',
      );
    }
    const ldir = layerDir(p, key.diffId);
    fs.rmSync(ldir, { recursive: true, force: true }); // an incomplete attempt
    fs.mkdirSync(ldir, { recursive: true, mode: 0o700 });
    writeLayerMeta(ldir, { diffId: key.diffId, size: diskUsage(rootfs), blobs: [] });
    fs.renameSync(rootfs, lowerDir(p, key.diffId));
  } else if (st !== null && st.isDirectory()) {
    // the store has this layer from another image: this copy goes (renamed out, then deleted)
    const doomed = staging('remove');
    fs.renameSync(rootfs, path.join(doomed.dir, 'rootfs'));
    doomed.discard();
  }
  if (!key.flattened) {
    fs.rmSync(rootfs, { force: true }); // a symlink left by a crash, made again below
    fs.symlinkSync(path.relative(dir, lowerDir(p, key.diffId)), rootfs);
  }
  const next: ImageMeta = { ...meta, layers: [key.diffId], ...(key.flattened ? { flattened: true } : {}) };
  const temp = path.join(dir, '.image.json.tmp');
  fs.writeFileSync(temp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(temp, path.join(dir, 'image.json'));
}

function imageIds(p: StorePaths): string[] {
  try {
    return fs
      .readdirSync(p.images)
      .filter((h) => /^[0-9a-f]{64}$/.test(h))
      .map((h) => `sha256:${h}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

function imageDir(p: StorePaths, id: string): string {
  return path.join(p.images, id.replace(/^sha256:/, ''));
}

function tryMeta(p: StorePaths, id: string): ImageMeta | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(imageDir(p, id), 'image.json'), 'utf8')) as ImageMeta;
  } catch {
    return undefined;
  }
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
