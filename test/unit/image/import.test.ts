import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importArchive } from '../../../src/image/importer.js';
import { parseRef } from '../../../src/image/ref.js';
import { configOf, makeTar, sha256hex, tarOfDir, writeDockerArchive, writeOciLayout, type Entry, type ImageSpec } from './fixtures.js';

let tmp: string;
let rootfs: string;
let work: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-import-'));
  rootfs = path.join(tmp, 'rootfs');
  work = path.join(tmp, 'work');
  fs.mkdirSync(rootfs);
  fs.mkdirSync(work);
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ref = parseRef('test:latest');

/** Scratch space, a blob directory, and an unpack budget of 1 GiB. */
function opts(limit = 1 << 30) {
  const blobDir = path.join(tmp, 'blobs');
  fs.mkdirSync(blobDir, { recursive: true });
  return { work, blobDir, budget: { limit, used: 0, source: 'the test' } };
}

/** Two layers: the second deletes a file (whiteout) and replaces a directory's contents (opaque). */
async function twoLayers(): Promise<ImageSpec> {
  const base: Entry[] = [
    { name: 'bin/', type: 'directory' }, { name: 'bin/sh', data: 'shell', mode: 0o755 },
    { name: 'etc/', type: 'directory' }, { name: 'etc/old.conf', data: 'old' },
    { name: 'data/', type: 'directory' }, { name: 'data/a', data: 'a' }, { name: 'data/sub/', type: 'directory' }, { name: 'data/sub/b', data: 'b' },
  ];
  const top: Entry[] = [
    { name: 'etc/', type: 'directory' }, { name: 'etc/.wh.old.conf', data: '' }, { name: 'etc/new.conf', data: 'new' },
    { name: 'data/', type: 'directory' }, { name: 'data/.wh..wh..opq', data: '' }, { name: 'data/c', data: 'c' },
  ];
  return { layers: [await makeTar(base), await makeTar(top)], gzip: [true, false], runConfig: { Cmd: ['sh'], Env: ['A=1'] } };
}

function files(dir: string, prefix = ''): string[] {
  return fs.readdirSync(path.join(dir, prefix)).sort().flatMap((name) => {
    const rel = prefix ? `${prefix}/${name}` : name;
    return fs.lstatSync(path.join(dir, rel)).isDirectory() ? [`${rel}/`, ...files(dir, rel)] : [rel];
  });
}

const EXPECTED = ['bin/', 'bin/sh', 'data/', 'data/c', 'etc/', 'etc/new.conf'];

describe('importing image archives', () => {
  it('an OCI layout directory: layers applied in order, whiteouts and opaque directories honoured', async () => {
    const layout = path.join(tmp, 'layout');
    writeOciLayout(layout, await twoLayers());
    const imported = await importArchive(layout, ref, rootfs, opts());
    expect(imported.kind).toBe('oci-layout');
    expect(imported.config.config).toEqual({ Cmd: ['sh'], Env: ['A=1'] });
    expect(files(rootfs)).toEqual(EXPECTED);
    expect(fs.readFileSync(path.join(rootfs, 'etc/new.conf'), 'utf8')).toBe('new');
  });

  it('an OCI archive (the layout in a tar), also gzip-compressed', async () => {
    const layout = path.join(tmp, 'layout');
    const built = writeOciLayout(layout, await twoLayers());
    const archive = path.join(tmp, 'image.tar.gz');
    fs.writeFileSync(archive, zlib.gzipSync(await tarOfDir(layout)));
    const imported = await importArchive(archive, ref, rootfs, opts());
    expect(imported.kind).toBe('oci-archive');
    expect(`sha256:${sha256hex(imported.configBytes)}`).toBe(built.id);
    expect(files(rootfs)).toEqual(EXPECTED);
  });

  it('a docker save archive', async () => {
    const archive = path.join(tmp, 'saved.tar');
    const built = await writeDockerArchive(archive, await twoLayers(), ['test:latest']);
    const imported = await importArchive(archive, ref, rootfs, opts());
    expect(imported.kind).toBe('docker-archive');
    expect(`sha256:${sha256hex(imported.configBytes)}`).toBe(built.id);
    expect(files(rootfs)).toEqual(EXPECTED);
  });

  it('a root filesystem tarball, whose ".wh." files are ordinary files', async () => {
    const archive = path.join(tmp, 'rootfs.tar');
    const tarball = await makeTar([{ name: './', type: 'directory' }, { name: './bin/sh', data: 'x' }, { name: './.wh.keep', data: '' }]);
    fs.writeFileSync(archive, tarball);
    const imported = await importArchive(archive, ref, rootfs, opts());
    expect(imported.kind).toBe('rootfs-tarball');
    expect(imported.config.diffIds).toEqual([`sha256:${sha256hex(tarball)}`]);
    expect(files(rootfs)).toEqual(['.wh.keep', 'bin/', 'bin/sh']);
  });

  it('picks the manifest named by the reference among several', async () => {
    const layout = path.join(tmp, 'layout');
    writeOciLayout(layout, { layers: [await makeTar([{ name: 'one', data: '1' }])] }, 'one');
    const first = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8'));
    writeOciLayout(layout, { layers: [await makeTar([{ name: 'two', data: '2' }])] }, 'two');
    const second = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8'));
    fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [...first.manifests, ...second.manifests] }));
    await importArchive(layout, parseRef('x:two'), rootfs, opts());
    expect(files(rootfs)).toEqual(['two']);
    await expect(importArchive(layout, parseRef('x:three'), path.join(tmp, 'r2'), opts())).rejects.toThrow(/holds 2 images \(one, two\)/);
  });
});

describe('digests are verified', () => {
  async function layoutWith(spec?: ImageSpec) {
    const layout = path.join(tmp, 'layout');
    const built = writeOciLayout(layout, spec ?? (await twoLayers()));
    return { layout, built, blob: (d: string) => path.join(layout, 'blobs', 'sha256', d.slice(7)) };
  }

  it('a corrupted layer blob is refused before anything is written', async () => {
    const { layout, built, blob } = await layoutWith();
    const bytes = fs.readFileSync(blob(built.layerDigests[1]));
    bytes[600] ^= 0xff;
    fs.writeFileSync(blob(built.layerDigests[1]), bytes);
    await expect(importArchive(layout, ref, rootfs, opts())).rejects.toThrow(/layer 2 \(sha256:[0-9a-f]+\): digest mismatch/);
    expect(fs.readdirSync(rootfs)).toEqual([]);
  });

  it('a corrupted config is refused', async () => {
    const { layout, built, blob } = await layoutWith();
    fs.writeFileSync(blob(built.configDigest), configOf({ layers: [], runConfig: { Cmd: ['evil'] } }));
    await expect(importArchive(layout, ref, rootfs, opts())).rejects.toThrow(/: config: (size is|digest mismatch)/);
  });

  it('a layer whose uncompressed content does not match the diff ID is refused', async () => {
    const spec = await twoLayers();
    const other = await makeTar([{ name: 'other', data: 'x' }]);
    const layout = path.join(tmp, 'layout');
    const config = configOf(spec);
    writeOciLayout(layout, { ...spec, layers: [spec.layers[0], other] });
    // point the manifest at a config whose diff IDs describe the original layers
    const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8'));
    const manifestPath = path.join(layout, 'blobs', 'sha256', index.manifests[0].digest.slice(7));
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    fs.writeFileSync(path.join(layout, 'blobs', 'sha256', sha256hex(config)), config);
    manifest.config = { mediaType: manifest.config.mediaType, digest: `sha256:${sha256hex(config)}`, size: config.length };
    const mbytes = Buffer.from(JSON.stringify(manifest));
    fs.writeFileSync(path.join(layout, 'blobs', 'sha256', sha256hex(mbytes)), mbytes);
    index.manifests[0] = { ...index.manifests[0], digest: `sha256:${sha256hex(mbytes)}`, size: mbytes.length };
    fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify(index));
    await expect(importArchive(layout, ref, rootfs, opts())).rejects.toThrow(/layer 2 .*uncompressed \(diff ID\): digest mismatch/);
  });

  it('a docker save archive whose config does not match its file name is refused', async () => {
    const archive = path.join(tmp, 'saved.tar');
    const spec = await twoLayers();
    await writeDockerArchive(archive, spec, ['test:latest']);
    const bytes = fs.readFileSync(archive);
    const at = bytes.indexOf('"Cmd":["sh"]');
    bytes.write('"Cmd":["rm"]', at);
    fs.writeFileSync(archive, bytes);
    await expect(importArchive(archive, ref, rootfs, opts())).rejects.toThrow(/config [0-9a-f]{64}\.json: digest mismatch/);
  });

  it('a docker save layer that does not match its diff ID is refused', async () => {
    const archive = path.join(tmp, 'saved.tar');
    await writeDockerArchive(archive, await twoLayers(), ['test:latest']);
    const bytes = fs.readFileSync(archive);
    const at = bytes.indexOf('etc/new.conf') + 512; // the entry's data follows its 512-byte header
    expect(bytes.subarray(at, at + 3).toString()).toBe('new');
    bytes.write('NEW', at);
    fs.writeFileSync(archive, bytes);
    await expect(importArchive(archive, ref, rootfs, opts())).rejects.toThrow(/layer 2 \(.*layer\.tar\): uncompressed \(diff ID\): digest mismatch/);
  });

  it('an archive symlink to a host file is resolved inside the archive', async () => {
    const archive = path.join(tmp, 'saved.tar');
    const spec = { layers: [await makeTar([{ name: 'x', data: '' }])] };
    const config = configOf(spec);
    const hex = sha256hex(config);
    fs.writeFileSync(archive, await makeTar([
      { name: `${hex}.json`, data: config },
      { name: 'layer.tar', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'manifest.json', data: JSON.stringify([{ Config: `${hex}.json`, RepoTags: [], Layers: ['layer.tar'] }]) },
    ]));
    await expect(importArchive(archive, ref, rootfs, opts())).rejects.toThrow(/layer 1 \(layer\.tar\) is missing from the archive/);
  });
});
