/**
 * Turning an image archive into one root filesystem directory plus its config.
 *
 * Layers are applied bottom first onto the same directory, each one's whiteouts deleting what the
 * layers below left (whiteout.ts), so the result is the flattened filesystem that overlayfs would
 * show for the stacked layers. Each layer is read twice: once to check its digests (the stored
 * blob against its descriptor, the uncompressed tar against the config's diff ID) before anything
 * is written, so a corrupted archive is refused with a message about digests rather than about
 * whatever the corruption broke first; and once to unpack it, checking the digests again, so a file
 * changed between the two reads is refused too. A root filesystem tarball is one layer without
 * whiteouts, and gets a config of its own (no default process) whose diff ID is its digest.
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
import { DigestStream } from './digest.js';
import { readDockerImage } from './docker.js';
import type { ArchiveFiles } from './archive-files.js';
import type { ImageParts, LayerRef } from './image-parts.js';
import { readOciImage } from './oci.js';
import type { ImageRef } from './ref.js';
import { openSource, type SourceKind } from './source.js';
import { unpackTar } from './tar-read.js';
import { layerMediaType, OCI_CONFIG, OCI_MANIFEST, ociManifest, writeBlob, writeBlobBytes, type BlobDesc } from './blobs.js';
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
}

export interface ImportOptions {
  /** where `dir` is: the scratch space of the import, and where the blobs are kept */
  work: string;
  blobDir: string;
  budget: UnpackBudget;
  /** the platform the image must be for (default: this host's) */
  platform?: Platform;
}

/** Unpacks the image in `file` onto the empty directory `rootfs`, and keeps its blobs. */
export async function importArchive(file: string, ref: ImageRef, rootfs: string, o: ImportOptions): Promise<Imported> {
  const source = await openSource(file, o.work, o.budget);
  const what = `"${file}"`;
  if (source.kind === 'rootfs-tarball') {
    const diff = new DigestStream();
    const input = fs.createReadStream(source.tarFile as string);
    await unpackTar(chain(input, new BudgetStream(o.budget, what), diff), rootfs, { what, whiteouts: false });
    const configBytes = rootfsTarballConfig(diff.digest(), new Date().toISOString());
    const layer = await writeBlob(o.blobDir, fs.createReadStream(source.tarFile as string), layerMediaType('none', what));
    return { kind: source.kind, configBytes, config: parseImageConfig(configBytes, 'generated config'), ...keep(o.blobDir, configBytes, [layer]) };
  }
  const parts: ImageParts =
    source.kind === 'docker-archive'
      ? await readDockerImage(source.files, ref, what, o.platform)
      : await readOciImage(source.files, ref, what, o.platform);
  for (const layer of parts.layers) await verifyLayer(source.files, layer, o.budget);
  for (const layer of parts.layers) await applyLayer(source.files, layer, rootfs);
  const layers: BlobDesc[] = [];
  for (const layer of parts.layers) layers.push(await keepLayer(source.files, layer, o.blobDir));
  return { kind: source.kind, configBytes: parts.configBytes, config: parts.config, ...keep(o.blobDir, parts.configBytes, layers, parts.manifest) };
}

/** Keeps a layer's stored bytes as a blob, checked against its digest once more. */
async function keepLayer(files: ArchiveFiles, layer: LayerRef, blobDir: string): Promise<BlobDesc> {
  const compression = detectCompression(await head(files.open(layer.path)));
  // an uncompressed layer's blob digest is its diff ID; a compressed one without a descriptor
  // (`docker save`) is named by what it hashes to
  const expected = layer.digest ?? (compression === 'none' ? layer.diffId : undefined);
  return writeBlob(blobDir, files.open(layer.path), layerMediaType(compression, layer.what), expected, layer.what);
}

function keep(blobDir: string, configBytes: Buffer, layers: BlobDesc[], manifest?: { bytes: Buffer; mediaType: string }) {
  const config = writeBlobBytes(blobDir, configBytes, OCI_CONFIG);
  const m = manifest ? writeBlobBytes(blobDir, manifest.bytes, manifest.mediaType) : writeBlobBytes(blobDir, ociManifest(config, layers), OCI_MANIFEST);
  return { manifest: m, blobs: [m.digest, config.digest, ...layers.map((l) => l.digest)] };
}

/** Reads a layer through, checking its digests and its size against the budget, writing nothing. */
async function verifyLayer(files: ArchiveFiles, layer: LayerRef, budget: UnpackBudget): Promise<void> {
  const { stream, check } = await openLayer(files, layer, budget);
  await pump(stream, new Writable({ write: (_c, _e, cb) => cb() }));
  check();
}

async function applyLayer(files: ArchiveFiles, layer: LayerRef, rootfs: string): Promise<void> {
  const { stream, check } = await openLayer(files, layer);
  await unpackTar(stream, rootfs, { what: layer.what, whiteouts: true });
  check();
}

/** The layer's uncompressed tar, and a function that checks both digests once it has been read. */
async function openLayer(files: ArchiveFiles, layer: LayerRef, budget?: UnpackBudget): Promise<{ stream: Readable; check: () => void }> {
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
