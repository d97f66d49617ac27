/**
 * Reading an OCI image layout: `index.json` → manifest → config + layers.
 *
 * An OCI layout (a directory, or the same files in a tar: `oci-archive`) stores every part of an
 * image as a blob named by its digest under `blobs/<algorithm>/<hex>`. The entry point is
 * `index.json`, a list of descriptors (media type, digest, size); one of them is picked (by the
 * `org.opencontainers.image.ref.name` annotation, else the only one, else the one for this host's
 * platform), nested indexes (multi-platform images) are followed, and the manifest found lists the
 * config and the layers, bottom first. Each blob read is checked against its descriptor's digest
 * and size, so `index.json` is the only unverified file, and it only points.
 */
import { checkPlatform, hostArchitecture, parseImageConfig, type Platform } from './config.js';
import { parseDigest, verifyBytes, type Digest } from './digest.js';
import type { ArchiveFiles } from './archive-files.js';
import { familiarName, formatRef, type ImageRef } from './ref.js';
import type { ImageParts, LayerRef } from './image-parts.js';
import { only } from '../checked.js';

interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations: Record<string, string>;
  platform?: { os?: string; architecture?: string };
}

const INDEX_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];
const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];
const REF_NAME = 'org.opencontainers.image.ref.name';
const MAX_NESTING = 4;

export async function readOciImage(
  files: ArchiveFiles,
  ref: ImageRef,
  what: string,
  platform?: Platform,
): Promise<ImageParts> {
  if (!files.has('oci-layout')) throw new Error(`${what} is not an OCI image layout (it has no "oci-layout" file)`);
  const layout = parseJson(await files.read('oci-layout'), `${what}: oci-layout`);
  if (typeof layout.imageLayoutVersion !== 'string') throw new Error(`${what}: oci-layout has no "imageLayoutVersion"`);
  let desc = selectManifest(
    manifestsOf(parseJson(await files.read('index.json'), `${what}: index.json`), `${what}: index.json`),
    ref,
    what,
  );
  for (let depth = 0; INDEX_TYPES.includes(desc.mediaType); depth++) {
    if (depth >= MAX_NESTING) throw new Error(`${what}: image indexes nested more than ${MAX_NESTING} deep`);
    const nested = `${what}: index ${desc.digest.algorithm}:${desc.digest.hex}`;
    desc = selectManifest(manifestsOf(await readJsonBlob(files, desc, nested), nested), undefined, nested);
  }
  const manifestWhat = `${what}: manifest ${desc.digest.algorithm}:${desc.digest.hex}`;
  const manifest = await readJsonBlob(files, desc, manifestWhat);
  const configDesc = descriptorOf(manifest.config, `${manifestWhat}: config`);
  const configBytes = await readBlob(files, configDesc, `${what}: config`);
  const config = parseImageConfig(configBytes, `${what}: config`);
  checkPlatform(config, `${what}: config`, platform);
  if (!Array.isArray(manifest.layers)) throw new Error(`${manifestWhat} has no "layers" list`);
  const layers = manifest.layers.map((l, i) =>
    layerOf(files, descriptorOf(l, `${manifestWhat}: layers[${i}]`), i, what),
  );
  if (config.diffIds.length !== layers.length) {
    throw new Error(
      `${what}: the manifest lists ${layers.length} layers, the config ${config.diffIds.length} diff IDs`,
    );
  }
  layers.forEach((l, i) => (l.diffId = parseDigest(config.diffIds[i], `${what}: config rootfs.diff_ids[${i}]`)));
  const manifestBytes = await readBlob(files, desc, manifestWhat);
  return { configBytes, config, layers, manifest: { bytes: manifestBytes, mediaType: desc.mediaType } };
}

function layerOf(files: ArchiveFiles, d: Descriptor, i: number, what: string): LayerRef {
  const layerWhat = `${what}: layer ${i + 1} (${d.digest.algorithm}:${d.digest.hex})`;
  if (!/tar/.test(d.mediaType))
    throw new Error(`${layerWhat} has media type "${d.mediaType}", which is not a tar layer`);
  const path = blobPath(d.digest);
  // a missing blob is for the importer to judge: the store may have the layer by its diff ID
  return { path, what: layerWhat, digest: d.digest, size: d.size, ...(files.has(path) ? {} : { absent: true }) };
}

/** Picks the image for `ref` (or, for a nested index, for this host) among an index's manifests. */
function selectManifest(all: Descriptor[], ref: ImageRef | undefined, what: string): Descriptor {
  const images = all.filter((d) => INDEX_TYPES.includes(d.mediaType) || MANIFEST_TYPES.includes(d.mediaType));
  if (ref) {
    const names = [ref.tag, formatRef(ref), familiarName(formatRef(ref))];
    const named = images.filter((d) => names.includes(d.annotations[REF_NAME]));
    const one = only(named);
    if (one) return one;
  }
  const one = only(images);
  if (one) return one;
  const host = hostArchitecture();
  const forHost = images.filter((d) => d.platform?.os === 'linux' && d.platform.architecture === host);
  const mine = only(forHost);
  if (mine) return mine;
  if (images.length === 0) throw new Error(`${what} lists no image manifest`);
  const names = images
    .map((d) => d.annotations[REF_NAME] ?? `${d.platform?.os}/${d.platform?.architecture}`)
    .join(', ');
  throw new Error(
    `${what} holds ${images.length} images (${names}) ` +
      `and none is named "${ref ? formatRef(ref) : '?'}" for linux/${host}`,
  );
}

function manifestsOf(doc: Record<string, unknown>, what: string): Descriptor[] {
  if (!Array.isArray(doc.manifests)) throw new Error(`${what} has no "manifests" list`);
  return doc.manifests.map((m, i) => descriptorOf(m, `${what}: manifests[${i}]`));
}

function descriptorOf(v: unknown, what: string): Descriptor {
  if (typeof v !== 'object' || v === null) throw new Error(`${what} is not a descriptor`);
  const d = v as Record<string, unknown>;
  if (typeof d.mediaType !== 'string') throw new Error(`${what} has no "mediaType"`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0)
    throw new Error(`${what} has no valid "size"`);
  return {
    mediaType: d.mediaType,
    digest: parseDigest(d.digest, what),
    size: d.size,
    annotations: (typeof d.annotations === 'object' && d.annotations !== null ? d.annotations : {}) as Record<
      string,
      string
    >,
    platform:
      typeof d.platform === 'object' && d.platform !== null ? (d.platform as Descriptor['platform']) : undefined,
  };
}

export function blobPath(d: Digest): string {
  return `blobs/${d.algorithm}/${d.hex}`;
}

async function readBlob(files: ArchiveFiles, d: Descriptor, what: string): Promise<Buffer> {
  const path = blobPath(d.digest);
  if (!files.has(path)) throw new Error(`${what}: blob ${path} is missing`);
  const bytes = await files.read(path);
  verifyBytes(bytes, d.digest, what, d.size);
  return bytes;
}

async function readJsonBlob(files: ArchiveFiles, d: Descriptor, what: string): Promise<Record<string, unknown>> {
  return parseJson(await readBlob(files, d, what), what);
}

function parseJson(bytes: Buffer, what: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new Error(`${what} is not valid JSON`, { cause });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`${what} is not a JSON object`);
  return doc as Record<string, unknown>;
}
