import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importArchive, type Imported, type LayerTarget } from '../../../src/image/importer.js';
import { kernel } from '../../../src/kernel.js';
import { isOverlayWhiteout, OVERLAY_OPAQUE_XATTR } from '../../../src/image/whiteout.js';
import { parseRef } from '../../../src/image/ref.js';
import {
  configOf,
  makeTar,
  sha256hex,
  tarOfDir,
  writeDockerArchive,
  writeOciLayout,
  type Entry,
  type ImageSpec,
} from './fixtures.js';

let tmp: string;
let layersDir: string;
let work: string;
/** diff IDs the pretend store already holds */
let present: Set<string>;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-import-'));
  layersDir = path.join(tmp, 'layers');
  work = path.join(tmp, 'work');
  fs.mkdirSync(work);
  present = new Set();
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ref = parseRef('test:latest');

/** A layer target that unpacks each layer into layers/<hex>, and has the layers of `present`. */
const target: LayerTarget = {
  has: (diffId) => present.has(diffId),
  stage: (diffId) => {
    const dir = path.join(layersDir, diffId.slice(7));
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  },
  dirOf: (diffId) => path.join(tmp, 'present', diffId.slice(7)),
};

/** Scratch space, a blob directory, and an unpack budget of 1 GiB. */
function opts(limit = 1 << 30) {
  const blobDir = path.join(tmp, 'blobs');
  fs.mkdirSync(blobDir, { recursive: true });
  return { work, blobDir, budget: { limit, used: 0, source: 'the test' }, layers: target };
}

/**
 * The image as an overlay mount shows it, computed from its unpacked layers (bottom first): the
 * kernel's rules for lower directories, whiteout devices and opaque directories, in a few lines.
 */
function merged(imported: Imported): string[] {
  const view = new Map<string, 'dir' | 'file'>();
  for (const l of imported.layers) {
    if (!l.unpacked) continue;
    const walk = (rel: string) => {
      for (const name of fs.readdirSync(path.join(l.unpacked!, rel))) {
        const r = rel ? `${rel}/${name}` : name;
        const abs = path.join(l.unpacked!, r);
        const st = fs.lstatSync(abs);
        const drop = () => {
          for (const k of [...view.keys()]) if (k === r || k.startsWith(`${r}/`)) view.delete(k);
        };
        if (isOverlayWhiteout(st)) {
          drop();
          continue;
        }
        if (st.isDirectory()) {
          if (view.get(r) !== 'dir' || kernel.lgetxattr(abs, OVERLAY_OPAQUE_XATTR) === 'y') drop();
          view.set(r, 'dir');
          walk(r);
        } else {
          drop();
          view.set(r, 'file');
        }
      }
    };
    walk('');
  }
  return [...view].map(([k, t]) => (t === 'dir' ? `${k}/` : k)).sort();
}

/** The file `rel` of the topmost layer that has it. */
function read(imported: Imported, rel: string): string {
  const l = [...imported.layers].reverse().find((x) => x.unpacked && fs.existsSync(path.join(x.unpacked, rel)));
  return fs.readFileSync(path.join(l!.unpacked!, rel), 'utf8');
}

/** Two layers: the second deletes a file (whiteout) and replaces a directory's contents (opaque). */
async function twoLayers(): Promise<ImageSpec> {
  const base: Entry[] = [
    { name: 'bin/', type: 'directory' },
    { name: 'bin/sh', data: 'shell', mode: 0o755 },
    { name: 'etc/', type: 'directory' },
    { name: 'etc/old.conf', data: 'old' },
    { name: 'data/', type: 'directory' },
    { name: 'data/a', data: 'a' },
    { name: 'data/sub/', type: 'directory' },
    { name: 'data/sub/b', data: 'b' },
  ];
  const top: Entry[] = [
    { name: 'etc/', type: 'directory' },
    { name: 'etc/.wh.old.conf', data: '' },
    { name: 'etc/new.conf', data: 'new' },
    { name: 'data/', type: 'directory' },
    { name: 'data/.wh..wh..opq', data: '' },
    { name: 'data/c', data: 'c' },
  ];
  return {
    layers: [await makeTar(base), await makeTar(top)],
    gzip: [true, false],
    runConfig: { Cmd: ['sh'], Env: ['A=1'] },
  };
}

const EXPECTED = ['bin/', 'bin/sh', 'data/', 'data/c', 'etc/', 'etc/new.conf'];

describe('importing image archives', () => {
  it('an OCI layout directory: layers applied in order, whiteouts and opaque directories honoured', async () => {
    const layout = path.join(tmp, 'layout');
    writeOciLayout(layout, await twoLayers());
    const imported = await importArchive(layout, ref, opts());
    expect(imported.kind).toBe('oci-layout');
    expect(imported.config.config).toEqual({ Cmd: ['sh'], Env: ['A=1'] });
    expect(merged(imported)).toEqual(EXPECTED);
    expect(read(imported, 'etc/new.conf')).toBe('new');
    // each layer in a directory of its own, the markers as overlayfs reads them
    const [, top] = imported.layers.map((l) => l.unpacked!);
    expect(isOverlayWhiteout(fs.lstatSync(path.join(top, 'etc/old.conf')))).toBe(true);
    expect(kernel.lgetxattr(path.join(top, 'data'), OVERLAY_OPAQUE_XATTR)).toBe('y');
    expect(fs.readdirSync(path.join(top, 'data'))).toEqual(['c']);
  });

  it('an OCI archive (the layout in a tar), also gzip-compressed', async () => {
    const layout = path.join(tmp, 'layout');
    const built = writeOciLayout(layout, await twoLayers());
    const archive = path.join(tmp, 'image.tar.gz');
    fs.writeFileSync(archive, zlib.gzipSync(await tarOfDir(layout)));
    const imported = await importArchive(archive, ref, opts());
    expect(imported.kind).toBe('oci-archive');
    expect(`sha256:${sha256hex(imported.configBytes)}`).toBe(built.id);
    expect(merged(imported)).toEqual(EXPECTED);
  });

  it('a docker save archive', async () => {
    const archive = path.join(tmp, 'saved.tar');
    const built = await writeDockerArchive(archive, await twoLayers(), ['test:latest']);
    const imported = await importArchive(archive, ref, opts());
    expect(imported.kind).toBe('docker-archive');
    expect(`sha256:${sha256hex(imported.configBytes)}`).toBe(built.id);
    expect(merged(imported)).toEqual(EXPECTED);
  });

  it('a root filesystem tarball, whose ".wh." files are ordinary files', async () => {
    const archive = path.join(tmp, 'rootfs.tar');
    const tarball = await makeTar([
      { name: './', type: 'directory' },
      { name: './bin/sh', data: 'x' },
      { name: './.wh.keep', data: '' },
    ]);
    fs.writeFileSync(archive, tarball);
    const imported = await importArchive(archive, ref, opts());
    expect(imported.kind).toBe('rootfs-tarball');
    expect(imported.config.diffIds).toEqual([`sha256:${sha256hex(tarball)}`]);
    expect(merged(imported)).toEqual(['.wh.keep', 'bin/', 'bin/sh']);
  });

  it('picks the manifest named by the reference among several', async () => {
    const layout = path.join(tmp, 'layout');
    writeOciLayout(layout, { layers: [await makeTar([{ name: 'one', data: '1' }])] }, 'one');
    const first = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8'));
    writeOciLayout(layout, { layers: [await makeTar([{ name: 'two', data: '2' }])] }, 'two');
    const second = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8'));
    fs.writeFileSync(
      path.join(layout, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [...first.manifests, ...second.manifests] }),
    );
    expect(merged(await importArchive(layout, parseRef('x:two'), opts()))).toEqual(['two']);
    await expect(importArchive(layout, parseRef('x:three'), opts())).rejects.toThrow(/holds 2 images \(one, two\)/);
  });
});

describe('layers the store has already', () => {
  it('are checked but not unpacked again; a repeated layer is unpacked once', async () => {
    const spec = await twoLayers();
    const layout = path.join(tmp, 'layout');
    const built = writeOciLayout(layout, spec);
    const first = await importArchive(layout, ref, opts());
    present.add(first.layers[0].diffId);
    fs.rmSync(layersDir, { recursive: true });
    const second = await importArchive(layout, ref, opts());
    expect(second.layers.map((l) => l.diffId)).toEqual(first.layers.map((l) => l.diffId));
    expect(second.layers[0].unpacked).toBeUndefined();
    expect(fs.readdirSync(layersDir)).toEqual([second.layers[1].diffId.slice(7)]);
    expect(second.layers.map((l) => l.blob)).toEqual(built.layerDigests);

    const twice = path.join(tmp, 'twice');
    writeOciLayout(twice, { layers: [spec.layers[1], spec.layers[1]] });
    present.clear();
    fs.rmSync(layersDir, { recursive: true });
    const rep = await importArchive(twice, ref, opts());
    expect(rep.layers[0].diffId).toBe(rep.layers[1].diffId);
    expect(fs.readdirSync(layersDir)).toHaveLength(1);
  });

  it('a directory a layer needs but does not list takes its mode and mtime from the layers below', async () => {
    const old = new Date('2020-01-01T00:00:00Z');
    const layout = path.join(tmp, 'layout');
    writeOciLayout(layout, {
      layers: [
        await makeTar([
          { name: 'opt/', type: 'directory', mode: 0o750, mtime: old },
          { name: 'opt/sub/', type: 'directory', mode: 0o700, mtime: old },
        ]),
        await makeTar([
          { name: 'opt/sub/new', data: 'n' },
          { name: 'fresh/.wh.x', data: '' },
        ]),
      ],
    });
    const imported = await importArchive(layout, ref, opts());
    const top = imported.layers[1].unpacked!;
    for (const [d, mode] of [
      ['opt', 0o750],
      ['opt/sub', 0o700],
    ] as const) {
      const st = fs.statSync(path.join(top, d));
      expect(st.mode & 0o7777, d).toBe(mode);
      expect(st.mtime.getTime(), d).toBe(old.getTime());
    }
    expect(fs.statSync(path.join(top, 'fresh')).mode & 0o7777).toBe(0o755); // nothing below: the default
  });

  it(
    "a layer whose blob the layout leaves out is the store's, " + 'when the store has its diff ID; else refused',
    async () => {
      const layout = path.join(tmp, 'layout');
      const spec = await twoLayers();
      const built = writeOciLayout(layout, spec);
      fs.rmSync(path.join(layout, 'blobs', 'sha256', built.layerDigests[0].slice(7)));
      await expect(importArchive(layout, ref, opts())).rejects.toThrow(
        /layer 1 \(sha256:[0-9a-f]+\) is missing from the archive/,
      );
      const diffIds = JSON.parse(configOf(spec).toString()).rootfs.diff_ids as string[];
      present.add(diffIds[0]);
      const imported = await importArchive(layout, ref, opts());
      expect(imported.layers.map((l) => [l.diffId, l.blob, l.unpacked !== undefined])).toEqual([
        [diffIds[0], undefined, false],
        [diffIds[1], built.layerDigests[1], true],
      ]);
      expect(imported.blobs).not.toContain(built.layerDigests[0]);
    },
  );

  it('a layer the store has is still checked against its digest', async () => {
    const layout = path.join(tmp, 'layout');
    const built = writeOciLayout(layout, await twoLayers());
    const blob = path.join(layout, 'blobs', 'sha256', built.layerDigests[1].slice(7));
    const diffIds = JSON.parse(configOf(await twoLayers()).toString()).rootfs.diff_ids as string[];
    for (const d of diffIds) present.add(d);
    const bytes = fs.readFileSync(blob);
    bytes[600] ^= 0xff;
    fs.writeFileSync(blob, bytes);
    await expect(importArchive(layout, ref, opts())).rejects.toThrow(/layer 2 .*digest mismatch/);
    expect(fs.existsSync(layersDir)).toBe(false);
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
    await expect(importArchive(layout, ref, opts())).rejects.toThrow(/layer 2 \(sha256:[0-9a-f]+\): digest mismatch/);
    expect(fs.existsSync(layersDir)).toBe(false);
  });

  it('a corrupted config is refused', async () => {
    const { layout, built, blob } = await layoutWith();
    fs.writeFileSync(blob(built.configDigest), configOf({ layers: [], runConfig: { Cmd: ['evil'] } }));
    await expect(importArchive(layout, ref, opts())).rejects.toThrow(/: config: (size is|digest mismatch)/);
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
    manifest.config = {
      mediaType: manifest.config.mediaType,
      digest: `sha256:${sha256hex(config)}`,
      size: config.length,
    };
    const mbytes = Buffer.from(JSON.stringify(manifest));
    fs.writeFileSync(path.join(layout, 'blobs', 'sha256', sha256hex(mbytes)), mbytes);
    index.manifests[0] = { ...index.manifests[0], digest: `sha256:${sha256hex(mbytes)}`, size: mbytes.length };
    fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify(index));
    await expect(importArchive(layout, ref, opts())).rejects.toThrow(
      /layer 2 .*uncompressed \(diff ID\): digest mismatch/,
    );
  });

  it('a docker save archive whose config does not match its file name is refused', async () => {
    const archive = path.join(tmp, 'saved.tar');
    const spec = await twoLayers();
    await writeDockerArchive(archive, spec, ['test:latest']);
    const bytes = fs.readFileSync(archive);
    const at = bytes.indexOf('"Cmd":["sh"]');
    bytes.write('"Cmd":["rm"]', at);
    fs.writeFileSync(archive, bytes);
    await expect(importArchive(archive, ref, opts())).rejects.toThrow(/config [0-9a-f]{64}\.json: digest mismatch/);
  });

  it('a docker save layer that does not match its diff ID is refused', async () => {
    const archive = path.join(tmp, 'saved.tar');
    await writeDockerArchive(archive, await twoLayers(), ['test:latest']);
    const bytes = fs.readFileSync(archive);
    const at = bytes.indexOf('etc/new.conf') + 512; // the entry's data follows its 512-byte header
    expect(bytes.subarray(at, at + 3).toString()).toBe('new');
    bytes.write('NEW', at);
    fs.writeFileSync(archive, bytes);
    await expect(importArchive(archive, ref, opts())).rejects.toThrow(
      /layer 2 \(.*layer\.tar\): uncompressed \(diff ID\): digest mismatch/,
    );
  });

  it('an archive symlink to a host file is resolved inside the archive', async () => {
    const archive = path.join(tmp, 'saved.tar');
    const spec = { layers: [await makeTar([{ name: 'x', data: '' }])] };
    const config = configOf(spec);
    const hex = sha256hex(config);
    fs.writeFileSync(
      archive,
      await makeTar([
        { name: `${hex}.json`, data: config },
        { name: 'layer.tar', type: 'symlink', linkname: '/etc/passwd' },
        {
          name: 'manifest.json',
          data: JSON.stringify([{ Config: `${hex}.json`, RepoTags: [], Layers: ['layer.tar'] }]),
        },
      ]),
    );
    await expect(importArchive(archive, ref, opts())).rejects.toThrow(
      /layer 1 \(layer\.tar\) is missing from the archive/,
    );
  });
});
