/**
 * Blobs: the parts of an image as a registry serves them (manifest, config, layers), each stored
 * under the sha256 of its bytes, as in an OCI image layout and containerd's content store.
 *
 * The store keeps every image's blobs, not only its unpacked root filesystem, so that an image can
 * be saved or pushed byte for byte (same digests, same image ID), and a pull of a second image on
 * the same base downloads only the layers the store does not have yet. A blob is written to a
 * temporary name and renamed to its digest only once its bytes hash to it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { DigestStream, formatDigest, sha256, type Digest } from './digest.js';
import type { Compression } from './compression.js';

export interface BlobDesc {
  mediaType: string;
  /** `sha256:<hex>` */
  digest: string;
  size: number;
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const LAYER_TYPE: Partial<Record<Compression, string>> = {
  none: 'application/vnd.oci.image.layer.v1.tar',
  gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
};

export function layerMediaType(c: Compression, what: string): string {
  const t = LAYER_TYPE[c];
  if (!t) throw new Error(`${what} is compressed with ${c}, which an OCI layer cannot be`);
  return t;
}

export function blobFile(dir: string, digest: string): string {
  return path.join(dir, digest.replace(/^sha256:/, ''));
}

/** Writes `stream` as a blob in `dir`, refused unless it matches `expected` (when given). */
export async function writeBlob(
  dir: string,
  stream: Readable,
  mediaType: string,
  expected?: Digest,
  what = 'blob',
): Promise<BlobDesc> {
  if (expected && expected.algorithm === 'sha256' && fs.existsSync(blobFile(dir, formatDigest(expected)))) {
    stream.destroy();
    const size = fs.statSync(blobFile(dir, formatDigest(expected))).size;
    return { mediaType, digest: formatDigest(expected), size };
  }
  const temp = path.join(dir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const hash = new DigestStream('sha256');
  try {
    await pipeline(stream, hash, fs.createWriteStream(temp, { mode: 0o600 }));
    if (expected?.algorithm === 'sha256') hash.check(expected, what);
    const digest = hash.digest();
    fs.renameSync(temp, blobFile(dir, digest));
    return { mediaType, digest, size: hash.bytes };
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

export function writeBlobBytes(dir: string, bytes: Buffer, mediaType: string): BlobDesc {
  const digest = sha256(bytes);
  const file = blobFile(dir, digest);
  if (!fs.existsSync(file)) fs.writeFileSync(file, bytes, { mode: 0o600 });
  return { mediaType, digest, size: bytes.length };
}

/** An OCI image manifest for a config and its layers, bottom first. */
export function ociManifest(config: BlobDesc, layers: BlobDesc[]): Buffer {
  const d = (b: BlobDesc) => ({ mediaType: b.mediaType, digest: b.digest, size: b.size });
  return Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: d(config), layers: layers.map(d) }),
  );
}

/** Moves every blob of `from` into `to` (same filesystem), keeping the ones `to` has already. */
export function moveBlobs(from: string, to: string): void {
  if (!fs.existsSync(from)) return;
  for (const name of fs.readdirSync(from)) {
    if (name.startsWith('.')) continue;
    const target = path.join(to, name);
    if (!fs.existsSync(target)) fs.renameSync(path.join(from, name), target);
  }
}

/** Removes the blobs of `dir` that no image lists in `used` (caller holds the exclusive lock). */
export function sweepBlobs(dir: string, used: Set<string>): void {
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir)) {
    if (!used.has(`sha256:${name}`)) fs.rmSync(path.join(dir, name), { force: true });
  }
}
