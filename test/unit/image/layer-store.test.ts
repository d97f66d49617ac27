/**
 * The layer store's bookkeeping through ImageStore: layers stored once by diff ID and shared,
 * reference-counted by the image records (rm and prune remove only unused ones, a pod's image
 * keeps its layers, an import in progress keeps those it relies on), nothing partial left by a
 * failed import, and the migration of a store of the old format (one rootfs per image).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageStore } from '../../../src/image/store.js';
import { declareWants, hasLayer, layerOfBlob, listLayers, lowerDir } from '../../../src/image/layers.js';
import { flattenedLayerKey } from '../../../src/image/migrate.js';
import { withLock } from '../../../src/image/store-files.js';
import { configOf, makeTar, sha256hex, writeOciLayout, type Entry } from './fixtures.js';

let tmp: string;
let store: ImageStore;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-layers-'));
  store = new ImageStore({ root: path.join(tmp, 'root'), runRoot: path.join(tmp, 'run') });
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const BASE: Entry[] = [
  { name: 'bin/', type: 'directory' },
  { name: 'bin/sh', data: 'shell', mode: 0o755 },
  { name: 'etc/', type: 'directory' },
  { name: 'etc/base', data: 'b' },
];

/** An OCI layout of the base layer plus one layer of its own holding `file`. */
async function onBase(name: string, file: string): Promise<{ layout: string; diffIds: string[] }> {
  const layout = path.join(tmp, name);
  const spec = {
    layers: [
      await makeTar(BASE),
      await makeTar([
        { name: 'etc/', type: 'directory' },
        { name: `etc/${file}`, data: file },
      ]),
    ],
    gzip: [true, false],
  };
  writeOciLayout(layout, spec);
  return { layout, diffIds: JSON.parse(configOf(spec).toString()).rootfs.diff_ids };
}

const inode = (p: string) => fs.statSync(p).ino;

describe('layers stored once, by diff ID', () => {
  it('two images on one base share the base layer directory; each image lists its layers topmost first', async () => {
    const a = await onBase('a', 'a');
    const b = await onBase('b', 'b');
    const ia = await store.import('a:1', a.layout);
    const ib = await store.import('b:1', b.layout);
    expect(a.diffIds[0]).toBe(b.diffIds[0]);
    expect(listLayers(store.paths).sort()).toEqual([...new Set([...a.diffIds, ...b.diffIds])].sort());
    expect(ia.lowerDirs).toEqual([...a.diffIds].reverse().map((d) => lowerDir(store.paths, d)));
    expect(ib.lowerDirs[1]).toBe(ia.lowerDirs[1]);
    expect(inode(ib.lowerDirs[1])).toBe(inode(ia.lowerDirs[1]));
    expect(fs.readFileSync(path.join(ib.lowerDirs[0], 'etc/b'), 'utf8')).toBe('b');
    expect(fs.existsSync(path.join(ib.lowerDirs[0], 'bin'))).toBe(false); // the top layer holds only its own files
    // the blob → diff ID mapping a pull can consult
    const manifest = JSON.parse(fs.readFileSync(store.blobPath((await store.inspect('a:1')).manifestDigest!), 'utf8'));
    expect(layerOfBlob(store.paths, manifest.layers[0].digest)).toBe(a.diffIds[0]);
    expect((await store.inspect('b:1')).layers).toEqual(b.diffIds);
  });

  it('rm and prune remove only the layers no image uses', async () => {
    const a = await onBase('a', 'a');
    const b = await onBase('b', 'b');
    await store.import('a:1', a.layout);
    await store.import('b:1', b.layout);
    await store.remove('a:1');
    expect(hasLayer(store.paths, a.diffIds[1])).toBe(false);
    expect(hasLayer(store.paths, a.diffIds[0])).toBe(true); // b's base
    expect(hasLayer(store.paths, b.diffIds[1])).toBe(true);
    expect(store.prune()).toEqual({ blobs: 0, layers: 0 });
    // a layer left behind (a crash between the steps of a sweep) goes with prune
    fs.mkdirSync(path.join(store.paths.layers, 'sha256', 'f'.repeat(64)), { recursive: true });
    expect(store.prune().layers).toBe(1);
    await store.remove('b:1');
    expect(listLayers(store.paths)).toEqual([]);
    expect(fs.readdirSync(store.paths.tmp)).toEqual([]);
  });

  it('a pod that uses an image keeps its layers, even once the image has lost its name', async () => {
    const a = await onBase('a', 'a');
    const b = await onBase('b', 'b');
    const rec = await store.import('a:1', a.layout);
    const state = path.join(tmp, 'run', 'pods', 'p1');
    fs.mkdirSync(state, { recursive: true });
    fs.writeFileSync(path.join(state, 'state.json'), JSON.stringify({ images: [rec.id] }));
    await expect(store.remove('a:1')).rejects.toThrow(/in use by pod "p1"/);
    await store.import('a:1', b.layout); // the tag moves to b; a stays for the pod, and so do its layers
    expect(store.prune().layers).toBe(0);
    expect(a.diffIds.every((d) => hasLayer(store.paths, d))).toBe(true);
    fs.rmSync(state, { recursive: true });
    expect(store.prune().layers).toBe(1); // a's own layer; the base is b's too
    expect(hasLayer(store.paths, a.diffIds[0])).toBe(true);
  });

  it('a layer an import in progress relies on is not swept', async () => {
    const a = await onBase('a', 'a');
    await store.import('a:1', a.layout);
    const staging = store.stage('import');
    try {
      withLock(store.paths, 'sh', () => declareWants(staging, [a.diffIds[0]]));
      await store.remove('a:1');
      expect(hasLayer(store.paths, a.diffIds[0])).toBe(true);
      expect(hasLayer(store.paths, a.diffIds[1])).toBe(false);
    } finally {
      staging.discard();
    }
    expect(store.prune().layers).toBe(1);
  });

  it('a failed import leaves no layer, staged or partial', async () => {
    const a = await onBase('a', 'a');
    const blob = path.join(a.layout, 'blobs', 'sha256');
    // the second layer is the uncompressed one: break its last entry's data
    const layer = fs
      .readdirSync(blob)
      .map((n) => path.join(blob, n))
      .find((f) => fs.readFileSync(f).includes('etc/a'))!;
    const bytes = fs.readFileSync(layer);
    bytes[bytes.indexOf('etc/a') + 512] ^= 0xff;
    fs.writeFileSync(layer, bytes);
    const err = await store.import('a:1', a.layout).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(String((err?.cause as Error | undefined)?.message)).toMatch(/digest mismatch/);
    expect(listLayers(store.paths)).toEqual([]);
    expect(fs.readdirSync(store.paths.tmp)).toEqual([]);
    expect(fs.readdirSync(store.paths.images)).toEqual([]);
  });

  it('a layer unpacked by a crashed import is swept with its staging directory', async () => {
    const a = await onBase('a', 'a');
    await store.import('a:1', a.layout);
    // what a crashed import leaves: its staging directory, unlocked (the lock died with it)
    fs.mkdirSync(path.join(store.paths.tmp, 'import-dead', 'layers', 'sha256-x', 'diff'), { recursive: true });
    fs.writeFileSync(path.join(store.paths.tmp, 'import-dead', 'wants.json'), JSON.stringify(a.diffIds));
    await store.remove('a:1');
    expect(fs.readdirSync(store.paths.tmp)).toEqual([]);
    expect(listLayers(store.paths)).toEqual([]); // a dead import's wants count for nothing
  });
});

describe('a layer the store had by diff ID under another blob', () => {
  it(
    'is used without its blob; ' +
      'save writes it from the blob it is known by (docker), and refuses to invent the missing one (OCI)',
    async () => {
      const a = await onBase('a', 'a');
      await store.import('a:1', a.layout);
      // the same layers, the base gzip-compressed otherwise (another blob), and left out of the layout
      const spec = {
        layers: [
          await makeTar(BASE),
          await makeTar([
            { name: 'etc/', type: 'directory' },
            { name: 'etc/b', data: 'b' },
          ]),
        ],
        gzip: [false, false],
      };
      const layout = path.join(tmp, 'b');
      const built = writeOciLayout(layout, spec);
      fs.rmSync(path.join(layout, 'blobs', 'sha256', built.layerDigests[0].slice(7)));
      const b = await store.import('b:1', layout);
      expect(b.lowerDirs[1]).toBe(lowerDir(store.paths, a.diffIds[0]));
      const { saveImage } = await import('../../../src/image/save.js');
      await saveImage(store, 'b:1', path.join(tmp, 'b-docker.tar'), 'docker');
      expect(fs.statSync(path.join(tmp, 'b-docker.tar')).size).toBeGreaterThan(0);
      const err = await saveImage(store, 'b:1', path.join(tmp, 'b-oci.tar'), 'oci').then(
        () => undefined,
        (e: Error) => e,
      );
      expect(String((err?.cause as Error | undefined)?.message)).toMatch(
        /layer sha256:[0-9a-f]+ was not downloaded .*--format docker/,
      );
      expect(fs.existsSync(path.join(tmp, 'b-oci.tar'))).toBe(false);
      // its layers are counted as any image's
      await store.remove('a:1');
      expect(hasLayer(store.paths, a.diffIds[0])).toBe(true);
    },
  );
});

describe('migrating a store of the old format', () => {
  /** Writes an image the way the old store did: sha256/<id>/{rootfs/,config.json,image.json}. */
  async function oldImage(layers: Entry[][], files: Entry[]): Promise<{ id: string; diffIds: string[] }> {
    const spec = { layers: await Promise.all(layers.map((l) => makeTar(l))) };
    const config = configOf(spec);
    const id = `sha256:${sha256hex(config)}`;
    const dir = path.join(store.paths.images, id.slice(7));
    fs.mkdirSync(path.join(dir, 'rootfs'), { recursive: true });
    for (const f of files) {
      const p = path.join(dir, 'rootfs', f.name);
      if (f.type === 'directory') fs.mkdirSync(p, { recursive: true });
      else fs.writeFileSync(p, f.data ?? '');
    }
    fs.writeFileSync(path.join(dir, 'config.json'), config);
    fs.writeFileSync(
      path.join(dir, 'image.json'),
      JSON.stringify({ imported: '2024-01-01T00:00:00Z', source: 'oci-layout', size: 5, repoDigests: [] }),
    );
    return { id, diffIds: JSON.parse(config.toString()).rootfs.diff_ids };
  }

  function oldRefs(refs: Record<string, string>): void {
    fs.writeFileSync(store.paths.refs, JSON.stringify({ refs }));
  }

  beforeEach(() => fs.mkdirSync(store.paths.images, { recursive: true }));

  it(
    'one-layer images move to their layer (one rename), shared when two have it; ' +
      'several layers become one flattened layer',
    async () => {
      const one = await oldImage(
        [BASE],
        [
          { name: 'bin', type: 'directory' },
          { name: 'bin/sh', data: 'shell' },
        ],
      );
      const many = await oldImage(
        [BASE, [{ name: 'x', data: 'x' }]],
        [
          { name: 'bin', type: 'directory' },
          { name: 'bin/sh', data: 'shell' },
          { name: 'x', data: 'x' },
        ],
      );
      oldRefs({ 'busybox:latest': one.id, 'docker.io/library/many:1': many.id });
      const inodeBefore = inode(path.join(store.paths.images, one.id.slice(7), 'rootfs', 'bin/sh'));

      const list = await store.list();
      expect(list.map((r) => r.ref)).toEqual(['docker.io/library/busybox:latest', 'docker.io/library/many:1']);
      const [b, m] = list;
      expect(b.lowerDirs).toEqual([lowerDir(store.paths, one.diffIds[0])]);
      expect(inode(path.join(b.lowerDirs[0], 'bin/sh'))).toBe(inodeBefore); // moved, not copied
      // the old path still leads there, for a tspod of the old format
      const rootfs = path.join(store.paths.images, one.id.slice(7), 'rootfs');
      expect(fs.lstatSync(rootfs).isSymbolicLink()).toBe(true);
      expect(fs.realpathSync(rootfs)).toBe(fs.realpathSync(b.lowerDirs[0]));
      expect(m.lowerDirs).toEqual([lowerDir(store.paths, flattenedLayerKey(many.id))]);
      expect(fs.readFileSync(path.join(m.lowerDirs[0], 'x'), 'utf8')).toBe('x');
      expect((await store.inspect('many:1')).layers).toEqual([flattenedLayerKey(many.id)]);

      // an import of the same base now shares the migrated layer
      const layout = path.join(tmp, 'again');
      writeOciLayout(layout, { layers: [await makeTar(BASE)] });
      const again = await store.import('again:1', layout);
      expect(again.lowerDirs).toEqual(b.lowerDirs);
      await store.remove('busybox');
      await store.remove('again:1');
      expect(hasLayer(store.paths, one.diffIds[0])).toBe(false);
    },
  );

  it('a migration that crashed after moving the files is finished, losing nothing', async () => {
    const one = await oldImage([BASE], [{ name: 'f', data: 'kept' }]);
    oldRefs({ 'busybox:latest': one.id });
    // what the migration had done when it died: the layer complete, image.json not yet rewritten
    const dir = path.join(store.paths.images, one.id.slice(7));
    const layer = path.dirname(lowerDir(store.paths, one.diffIds[0]));
    fs.mkdirSync(layer, { recursive: true });
    fs.writeFileSync(path.join(layer, 'layer.json'), JSON.stringify({ diffId: one.diffIds[0], size: 4, blobs: [] }));
    fs.renameSync(path.join(dir, 'rootfs'), path.join(layer, 'diff'));
    // a sweep before the migration keeps that layer
    expect(store.prune().layers).toBe(0);
    const rec = await store.resolve('busybox');
    expect(fs.readFileSync(path.join(rec.lowerDirs[0], 'f'), 'utf8')).toBe('kept');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'image.json'), 'utf8')).layers).toEqual(one.diffIds);
  });

  it('a migration that crashed before moving the files starts again from the image', async () => {
    const one = await oldImage([BASE], [{ name: 'f', data: 'kept' }]);
    oldRefs({ 'busybox:latest': one.id });
    const layer = path.dirname(lowerDir(store.paths, one.diffIds[0]));
    fs.mkdirSync(layer, { recursive: true }); // made, but the rename never happened
    const rec = await store.resolve('busybox');
    expect(fs.readFileSync(path.join(rec.lowerDirs[0], 'f'), 'utf8')).toBe('kept');
  });
});
