/**
 * The layer store on the real kernel: images on one base share its layer directory (one
 * directory, one inode), a pod of a three-layer image sees every layer's files with the upper
 * layers' whiteouts and opaque directories applied by overlayfs, `image rm` and `image prune`
 * remove only the layers no image uses, a hostile layer cannot write outside its own layer
 * directory, and a store of the old format (one unpacked rootfs per image) is migrated on first
 * use and runs pods.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Entry } from '../unit/image/fixtures.js';
import { expectClean, linesOf, newRoots, pod, removeRoots, runPod, tspod, type TestRoots } from './helpers.js';
import { describeTree, inspect, listAll } from './image-helpers.js';
import { archiveOf, deriveLayout } from './registry-helpers.js';

let roots: TestRoots;
let busybox: string;

beforeAll(async () => {
  roots = newRoots('image-layers');
  const save = await tspod(roots, [
    'image',
    'save',
    'busybox',
    '-o',
    path.join(roots.dir, 'busybox.tar'),
    '--format',
    'oci',
  ]);
  expect(save.code, save.stderr).toBe(0);
  busybox = path.join(roots.dir, 'busybox');
  fs.mkdirSync(busybox);
  execFileSync('tar', ['-C', busybox, '-xf', path.join(roots.dir, 'busybox.tar')]);
});
afterAll(() => {
  expect(listAll(path.join(roots.root, 'images', 'tmp'))).toEqual([]);
  expectClean(roots);
  removeRoots(roots);
});

const layersDir = () => path.join(roots.root, 'images', 'layers', 'sha256');
const layerDirs = () => (fs.existsSync(layersDir()) ? fs.readdirSync(layersDir()).sort() : []);
const hex = (d: string) => d.slice('sha256:'.length);

async function ok(args: string[]): Promise<string> {
  const res = await tspod(roots, args);
  expect(res.code, res.stderr).toBe(0);
  return res.stdout;
}

/** An OCI layout: `from` plus one layer of `files`; imported as `name` when given. */
async function derive(from: string, dir: string, files: Entry[], name?: string): Promise<string> {
  const to = path.join(roots.dir, dir);
  await deriveLayout(from, to, files);
  if (name) await ok(['image', 'import', name, to]);
  return to;
}

const run = (name: string, image: string, script: string) =>
  runPod(
    roots,
    pod(name, {
      restartPolicy: 'Never',
      containers: [{ name: 'c', image, imagePullPolicy: 'Never', command: ['sh', '-c', script] }],
    }),
    ['--network', 'none'],
  );

describe('layers shared on disk', () => {
  test('two images on the busybox base share its layer directory with busybox itself', async () => {
    await derive(busybox, 'one', [{ name: 'one.txt', data: 'one\n' }], 'one:1');
    await derive(busybox, 'two', [{ name: 'two.txt', data: 'two\n' }], 'two:1');
    const [b, one, two] = [
      await inspect(roots, 'busybox'),
      await inspect(roots, 'one:1'),
      await inspect(roots, 'two:1'),
    ];
    expect(one.layers[0]).toBe(b.layers[0]);
    expect(two.layers[0]).toBe(b.layers[0]);
    expect(one.lowerDirs[1]).toBe(b.lowerDirs[0]);
    expect(two.lowerDirs[1]).toBe(b.lowerDirs[0]);
    expect(fs.statSync(one.lowerDirs[1]).ino).toBe(fs.statSync(two.lowerDirs[1]).ino);
    // one directory per distinct layer: busybox's and each image's own
    expect(layerDirs()).toEqual([b.layers[0], one.layers[1], two.layers[1]].map(hex).sort());
    // each image's own layer holds its own file only
    expect(fs.readdirSync(one.lowerDirs[0])).toEqual(['one.txt']);
  });

  test("rm removes an image's own layers and keeps the shared base; prune then finds nothing to remove", async () => {
    const b = await inspect(roots, 'busybox');
    const one = await inspect(roots, 'one:1');
    const two = await inspect(roots, 'two:1');
    await ok(['image', 'rm', 'one:1']);
    expect(layerDirs()).toEqual([b.layers[0], two.layers[1]].map(hex).sort());
    expect(fs.existsSync(one.lowerDirs[0])).toBe(false);
    expect(await ok(['image', 'prune'])).toMatch(/^removed 0 unused blobs and 0 unused layers$/m);
    await ok(['image', 'rm', 'two:1']);
    expect(layerDirs()).toEqual([hex(b.layers[0])]);
    const res = await run('after-rm', 'busybox', 'echo base-works');
    expect(res.code, res.stderr).toBe(0);
    expect(linesOf(res.stdout, 'c')).toEqual(['base-works']);
    expectClean(roots);
  });
});

describe('a pod of a layered image', () => {
  test('sees the files of every layer, with whiteouts and opaque directories of the upper layers applied', async () => {
    const l2 = await derive(busybox, 'l2', [
      { name: 'opt/', type: 'directory' },
      { name: 'opt/data/', type: 'directory' },
      { name: 'opt/data/a', data: 'a' },
      { name: 'opt/data/b/', type: 'directory' },
      { name: 'opt/data/b/c', data: 'c' },
      { name: 'etc/', type: 'directory', mode: 0o755 },
      { name: 'etc/motd', data: 'motd' },
      { name: 'etc/from-l2', data: 'l2\n' },
    ]);
    await derive(
      l2,
      'l3',
      [
        { name: 'bin/', type: 'directory', mode: 0o755 },
        { name: 'bin/.wh.vi', data: '' },
        { name: 'etc/', type: 'directory', mode: 0o755 },
        { name: 'etc/.wh.motd', data: '' },
        { name: 'opt/data/', type: 'directory', mode: 0o755 },
        { name: 'opt/data/.wh..wh..opq', data: '' },
        { name: 'opt/data/new', data: 'new' },
        { name: 'top.txt', data: 'l3\n' },
      ],
      'layered:3',
    );
    const img = await inspect(roots, 'layered:3');
    expect(img.lowerDirs).toHaveLength(3);
    const script = [
      'cat /etc/from-l2 /top.txt',
      'ls /opt/data',
      'if [ -e /etc/motd ]; then echo motd=present; else echo motd=gone; fi',
      'if [ -e /bin/vi ]; then echo vi=present; else echo vi=gone; fi',
      'ls /bin/ls >/dev/null && echo busybox=present',
      // the lower layers stay as they are: what the container deletes goes to its upper layer
      'rm /etc/from-l2 && echo removed',
    ].join('; ');
    const before = img.lowerDirs.map((d) => describeTree(d));
    const res = await run('layered', 'layered:3', script);
    expect(res.code, res.stderr).toBe(0);
    expect(linesOf(res.stdout, 'c')).toEqual(['l2', 'l3', 'new', 'motd=gone', 'vi=gone', 'busybox=present', 'removed']);
    expect(img.lowerDirs.map((d) => describeTree(d))).toEqual(before);
    expectClean(roots);
    await ok(['image', 'rm', 'layered:3']);
  });
});

describe('a hostile layer', () => {
  test('cannot write outside its own layer directory: not into the shared base, not beside it', async () => {
    const b = await inspect(roots, 'busybox');
    const base = b.lowerDirs[0];
    const before = describeTree(base);
    const layersBefore = layerDirs();
    const attacks: [string, Entry[]][] = [
      [
        'a symlink to the base layer, written through',
        [
          { name: 'evil', type: 'symlink', linkname: base },
          { name: 'evil/pwned', data: 'x' },
        ],
      ],
      [
        'a relative symlink climbing to the base',
        [
          { name: 'evil', type: 'symlink', linkname: `../../${hex(b.layers[0])}/diff` },
          { name: 'evil/pwned', data: 'x' },
        ],
      ],
      ['a name climbing out', [{ name: `../../${hex(b.layers[0])}/diff/pwned`, data: 'x' }]],
      [
        'a hard link to a file of the base',
        [{ name: 'sh-link', type: 'link', linkname: `../../${hex(b.layers[0])}/diff/bin/busybox` }],
      ],
      [
        'a whiteout through a symlink',
        [
          { name: 'evil', type: 'symlink', linkname: path.join(base, 'bin') },
          { name: 'evil/.wh.busybox', data: '' },
        ],
      ],
      [
        'an opaque marker through a symlink',
        [
          { name: 'evil', type: 'symlink', linkname: path.join(base, 'etc') },
          { name: 'evil/.wh..wh..opq', data: '' },
        ],
      ],
    ];
    let i = 0;
    for (const [what, entries] of attacks) {
      const layout = path.join(roots.dir, `hostile-${i}`);
      await deriveLayout(busybox, layout, entries);
      const res = await tspod(roots, ['image', 'import', `hostile:${i++}`, archiveOf(layout, `${layout}.tar`)]);
      expect(res.code, `${what}: ${res.stdout}`).toBe(125);
      expect(res.stderr, what).toMatch(/through the symlink "evil"|contains "\.\."/);
    }
    expect(describeTree(base)).toEqual(before);
    expect(fs.readdirSync(path.dirname(layersDir()))).toEqual(['sha256']);
    expect(layerDirs()).toEqual(layersBefore);
    // and from inside a pod, the base is what it was
    const res = await run(
      'after-hostile',
      'busybox',
      'ls /pwned 2>/dev/null || echo no-pwned; busybox true && echo busybox-ok',
    );
    expect(linesOf(res.stdout, 'c')).toEqual(['no-pwned', 'busybox-ok']);
    expectClean(roots);
  });
});

describe('a store of the old format', () => {
  test("is migrated on first use: each one-layer image's rootfs becomes its layer, and pods run from it", async () => {
    // An old store, written as tspod wrote it before the layer store: busybox unpacked into
    // sha256/<id>/rootfs, its config and an image.json without layers.
    const b = await inspect(roots, 'busybox');
    const old = newRoots('image-layers-old');
    try {
      const images = path.join(old.root, 'images');
      fs.rmSync(images, { recursive: true });
      const dir = path.join(images, 'sha256', hex(b.id));
      fs.mkdirSync(dir, { recursive: true });
      fs.cpSync(b.lowerDirs[0], path.join(dir, 'rootfs'), { recursive: true, verbatimSymlinks: true });
      fs.copyFileSync(
        path.join(roots.root, 'images', 'sha256', hex(b.id), 'config.json'),
        path.join(dir, 'config.json'),
      );
      const meta = JSON.parse(
        fs.readFileSync(path.join(roots.root, 'images', 'sha256', hex(b.id), 'image.json'), 'utf8'),
      );
      delete meta.layers;
      fs.writeFileSync(path.join(dir, 'image.json'), JSON.stringify(meta));
      fs.mkdirSync(path.join(images, 'blobs', 'sha256'), { recursive: true });
      for (const blob of meta.blobs)
        fs.copyFileSync(
          path.join(roots.root, 'images', 'blobs', 'sha256', hex(blob)),
          path.join(images, 'blobs', 'sha256', hex(blob)),
        );
      fs.writeFileSync(path.join(images, 'refs.json'), JSON.stringify({ refs: { 'busybox:latest': b.id } }));
      const shInode = fs.lstatSync(path.join(dir, 'rootfs', 'bin', 'busybox')).ino;

      const ls = await tspod(old, ['image', 'ls']);
      expect(ls.code, ls.stderr).toBe(0);
      expect(ls.stdout).toMatch(/docker\.io\/library\/busybox\s+latest/);
      const migrated = await inspect(old, 'busybox');
      expect(migrated.layers).toEqual(b.layers);
      expect(migrated.lowerDirs).toEqual([path.join(images, 'layers', 'sha256', hex(b.layers[0]), 'diff')]);
      expect(fs.lstatSync(path.join(migrated.lowerDirs[0], 'bin', 'busybox')).ino).toBe(shInode); // moved, not copied
      expect(fs.realpathSync(path.join(dir, 'rootfs'))).toBe(migrated.lowerDirs[0]); // the old path still leads there
      const res = await runPod(
        old,
        pod('migrated', {
          restartPolicy: 'Never',
          containers: [
            { name: 'c', image: 'busybox', imagePullPolicy: 'Never', command: ['sh', '-c', 'echo from-migrated'] },
          ],
        }),
        ['--network', 'none'],
      );
      expect(res.code, res.stderr).toBe(0);
      expect(linesOf(res.stdout, 'c')).toEqual(['from-migrated']);
      // save reads the blobs, as before
      expect((await tspod(old, ['image', 'save', 'busybox', '-o', path.join(old.dir, 'saved.tar')])).code).toBe(0);
      expectClean(old);
    } finally {
      removeRoots(old);
    }
  });
});
