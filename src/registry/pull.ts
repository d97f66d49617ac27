/**
 * `tspod image pull`: from a reference to an image in the store.
 *
 * The steps, in the order the content's trust requires: resolve the reference to a manifest (the
 * tag's answer is named by its digest; a pinned digest is checked), pick the platform's manifest
 * from an index, fetch the config (checked against the manifest), and if the store already has an
 * image with that config, only record the new names. Otherwise fetch the layers the store does not
 * hold yet (in parallel, each checked against its digest and size as it streams to disk), then hand
 * the result — an OCI layout in the pull's staging directory — to the same import path as
 * `tspod image import`, which checks every layer against the config's diff IDs, bounds what it
 * unpacks, and unpacks only the layers whose diff ID the layer store does not have yet. Nothing
 * reaches the store before every check passed, and the staging directory is removed whatever happens (or swept
 * by the next store operation after a crash).

 *
 * Two pulls of one image at once: the second waits on a lock file named after the manifest digest,
 * then finds the image in the store and downloads nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describeError } from '../errors.js';
import { blobFile } from '../image/blobs.js';
import { hostPlatform, parseImageConfig, type Platform } from '../image/config.js';
import { DigestStream, parseDigest, sha256 } from '../image/digest.js';
import { digestRef, formatRef, tagRef, type ImageRef } from '../image/ref.js';
import type { ImageRecord, ImageStore } from '../image/store.js';
import { RegistryError, RepositoryClient } from './client.js';
import { credentialCandidates, type Candidate, type CredentialSources, type Credentials } from './credentials.js';
import { HostConfig } from './hosts.js';
import { RegistryUnreachable } from './http.js';
import { INDEX_TYPES, fetchManifest, selectPlatform, type Descriptor, type FetchedManifest } from './manifests.js';
import { holdPullLock } from './pull-lock.js';
import type { Progress } from './progress.js';
import { nth } from '../checked.js';

const PARALLEL_LAYERS = 3;

export interface PullOptions {
  platform?: Platform;
  hosts?: HostConfig;
  credentials: CredentialSources;
  progress: Progress;
  unpackLimit?: string;
}

/** Pulls `ref` into `store`; throws RegistryUnreachable when no server for it could be reached. */
export async function pullImage(store: ImageStore, ref: ImageRef, o: PullOptions): Promise<ImageRecord> {
  const hosts = o.hosts ?? HostConfig.load();
  const endpoints = hosts.endpoints(ref.registry);
  if (endpoints.length === 0)
    throw new RegistryUnreachable(
      `registry ${ref.registry} is blocked by the host configuration${hosts.file ? ` (${hosts.file})` : ''}`,
    );
  const candidates = credentialCandidates(ref.registry, ref.path, o.credentials);
  let lastUnreachable: Error | undefined;
  for (const endpoint of endpoints) {
    try {
      return await withEachCredential(candidates, (creds) =>
        pullFrom(store, new RepositoryClient(endpoint, ref.path, creds), ref, o),
      );
    } catch (err) {
      // A mirror that fails in any way is skipped; the registry itself has the last word.
      if (!(err instanceof RegistryUnreachable) && !endpoint.mirror) throw err;
      if (err instanceof RegistryUnreachable) lastUnreachable = err;
      else if (endpoint === endpoints[endpoints.length - 1]) throw err;
    }
  }
  throw lastUnreachable ?? new RegistryUnreachable(`no server for registry ${ref.registry} answered`);
}

/**
 * Tries the candidates in order (none: anonymously), moving on only when the registry or its token
 * server refused the credentials (401, 403): any other failure is not the credentials' fault. When
 * all are refused, the last refusal says which were tried.
 */
async function withEachCredential<T>(candidates: Candidate[], fn: (creds?: Credentials) => Promise<T>): Promise<T> {
  if (candidates.length === 0) return fn(undefined);
  for (let i = 0; ; i++) {
    try {
      return await fn((candidates[i] as Candidate).creds);
    } catch (err) {
      const refused = err instanceof RegistryError && (err.status === 401 || err.status === 403);
      if (!refused) throw err;
      if (i === candidates.length - 1) {
        if (candidates.length === 1) throw err;
        throw new RegistryError(
          `${err.message} (credentials tried, in order: ${candidates.map((x) => x.from).join(', ')})`,
          err.status,
          err.code,
        );
      }
    }
  }
}

async function pullFrom(
  store: ImageStore,
  client: RepositoryClient,
  ref: ImageRef,
  o: PullOptions,
): Promise<ImageRecord> {
  const what = formatRef(ref);
  const platform = o.platform ?? hostPlatform();
  const top = await fetchManifest(client, ref.digest ?? (ref.tag as string), what);
  const manifest = INDEX_TYPES.includes(top.mediaType)
    ? await fetchManifest(client, selectPlatform(top, platform, what).digest, what)
    : top;
  const names = [...(tagRef(ref) ? [tagRef(ref) as string] : []), digestRef(ref.name, top.digest)];
  o.progress.message(`${what}: manifest ${top.digest}`);
  const lock = await holdPullLock(store.paths, manifest.digest);
  try {
    const config = await fetchConfig(client, manifest, what);
    if (findById(store, sha256(config))) return store.add(await relabel(store, config, names));
    return await download(store, client, { ref, top, manifest, config, names, platform }, o);
  } finally {
    lock.release();
  }
}

/** An image the store has under another name: found by its ID. */
function findById(store: ImageStore, id: string): boolean {
  return fs.existsSync(path.join(store.paths.images, id.replace(/^sha256:/, '')));
}

/** Adding names to an image already stored: an empty staging entry whose ID is that image's. */
async function relabel(store: ImageStore, config: Buffer, refs: string[]) {
  return {
    dir: path.join(store.paths.images, sha256(config).replace(/^sha256:/, '')),
    blobDir: '',
    configBytes: config,
    refs,
  };
}

async function fetchConfig(client: RepositoryClient, m: FetchedManifest, what: string): Promise<Buffer> {
  const d = m.doc.config;
  if (!d?.digest) throw new Error(`${what}: the manifest ${m.digest} names no config`);
  const res = await client.get('blobs', d.digest);
  const chunks: Buffer[] = [];
  for await (const c of res.body as AsyncIterable<Buffer>) chunks.push(c);
  const bytes = Buffer.concat(chunks);
  const hash = sha256(bytes);
  if (hash !== d.digest) throw new Error(`${what}: config blob ${d.digest}: digest mismatch: got ${hash}`);
  return bytes;
}

interface Resolved {
  ref: ImageRef;
  top: FetchedManifest;
  manifest: FetchedManifest;
  config: Buffer;
  names: string[];
  platform: Platform;
}

async function download(
  store: ImageStore,
  client: RepositoryClient,
  r: Resolved,
  o: PullOptions,
): Promise<ImageRecord> {
  const what = formatRef(r.ref);
  const staging = store.stage('pull');
  try {
    const layout = path.join(staging.dir, 'layout');
    const blobDir = path.join(layout, 'blobs', 'sha256');
    fs.mkdirSync(blobDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    const index = {
      schemaVersion: 2,
      manifests: [{ mediaType: r.manifest.mediaType, digest: r.manifest.digest, size: r.manifest.bytes.length }],
    };
    fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify(index));
    fs.writeFileSync(blobFile(blobDir, r.manifest.digest), r.manifest.bytes);
    fs.writeFileSync(blobFile(blobDir, sha256(r.config)), r.config);
    const layers = r.manifest.doc.layers ?? [];
    // config.rootfs.diff_ids[i] is the diff ID of manifest layer i: a layer the store has by diff ID
    // (under another blob, compressed otherwise) is not downloaded, and the import uses the stored one
    const diffIds = parseImageConfig(r.config, `${what}: config`).diffIds;
    await inParallel(
      layers.map((l, i) => ({ l, diffId: diffIds[i] })),
      PARALLEL_LAYERS,
      ({ l, diffId }) => fetchLayer(store, client, l, diffId, blobDir, o.progress, what),
    );
    if (r.top !== r.manifest) fs.writeFileSync(blobFile(blobDir, r.top.digest), r.top.bytes);
    o.progress.message(`${what}: unpacking ${layers.length} layer${layers.length === 1 ? '' : 's'}`);
    const rec = await store.importStaged(staging, layout, r.ref, r.names, {
      source: 'registry',
      blobDir,
      unpackLimit: o.unpackLimit,
      platform: r.platform,
      extraBlobs: [r.top.digest],
    });
    o.progress.message(`${what}: stored as ${rec.id}`);
    return rec;
  } finally {
    staging.discard();
  }
}

/**
 * One layer into `blobDir`: linked from the store when it has the blob, left out when it has the
 * layer by diff ID (the import then takes the stored layer), else downloaded and checked.
 */
async function fetchLayer(
  store: ImageStore,
  client: RepositoryClient,
  l: Descriptor,
  diffId: string | undefined,
  blobDir: string,
  progress: Progress,
  what: string,
): Promise<void> {
  const digest = parseDigest(l.digest, `${what}: layer`);
  const target = blobFile(blobDir, l.digest);
  const bar = progress.layer(l.digest, l.size);
  const stored = store.blobPath(l.digest);
  if (fs.existsSync(stored)) {
    fs.linkSync(stored, target);
    bar.done('already in the store');
    return;
  }
  if (diffId !== undefined && store.hasLayer(diffId)) {
    bar.done('already in the store');
    return;
  }
  if (l.urls?.length)
    throw new Error(`${what}: layer ${l.digest} is a foreign layer (${l.urls[0]}), which tspod does not fetch`);
  const res = await client.get('blobs', l.digest);
  const temp = `${target}.part`;
  const hash = new DigestStream(digest.algorithm);
  const count = new Transform({ transform: (chunk: Buffer, _e, cb) => (bar.advance(chunk.length), cb(null, chunk)) });
  try {
    await pipeline(res.body, hash, count, fs.createWriteStream(temp, { mode: 0o600 }));
    hash.check(digest, `${what}: layer blob ${l.digest}`, l.size);
    fs.renameSync(temp, target);
    bar.done('done');
  } catch (err) {
    fs.rmSync(temp, { force: true });
    bar.done('failed');
    throw err;
  }
}

async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < items.length && failed === undefined) {
      const item = nth(items, next++);
      await fn(item).catch((err) => (failed ??= err));
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  if (failed !== undefined) throw failed instanceof Error ? failed : new Error(describeError(failed));
}
