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

export interface Imported {
  kind: SourceKind;
  configBytes: Buffer;
  config: ParsedImageConfig;
}

/** Unpacks the image in `file` onto the empty directory `rootfs`, using `work` as scratch space. */
export async function importArchive(file: string, ref: ImageRef, rootfs: string, work: string): Promise<Imported> {
  const source = await openSource(file, work);
  const what = `"${file}"`;
  if (source.kind === 'rootfs-tarball') {
    const diff = new DigestStream();
    const input = fs.createReadStream(source.tarFile as string);
    await unpackTar(chain(input, diff), rootfs, { what, whiteouts: false });
    const configBytes = rootfsTarballConfig(diff.digest(), new Date().toISOString());
    return { kind: source.kind, configBytes, config: parseImageConfig(configBytes, 'generated config') };
  }
  const parts: ImageParts =
    source.kind === 'docker-archive' ? await readDockerImage(source.files, ref, what) : await readOciImage(source.files, ref, what);
  for (const layer of parts.layers) await verifyLayer(source.files, layer);
  for (const layer of parts.layers) await applyLayer(source.files, layer, rootfs);
  return { kind: source.kind, configBytes: parts.configBytes, config: parts.config };
}

/** Reads a layer through, checking its digests, without writing anything. */
async function verifyLayer(files: ArchiveFiles, layer: LayerRef): Promise<void> {
  const { stream, check } = await openLayer(files, layer);
  await pump(stream, new Writable({ write: (_c, _e, cb) => cb() }));
  check();
}

async function applyLayer(files: ArchiveFiles, layer: LayerRef, rootfs: string): Promise<void> {
  const { stream, check } = await openLayer(files, layer);
  await unpackTar(stream, rootfs, { what: layer.what, whiteouts: true });
  check();
}

/** The layer's uncompressed tar, and a function that checks both digests once it has been read. */
async function openLayer(files: ArchiveFiles, layer: LayerRef): Promise<{ stream: Readable; check: () => void }> {
  const compression = detectCompression(await head(files.open(layer.path)));
  const stored = new DigestStream(layer.digest?.algorithm);
  const diff = new DigestStream(layer.diffId?.algorithm);
  const stream = chain(files.open(layer.path), stored, decompressor(compression, layer.what), diff);
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
