/**
 * Reading a `docker save` archive: `manifest.json` → config + layers.
 *
 * `docker save` writes a tar whose `manifest.json` lists, per image, its `RepoTags`, the path of
 * its config and the paths of its layers (uncompressed tars, bottom first). Nothing there carries a
 * digest except the config's *file name*, which is the sha256 of its bytes (`<hex>.json`, or
 * `blobs/sha256/<hex>` since Docker 25). That is the root of trust: the config is checked against
 * its name, and each layer against the config's `rootfs.diff_ids`.
 */
import path from 'node:path';
import { checkPlatform, parseImageConfig, type Platform } from './config.js';
import { parseDigest, verifyBytes, type Digest } from './digest.js';
import type { ArchiveFiles } from './archive-files.js';
import type { ImageParts, LayerRef } from './image-parts.js';
import { formatRef, normalizeRef, type ImageRef } from './ref.js';
import { only } from '../checked.js';

interface DockerManifestEntry {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

/** Whether `files` looks like a `docker save` archive. */
export async function isDockerArchive(files: ArchiveFiles): Promise<boolean> {
  if (!files.has('manifest.json')) return false;
  try {
    const doc = JSON.parse((await files.read('manifest.json')).toString('utf8'));
    return Array.isArray(doc) && doc.every((e) => typeof e?.Config === 'string' && Array.isArray(e?.Layers));
  } catch {
    return false;
  }
}

export async function readDockerImage(
  files: ArchiveFiles,
  ref: ImageRef,
  what: string,
  platform?: Platform,
): Promise<ImageParts> {
  const entry = selectImage(entriesOf(await files.read('manifest.json'), `${what}: manifest.json`), ref, what);
  const configWhat = `${what}: config ${entry.Config}`;
  const expected = digestOfName(entry.Config, configWhat);
  if (!files.has(entry.Config)) throw new Error(`${configWhat} is missing`);
  const configBytes = await files.read(entry.Config);
  verifyBytes(configBytes, expected, configWhat);
  const config = parseImageConfig(configBytes, configWhat);
  checkPlatform(config, configWhat, platform);
  if (config.diffIds.length !== entry.Layers.length) {
    throw new Error(
      `${what}: manifest.json lists ${entry.Layers.length} layers, the config ${config.diffIds.length} diff IDs`,
    );
  }
  const layers = entry.Layers.map((p, i): LayerRef => {
    const layerWhat = `${what}: layer ${i + 1} (${p})`;
    if (!files.has(p)) throw new Error(`${layerWhat} is missing from the archive`);
    return { path: p, what: layerWhat, diffId: parseDigest(config.diffIds[i], `${configWhat}: rootfs.diff_ids[${i}]`) };
  });
  return { configBytes, config, layers };
}

/** `<hex>.json` or `blobs/sha256/<hex>`: the digest a config file is named by. */
export function digestOfName(name: string, what: string): Digest {
  const base = path.posix.basename(name);
  const m = /^([a-f0-9]{64})(\.json)?$/.exec(base);
  if (!m) throw new Error(`${what}: the file name does not carry the config's digest, so it cannot be verified`);
  return parseDigest(`sha256:${m[1]}`, what);
}

function entriesOf(bytes: Buffer, what: string): DockerManifestEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new Error(`${what} is not valid JSON`, { cause });
  }
  if (!Array.isArray(doc)) throw new Error(`${what} is not a list`);
  return doc.map((e, i) => {
    const ok =
      typeof e?.Config === 'string' &&
      Array.isArray(e?.Layers) &&
      e.Layers.every((l: unknown) => typeof l === 'string');
    if (!ok) throw new Error(`${what}: entry ${i} has no "Config" and "Layers"`);
    return { Config: e.Config, Layers: e.Layers, RepoTags: Array.isArray(e.RepoTags) ? e.RepoTags : [] };
  });
}

function selectImage(entries: DockerManifestEntry[], ref: ImageRef, what: string): DockerManifestEntry {
  const wanted = formatRef(ref);
  const named = entries.filter((e) => e.RepoTags.some((t) => sameRef(t, wanted)));
  const [first] = named;
  if (first) return first;
  const one = only(entries);
  if (one) return one;
  if (entries.length === 0) throw new Error(`${what} holds no image`);
  const tags = entries.map((e) => e.RepoTags.join(' ') || '<untagged>').join(', ');
  throw new Error(`${what} holds ${entries.length} images (${tags}) and none is tagged "${wanted}"`);
}

/** `busybox:latest` in RepoTags is `docker.io/library/busybox:latest`. */
function sameRef(tag: string, wanted: string): boolean {
  try {
    return normalizeRef(tag) === wanted;
  } catch {
    return false;
  }
}
