/**
 * Turning an image archive into layers of the layer store plus its config.
 *
 * Each layer is unpacked into a directory of its own (layers.ts), its whiteouts stored as
 * overlayfs markers (whiteout.ts), unless the store has that diff ID already: then it is only
 * checked, and the image uses the stored one. Each layer is read twice: once to check its digests (the stored
 * blob against its descriptor, the uncompressed tar against the config's diff ID) before anything
 * is written, so a corrupted archive is refused with a message about digests rather than about
 * whatever the corruption broke first; and once to unpack it, checking the digests again, so a file
 * changed between the two reads is refused too. A root filesystem tarball is one layer without
 * whiteouts, and gets a config of its own (no default process) whose diff ID is its digest (known
 * only once it has been read, so it too is read once to hash it and once to unpack it).
 *
 * Every decompressed byte counts against the import's unpack budget (unpack-limit.ts), in the
 * checking pass, so a decompression bomb is refused before anything is written. Once unpacked, the
 * image's blobs (manifest, config, layers as stored in the archive) are kept in `blobDir` (blobs.ts);
 * an archive without a manifest (`docker save`, a root filesystem tarball) gets an OCI one.
 */
import fs from 'node:fs';
import { pipeline, Writable, type Duplex, type Readable } from 'node:stream';
import { pipeline as pump } from 'node:stream/promises';
import { parseImageConfig, rootfsTarballConfig, type ParsedImageConfig } from './config.js';
import { decompressor, detectCompression } from './compression.js';
import { DigestStream, formatDigest, parseDigest, type Digest } from './digest.js';
import { readDockerImage } from './docker.js';
import type { ArchiveFiles } from './archive-files.js';
import type { ImageParts, LayerRef } from './image-parts.js';
import { readOciImage } from './oci.js';
import type { ImageRef } from './ref.js';
import { openSource, type SourceKind } from './source.js';
import { unpackTar } from './tar-read.js';
import { dirMetaInLayers } from './layer-view.js';
import {
  layerMediaType,
  OCI_CONFIG,
  OCI_MANIFEST,
  ociManifest,
  writeBlob,
  writeBlobBytes,
  type BlobDesc,
} from './blobs.js';
import type { Platform } from './config.js';
import { BudgetStream, type UnpackBudget } from './unpack-limit.js';

export interface Imported {
  kind: SourceKind;
  configBytes: Buffer;
  config: ParsedImageConfig;
  /** the manifest blob kept for the image */
  manifest: BlobDesc;
  /** every blob kept: manifest, config, layers */
  blobs: string[];
  /** the image's layers, bottom first: diff ID, the blob kept for it, where it was unpacked (if it was) */
  layers: ImportedLayer[];
}

export interface ImportedLayer {
  diffId: string;
  /** the blob kept for it; undefined when the archive left it out (the store has the layer) */
  blob?: string;
  /** the staged layer's `diff/` directory; undefined when the store had the layer already */
  unpacked?: string;
}

/** Where the layers go: the store's layer bookkeeping, as the importer needs it. */
export interface LayerTarget {
  /** true when the store holds the layer already (it is then only checked, not unpacked) */
  has(diffId: string): boolean;
  /** a fresh empty directory to unpack the layer `diffId` into */
  stage(diffId: string): string;
  /** the directory of a layer the store holds (has() said so) */
  dirOf(diffId: string): string;
}

export interface ImportOptions {
  /** the scratch space of the import */
  work: string;
  /** where the blobs are kept */
  blobDir: string;
  budget: UnpackBudget;
  layers: LayerTarget;
  /** the platform the image must be for (default: this host's) */
  platform?: Platform;
}

/** Unpacks the layers of the image in `file` that the store lacks, and keeps its blobs. */
export async function importArchive(file: string, ref: ImageRef, o: ImportOptions): Promise<Imported> {
  const source = await openSource(file, o.work, o.budget);
  const what = `"${file}"`;
  if (source.kind === 'rootfs-tarball') {
    const tarFile = source.tarFile as string;
    const diff = new DigestStream();
    await pump(
      chain(fs.createReadStream(tarFile), new BudgetStream(o.budget, what), diff),
      new Writable({ write: (_c, _e, cb) => cb() }),
    );
    const diffId = diff.digest();
    let unpacked: string | undefined;
    if (!o.layers.has(diffId)) {
      unpacked = o.layers.stage(diffId);
      const again = new DigestStream();
      await unpackTar(chain(fs.createReadStream(tarFile), again), unpacked, { what, whiteouts: false });
      again.check(parseDigest(diffId, what), `${what} (changed while it was read)`);
    }
    const configBytes = rootfsTarballConfig(diffId, new Date().toISOString());
    const layer = await writeBlob(o.blobDir, fs.createReadStream(tarFile), layerMediaType('none', what));
    const layers = [{ diffId, blob: layer.digest, unpacked }];
    return {
      kind: source.kind,
      configBytes,
      config: parseImageConfig(configBytes, 'generated config'),
      layers,
      ...keep(o.blobDir, configBytes, [layer]),
    };
  }
  const parts: ImageParts =
    source.kind === 'docker-archive'
      ? await readDockerImage(source.files, ref, what, o.platform)
      : await readOciImage(source.files, ref, what, o.platform);
  for (const layer of parts.layers) {
    if (layer.absent && !o.layers.has(formatDigest(layer.diffId as Digest))) {
      throw new Error(`${layer.what} is missing from the archive (a foreign layer is not supported)`);
    }
  }
  // a layer without its blob is the store's (checked when it came): nothing to verify or keep
  for (const layer of parts.layers) if (!layer.absent) await verifyLayer(source.files, layer, o.budget);
  const unpacked = new Map<string, string>();
  const below: string[] = []; // the directories of the layers so far, topmost first
  for (const layer of parts.layers) {
    const diffId = formatDigest(layer.diffId as Digest);
    // an image may repeat a layer (empty ones)
    if (!unpacked.has(diffId) && !o.layers.has(diffId)) {
      const dir = o.layers.stage(diffId);
      await applyLayer(source.files, layer, dir, [...below]);
      unpacked.set(diffId, dir);
    }
    below.unshift(unpacked.get(diffId) ?? o.layers.dirOf(diffId));
  }
  const kept: BlobDesc[] = [];
  const layers: ImportedLayer[] = [];
  for (const l of parts.layers) {
    const diffId = formatDigest(l.diffId as Digest);
    const blob = l.absent ? undefined : await keepLayer(source.files, l, o.blobDir);
    if (blob) kept.push(blob);
    layers.push({ diffId, blob: blob?.digest, unpacked: unpacked.get(diffId) });
  }
  // with an absent layer the archive must have its manifest (only OCI layouts leave blobs out)
  return {
    kind: source.kind,
    configBytes: parts.configBytes,
    config: parts.config,
    layers,
    ...keep(o.blobDir, parts.configBytes, kept, parts.manifest),
  };
}
/** Keeps a layer's stored bytes as a blob, checked against its digest once more. */
async function keepLayer(files: ArchiveFiles, layer: LayerRef, blobDir: string): Promise<BlobDesc> {
  const compression = detectCompression(await head(files.open(layer.path)));
  // an uncompressed layer's blob digest is its diff ID; a compressed one without a descriptor
  // (`docker save`) is named by what it hashes to
  const expected = layer.digest ?? (compression === 'none' ? layer.diffId : undefined);
  return writeBlob(blobDir, files.open(layer.path), layerMediaType(compression, layer.what), expected, layer.what);
}

function keep(
  blobDir: string,
  configBytes: Buffer,
  layers: BlobDesc[],
  manifest?: { bytes: Buffer; mediaType: string },
) {
  const config = writeBlobBytes(blobDir, configBytes, OCI_CONFIG);
  const m = manifest
    ? writeBlobBytes(blobDir, manifest.bytes, manifest.mediaType)
    : writeBlobBytes(blobDir, ociManifest(config, layers), OCI_MANIFEST);
  return { manifest: m, blobs: [m.digest, config.digest, ...layers.map((l) => l.digest)] };
}

/** Reads a layer through, checking its digests and its size against the budget, writing nothing. */
async function verifyLayer(files: ArchiveFiles, layer: LayerRef, budget: UnpackBudget): Promise<void> {
  const { stream, check } = await openLayer(files, layer, budget);
  await pump(stream, new Writable({ write: (_c, _e, cb) => cb() }));
  check();
}

/**
 * Unpacks a layer into its own directory, its whiteouts stored as overlayfs reads them; a parent
 * directory the layer does not list takes its metadata from the layers below (`lowerDirs`, topmost
 * first), the image this layer first came with.
 */
async function applyLayer(files: ArchiveFiles, layer: LayerRef, dir: string, lowerDirs: string[]): Promise<void> {
  const { stream, check } = await openLayer(files, layer);
  await unpackTar(stream, dir, {
    what: layer.what,
    whiteouts: true,
    overlay: true,
    lowerDirMeta: (p) => dirMetaInLayers(lowerDirs, p),
  });
  check();
}

/** The layer's uncompressed tar, and a function that checks both digests once it has been read. */
async function openLayer(
  files: ArchiveFiles,
  layer: LayerRef,
  budget?: UnpackBudget,
): Promise<{ stream: Readable; check: () => void }> {
  const compression = detectCompression(await head(files.open(layer.path)));
  const stored = new DigestStream(layer.digest?.algorithm);
  const diff = new DigestStream(layer.diffId?.algorithm);
  const limit: Duplex[] = budget ? [new BudgetStream(budget, layer.what)] : [];
  const stream = chain(files.open(layer.path), stored, decompressor(compression, layer.what), ...limit, diff);
  const check = () => {
    if (layer.digest) stored.check(layer.digest, layer.what, layer.size);
    if (layer.diffId) diff.check(layer.diffId, `${layer.what}: uncompressed (diff ID)`);
  };
  return { stream, check };
}

/** The first bytes of a stream (enough for a compression magic number); the stream is closed. */
async function head(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= 6) break;
  }
  stream.destroy();
  return Buffer.concat(chunks);
}

/** Pipes streams into each other; an error anywhere destroys the last one with that error. */
function chain(first: Readable, ...rest: Duplex[]): Readable {
  return pipeline(first, ...(rest as [Duplex]), () => undefined) as unknown as Readable;
}
