/**
 * Archives made inside the tests: tarballs, OCI image layouts and archives, `docker save` archives.
 * Every image a test imports is built here from entries the test chooses, so each check is against
 * a known file list rather than against whatever some tool writes.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import tar from 'tar-stream';

export interface Entry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo' | 'character-device';
  data?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

export const MTIME = new Date('2024-01-02T03:04:05Z');

/** A tar archive (uncompressed) of `entries`, in order. */
export async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((resolve, reject) => pack.on('end', resolve).on('error', reject));
  for (const e of entries) {
    const type = e.type ?? 'file';
    const data = type === 'file' ? Buffer.from(e.data ?? '') : undefined;
    const header = {
      name: e.name,
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      mtime: e.mtime ?? MTIME,
      linkname: e.linkname,
      devmajor: e.devmajor,
      devminor: e.devminor,
      size: data?.length ?? 0,
    };
    await new Promise<void>((resolve, reject) => pack.entry(header, data, (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** The entries of a directory tree, with its real metadata, parents before children. */
export function entriesOfDir(root: string, prefix = ''): Entry[] {
  const out: Entry[] = [];
  for (const name of fs.readdirSync(path.join(root, prefix)).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const st = fs.lstatSync(path.join(root, rel));
    const meta = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) out.push({ name: rel, type: 'directory', ...meta }, ...entriesOfDir(root, rel));
    else if (st.isSymbolicLink())
      out.push({ name: rel, type: 'symlink', linkname: fs.readlinkSync(path.join(root, rel)), ...meta });
    else if (st.isFile()) out.push({ name: rel, type: 'file', data: fs.readFileSync(path.join(root, rel)), ...meta });
  }
  return out;
}

export function sha256hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

export interface BuiltImage {
  /** `sha256:...` of the config: the image ID the store must report */
  id: string;
  configDigest: string;
  layerDigests: string[];
  diffIds: string[];
}

export interface ImageSpec {
  /** uncompressed layer tars, bottom first */
  layers: Buffer[];
  /** which layers to store gzip-compressed */
  gzip?: boolean[];
  /** the config's `config` object (Cmd, Env, ...) */
  runConfig?: Record<string, unknown>;
  architecture?: string;
}

export function configOf(spec: ImageSpec): Buffer {
  const diffIds = spec.layers.map((l) => `sha256:${sha256hex(l)}`);
  return Buffer.from(
    JSON.stringify({
      created: MTIME.toISOString(),
      architecture: spec.architecture ?? hostArch(),
      os: 'linux',
      config: spec.runConfig ?? {},
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
}

export function hostArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;
}

function writeBlob(dir: string, bytes: Buffer): { digest: string; size: number } {
  const hex = sha256hex(bytes);
  fs.mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'blobs', 'sha256', hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

/** Writes an OCI image layout directory holding one image (ref name `refName`). */
export function writeOciLayout(dir: string, spec: ImageSpec, refName = 'latest'): BuiltImage {
  const config = configOf(spec);
  const configDesc = { mediaType: 'application/vnd.oci.image.config.v1+json', ...writeBlob(dir, config) };
  const layers = spec.layers.map((l, i) => {
    const gz = spec.gzip?.[i] ?? false;
    const mediaType = `application/vnd.oci.image.layer.v1.tar${gz ? '+gzip' : ''}`;
    return { mediaType, ...writeBlob(dir, gz ? zlib.gzipSync(l) : l) };
  });
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: configDesc,
      layers,
    }),
  );
  const manifestDesc = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    ...writeBlob(dir, manifest),
    annotations: { 'org.opencontainers.image.ref.name': refName },
  };
  fs.writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [manifestDesc] }));
  return {
    id: configDesc.digest,
    configDigest: configDesc.digest,
    layerDigests: layers.map((l) => l.digest),
    diffIds: spec.layers.map((l) => `sha256:${sha256hex(l)}`),
  };
}

/** An archive of a directory's files (as `oci-archive` or `docker save` lay them out). */
export async function tarOfDir(dir: string): Promise<Buffer> {
  return makeTar(entriesOfDir(dir));
}

/** Writes a `docker save` archive (legacy layout: `<id>/layer.tar`, `<config hex>.json`). */
export async function writeDockerArchive(file: string, spec: ImageSpec, repoTags: string[]): Promise<BuiltImage> {
  const config = configOf(spec);
  const configHex = sha256hex(config);
  const entries: Entry[] = [{ name: `${configHex}.json`, data: config }];
  const layerPaths: string[] = [];
  spec.layers.forEach((l, i) => {
    const dirName = sha256hex(Buffer.concat([Buffer.from(String(i)), l]));
    entries.push({ name: dirName, type: 'directory' }, { name: `${dirName}/layer.tar`, data: l });
    layerPaths.push(`${dirName}/layer.tar`);
  });
  entries.push({
    name: 'manifest.json',
    data: JSON.stringify([{ Config: `${configHex}.json`, RepoTags: repoTags, Layers: layerPaths }]),
  });
  fs.writeFileSync(file, await makeTar(entries));
  const diffIds = spec.layers.map((l) => `sha256:${sha256hex(l)}`);
  return { id: `sha256:${configHex}`, configDigest: `sha256:${configHex}`, layerDigests: diffIds, diffIds };
}
