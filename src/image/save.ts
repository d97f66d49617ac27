/**
 * `tspod image save`: an image out of the store, as an archive another tool loads.
 *
 * Two formats. An *OCI archive* is an OCI image layout in a tar: `oci-layout`, `index.json`
 * pointing at the manifest (annotated with the tag, `org.opencontainers.image.ref.name`), and
 * every blob byte for byte as the store keeps it, so the digests and the image ID are those of
 * the registry (`skopeo copy oci-archive:FILE ...` pushes it unchanged). A *docker archive*
 * (`docker save`'s format, which `docker load` reads) has `manifest.json` listing the config and
 * the layers as uncompressed tars, each named by its diff ID; the config is the same bytes, so the
 * image ID is the same too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { decompressor, detectCompression } from './compression.js';
import { DigestStream } from './digest.js';
import { familiarName } from './ref.js';
import type { ImageStore } from './store.js';

export type SaveFormat = 'oci' | 'docker';

interface Manifest {
  config: { digest: string };
  layers: { digest: string; mediaType: string }[];
}

/** Writes the image `ref` names to `file` (through a temporary file renamed at the end). */
export async function saveImage(store: ImageStore, ref: string, file: string, format: SaveFormat): Promise<void> {
  const { record, manifest, blobs } = store.blobsOf(ref);
  const manifestBytes = fs.readFileSync(store.blobPath(manifest));
  const m = JSON.parse(manifestBytes.toString('utf8')) as Manifest & { mediaType?: string };
  const temp = `${file}.tspod-${process.pid}.tmp`;
  const pack = tar.pack();
  const writing = pipeline(pack, fs.createWriteStream(temp, { mode: 0o600 }));
  try {
    if (format === 'oci') await packOci(store, pack, record.tag, manifest, manifestBytes, m, blobs);
    else
      await packDocker(
        store,
        pack,
        record.tag !== undefined ? `${familiarName(record.name)}:${record.tag}` : undefined,
        m,
        blobs,
        path.dirname(temp),
      );
    pack.finalize();
    await writing;
    fs.renameSync(temp, file);
  } catch (err) {
    pack.destroy();
    await writing.catch(() => undefined);
    fs.rmSync(temp, { force: true });
    throw new Error(`saving image "${record.ref}" to ${file}`, { cause: err });
  }
}

async function packOci(
  store: ImageStore,
  pack: tar.Pack,
  tag: string | undefined,
  digest: string,
  bytes: Buffer,
  m: Manifest & { mediaType?: string },
  blobs: string[],
) {
  await add(pack, 'oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
  const desc = {
    mediaType: m.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
    digest,
    size: bytes.length,
    ...(tag !== undefined ? { annotations: { 'org.opencontainers.image.ref.name': tag } } : {}),
  };
  await add(pack, 'index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [desc] })));
  await addDir(pack, 'blobs/');
  await addDir(pack, 'blobs/sha256/');
  // A pull does not download a layer the store has by diff ID under another blob: this image
  // then lacks that blob, and its manifest cannot be written byte for byte.
  const lacking = m.layers.find((l) => !blobs.includes(l.digest));
  if (lacking) {
    throw new Error(
      `layer ${lacking.digest} was not downloaded ` +
        '(the store had the same layer from another image, compressed otherwise); ' +
        'save it with --format docker, which writes layers uncompressed',
    );
  }
  // the manifest, its config and layers; an index the image was pulled through stays behind
  const wanted = [digest, m.config.digest, ...m.layers.map((l) => l.digest)].filter((d) => blobs.includes(d));
  for (const d of new Set(wanted)) await addFile(pack, `blobs/sha256/${d.slice(7)}`, store.blobPath(d));
}

async function packDocker(
  store: ImageStore,
  pack: tar.Pack,
  tag: string | undefined,
  m: Manifest,
  blobs: string[],
  scratch: string,
) {
  const config = `blobs/sha256/${m.config.digest.slice(7)}`;
  await addDir(pack, 'blobs/');
  await addDir(pack, 'blobs/sha256/');
  await addFile(pack, config, store.blobPath(m.config.digest));
  const diffIds =
    (JSON.parse(fs.readFileSync(store.blobPath(m.config.digest), 'utf8')) as { rootfs?: { diff_ids?: string[] } })
      .rootfs?.diff_ids ?? [];
  const layers: string[] = [];
  for (const [i, l] of m.layers.entries()) {
    // docker load wants each layer's uncompressed tar, named by its diff ID: any blob known to
    // decompress to it will do (the image's own may not have been downloaded, see packOci)
    const source = blobs.includes(l.digest) ? l.digest : store.blobsOfLayer(diffIds[i] ?? '')[0];
    if (source === undefined) throw new Error(`layer ${l.digest}: the store keeps no blob of it`);
    const blob = store.blobPath(source);
    const head = Buffer.alloc(6);
    const fd = fs.openSync(blob, 'r');
    fs.readSync(fd, head, 0, 6, 0);
    fs.closeSync(fd);
    const plain = path.join(scratch, `.layer-${process.pid}-${layers.length}`);
    const diff = new DigestStream();
    try {
      await pipeline(
        fs.createReadStream(blob),
        decompressor(detectCompression(head), `layer ${l.digest}`),
        diff,
        fs.createWriteStream(plain, { mode: 0o600 }),
      );
      const name = `blobs/sha256/${diff.digest().slice(7)}`;
      if (!layers.includes(name)) await addFile(pack, name, plain);
      layers.push(name);
    } finally {
      fs.rmSync(plain, { force: true });
    }
  }
  const entry = { Config: config, RepoTags: tag !== undefined ? [tag] : [], Layers: layers };
  await add(pack, 'manifest.json', Buffer.from(JSON.stringify([entry])));
}

const MTIME = new Date(0);

function add(pack: tar.Pack, name: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) =>
    pack.entry({ name, mode: 0o644, mtime: MTIME }, data, (err) => (err ? reject(err) : resolve())),
  );
}

function addDir(pack: tar.Pack, name: string): Promise<void> {
  return new Promise((resolve, reject) =>
    pack.entry({ name, type: 'directory', mode: 0o755, mtime: MTIME }, (err) => (err ? reject(err) : resolve())),
  );
}

async function addFile(pack: tar.Pack, name: string, file: string): Promise<void> {
  const size = fs.statSync(file).size;
  const entry = pack.entry({ name, size, mode: 0o644, mtime: MTIME });
  await pipeline(fs.createReadStream(file), entry);
}
