import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unpackTar } from '../../../src/image/tar-read.js';
import { readImageFile } from '../../../src/image/layer-view.js';
import { isOverlayWhiteout, OVERLAY_OPAQUE_XATTR } from '../../../src/image/whiteout.js';
import { kernel } from '../../../src/kernel.js';
import { makeTar, MTIME, type Entry } from './fixtures.js';

let tmp: string;
let root: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-unpack-'));
  root = path.join(tmp, 'root');
  fs.mkdirSync(root);
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function unpack(entries: Entry[], whiteouts = true): Promise<void> {
  await unpackTar(Readable.from([await makeTar(entries)]), root, { what: 'test archive', whiteouts });
}

/** Every path under `dir`, sorted, with a type mark: `etc/`, `bin/sh -> busybox`, `etc/passwd`. */
function tree(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(path.join(dir, prefix)).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const st = fs.lstatSync(path.join(dir, rel));
    if (st.isDirectory()) out.push(`${rel}/`, ...tree(dir, rel));
    else if (st.isSymbolicLink()) out.push(`${rel} -> ${fs.readlinkSync(path.join(dir, rel))}`);
    else out.push(rel);
  }
  return out;
}

describe('unpacking a tar archive', () => {
  it('creates files, directories, symlinks, hard links and FIFOs with their metadata', async () => {
    await unpack([
      { name: './', type: 'directory', mode: 0o755 },
      { name: './etc/', type: 'directory', mode: 0o750 },
      { name: './etc/motd', data: 'hello\n', mode: 0o640 },
      { name: './bin/tool', data: '#!/bin/sh\n', mode: 0o4755 },
      { name: './bin/sh', type: 'symlink', linkname: 'tool' },
      { name: './bin/tool2', type: 'link', linkname: './bin/tool' },
      { name: 'run/fifo', type: 'fifo', mode: 0o600 },
    ]);
    expect(tree(root)).toEqual([
      'bin/',
      'bin/sh -> tool',
      'bin/tool',
      'bin/tool2',
      'etc/',
      'etc/motd',
      'run/',
      'run/fifo',
    ]);
    expect(fs.readFileSync(path.join(root, 'etc/motd'), 'utf8')).toBe('hello\n');
    expect(fs.statSync(path.join(root, 'etc')).mode & 0o7777).toBe(0o750);
    expect(fs.statSync(path.join(root, 'etc/motd')).mode & 0o7777).toBe(0o640);
    expect(fs.statSync(path.join(root, 'bin/tool')).mode & 0o7777).toBe(0o4755);
    expect(fs.statSync(path.join(root, 'bin/tool2')).ino).toBe(fs.statSync(path.join(root, 'bin/tool')).ino);
    expect(fs.lstatSync(path.join(root, 'run/fifo')).isFIFO()).toBe(true);
    expect(fs.statSync(path.join(root, 'etc')).mtime.getTime()).toBe(MTIME.getTime());
    expect(fs.statSync(path.join(root, 'etc/motd')).mtime.getTime()).toBe(MTIME.getTime());
    expect(fs.lstatSync(path.join(root, 'bin/sh')).mtime.getTime()).toBe(MTIME.getTime());
  });

  it('gives directories their mode last, so a read-only directory can still be filled', async () => {
    await unpack([
      { name: 'ro/', type: 'directory', mode: 0o555 },
      { name: 'ro/file', data: 'x' },
    ]);
    expect(fs.statSync(path.join(root, 'ro')).mode & 0o7777).toBe(0o555);
    expect(fs.readFileSync(path.join(root, 'ro/file'), 'utf8')).toBe('x');
  });

  it('replaces an entry of another type, and merges directories', async () => {
    await unpack([
      { name: 'a/', type: 'directory' },
      { name: 'a/old', data: '1' },
      { name: 'f', data: 'file' },
    ]);
    await unpack([
      { name: 'a/', type: 'directory' },
      { name: 'a/new', data: '2' },
      { name: 'f/', type: 'directory' },
    ]);
    expect(tree(root)).toEqual(['a/', 'a/new', 'a/old', 'f/']);
    await unpack([{ name: 'a', type: 'symlink', linkname: 'f' }]);
    expect(tree(root)).toEqual(['a -> f', 'f/']);
  });

  it('does not write through a hard link to an existing file', async () => {
    await unpack([
      { name: 'one', data: 'same' },
      { name: 'two', type: 'link', linkname: 'one' },
    ]);
    await unpack([{ name: 'two', data: 'changed' }]);
    expect(fs.readFileSync(path.join(root, 'one'), 'utf8')).toBe('same');
    expect(fs.readFileSync(path.join(root, 'two'), 'utf8')).toBe('changed');
  });
});

describe('unpacking refuses entries that would leave the directory', () => {
  const outside = () => path.join(tmp, 'outside');

  it.each([
    ['a ".." entry', [{ name: '../outside', data: 'x' }]],
    ['a ".." in the middle', [{ name: 'a/../../outside', data: 'x' }]],
    ['an absolute entry', [{ name: '/etc/evil', data: 'x' }]],
  ])('%s', async (_what, entries) => {
    await expect(unpack(entries as Entry[])).rejects.toThrow(
      /test archive: entry ".*" (contains "\.\."|has an absolute path)/,
    );
    expect(fs.existsSync(outside())).toBe(false);
    expect(fs.readdirSync(tmp)).toEqual(['root']);
  });

  it('a file written through a symlink the archive planted', async () => {
    fs.mkdirSync(outside());
    const entries: Entry[] = [
      { name: 'link', type: 'symlink', linkname: outside() },
      { name: 'link/file', data: 'x' },
    ];
    await expect(unpack(entries)).rejects.toThrow(
      'test archive: entry "link/file" would be written through the symlink "link"',
    );
    expect(fs.readdirSync(outside())).toEqual([]);
  });

  it('a file written through a relative symlink that climbs out', async () => {
    fs.mkdirSync(outside());
    const entries: Entry[] = [
      { name: 'd/link', type: 'symlink', linkname: '../../outside' },
      { name: 'd/link/file', data: 'x' },
    ];
    await expect(unpack(entries)).rejects.toThrow(/would be written through the symlink "d\/link"/);
    expect(fs.readdirSync(outside())).toEqual([]);
  });

  it('a symlink from a lower layer', async () => {
    fs.mkdirSync(outside());
    await unpack([{ name: 'etc', type: 'symlink', linkname: outside() }]);
    await expect(unpack([{ name: 'etc/passwd', data: 'x' }])).rejects.toThrow(/through the symlink "etc"/);
    expect(fs.readdirSync(outside())).toEqual([]);
  });

  it('a whiteout through a symlink', async () => {
    fs.mkdirSync(outside());
    fs.writeFileSync(path.join(outside(), 'precious'), 'keep');
    await unpack([{ name: 'lnk', type: 'symlink', linkname: outside() }]);
    await expect(unpack([{ name: 'lnk/.wh.precious', data: '' }])).rejects.toThrow(/through the symlink "lnk"/);
    expect(fs.readFileSync(path.join(outside(), 'precious'), 'utf8')).toBe('keep');
  });

  it.each([
    ['outside the root', '../outside/secret', /contains "\.\."/],
    ['absolute', '/etc/shadow', /has an absolute path/],
    ['through a symlink', 'lnk/secret', /through the symlink "lnk"/],
    ['missing', 'nothing', /points to "nothing", which does not exist/],
    ['a directory', 'dir', /points to the directory "dir"/],
  ])('a hard link pointing %s', async (_what, linkname, message) => {
    fs.mkdirSync(outside());
    fs.writeFileSync(path.join(outside(), 'secret'), 's');
    const entries: Entry[] = [
      { name: 'lnk', type: 'symlink', linkname: outside() },
      { name: 'dir', type: 'directory' },
      { name: 'x', type: 'link', linkname },
    ];
    await expect(unpack(entries)).rejects.toThrow(message);
    expect(fs.statSync(path.join(outside(), 'secret')).nlink).toBe(1);
  });

  it('an entry below a file', async () => {
    await expect(
      unpack([
        { name: 'f', data: '' },
        { name: 'f/x', data: '' },
      ]),
    ).rejects.toThrow(/below "f", which is not a directory/);
  });

  it('an entry that is not a tar archive', async () => {
    const garbage = Readable.from([Buffer.alloc(1024, 'x')]);
    await expect(unpackTar(garbage, root, { what: 'garbage', whiteouts: false })).rejects.toThrow(
      'garbage: cannot read the tar archive',
    );
  });
});

describe('whiteouts', () => {
  const lower: Entry[] = [
    { name: 'etc/', type: 'directory' },
    { name: 'etc/keep', data: 'k' },
    { name: 'etc/gone', data: 'g' },
    { name: 'etc/sub/', type: 'directory' },
    { name: 'etc/sub/deep', data: 'd' },
    { name: 'opq/', type: 'directory' },
    { name: 'opq/old1', data: '1' },
    { name: 'opq/dir/', type: 'directory' },
    { name: 'opq/dir/old2', data: '2' },
  ];

  it('".wh.NAME" removes NAME of a lower layer, files and whole directories', async () => {
    await unpack(lower);
    await unpack([
      { name: 'etc/.wh.gone', data: '' },
      { name: 'etc/.wh.sub', data: '' },
      { name: 'etc/.wh.never-there', data: '' },
    ]);
    expect(tree(root)).toEqual(['etc/', 'etc/keep', 'opq/', 'opq/dir/', 'opq/dir/old2', 'opq/old1']);
  });

  it('an opaque directory keeps only what its own layer puts there, marker first or last', async () => {
    for (const markerFirst of [true, false]) {
      fs.rmSync(root, { recursive: true });
      fs.mkdirSync(root);
      await unpack(lower);
      const marker: Entry = { name: 'opq/.wh..wh..opq', data: '' };
      const same: Entry[] = [
        { name: 'opq/new', data: 'n' },
        { name: 'opq/dir/new2', data: 'n2' },
      ];
      await unpack(markerFirst ? [marker, ...same] : [...same, marker]);
      expect(tree(root).filter((p) => p.startsWith('opq'))).toEqual(['opq/', 'opq/dir/', 'opq/dir/new2', 'opq/new']);
    }
  });

  it('a whiteout does not hide an entry of its own layer', async () => {
    await unpack([{ name: 'a', data: 'lower' }]);
    await unpack([
      { name: 'a', data: 'upper' },
      { name: '.wh.a', data: '' },
    ]);
    expect(fs.readFileSync(path.join(root, 'a'), 'utf8')).toBe('upper');
  });

  it('markers never appear in the result, and AUFS bookkeeping is skipped', async () => {
    await unpack([
      { name: 'd/.wh..wh..opq', data: '' },
      { name: '.wh..wh.plnk/', type: 'directory' },
      { name: 'd/f', data: '' },
    ]);
    expect(tree(root)).toEqual(['d/', 'd/f']);
  });

  it('a root filesystem tarball keeps ".wh." names as ordinary files', async () => {
    await unpack(
      [
        { name: 'x', data: '' },
        { name: '.wh.x', data: 'literal' },
      ],
      false,
    );
    expect(tree(root)).toEqual(['.wh.x', 'x']);
  });
});

describe('a layer in its own directory: markers stored as overlayfs reads them', () => {
  const overlay = (entries: Entry[]) =>
    makeTar(entries).then((t) =>
      unpackTar(Readable.from([t]), root, { what: 'test layer', whiteouts: true, overlay: true }),
    );
  const isWhiteout = (rel: string) => isOverlayWhiteout(fs.lstatSync(path.join(root, rel)));
  const opaque = (rel: string) => kernel.lgetxattr(path.join(root, rel), OVERLAY_OPAQUE_XATTR);

  it(
    '".wh.NAME" becomes a 0/0 device at NAME (parents made), ' + 'an opaque marker the user.overlay.opaque attribute',
    async () => {
      await overlay([
        { name: 'etc/.wh.gone', data: '' },
        { name: 'a/b/.wh.c', data: '' },
        { name: 'opq/.wh..wh..opq', data: '' },
        { name: 'opq/new', data: 'n' },
        { name: 'd/.wh..wh..opq', data: '' },
      ]);
      expect(tree(root)).toEqual(['a/', 'a/b/', 'a/b/c', 'd/', 'etc/', 'etc/gone', 'opq/', 'opq/new']);
      expect(isWhiteout('etc/gone')).toBe(true);
      expect(isWhiteout('a/b/c')).toBe(true);
      expect(opaque('opq')).toBe('y');
      expect(opaque('d')).toBe('y');
      expect(opaque('etc')).toBeNull();
    },
  );

  it('a whiteout never hides an entry of its own layer, before or after it', async () => {
    await overlay([
      { name: 'a', data: 'mine' },
      { name: '.wh.a', data: '' },
      { name: '.wh.b', data: '' },
      { name: 'b', data: 'also mine' },
    ]);
    expect(fs.readFileSync(path.join(root, 'a'), 'utf8')).toBe('mine');
    expect(fs.readFileSync(path.join(root, 'b'), 'utf8')).toBe('also mine');
  });

  it('a whited-out path the layer then fills is a fresh, opaque directory', async () => {
    await overlay([
      { name: '.wh.dir', data: '' },
      { name: 'dir/new', data: 'n' },
      { name: '.wh.d2', data: '' },
      { name: 'd2/', type: 'directory' },
    ]);
    expect(tree(root)).toEqual(['d2/', 'dir/', 'dir/new']);
    expect(opaque('dir')).toBe('y');
    expect(opaque('d2')).toBe('y');
  });

  it('a marker is never stored through a symlink', async () => {
    const outside = path.join(tmp, 'outside');
    fs.mkdirSync(outside);
    await expect(
      overlay([
        { name: 'lnk', type: 'symlink', linkname: outside },
        { name: 'lnk/.wh.x', data: '' },
      ]),
    ).rejects.toThrow(/through the symlink "lnk"/);
    await expect(
      overlay([
        { name: 'l2', type: 'symlink', linkname: outside },
        { name: 'l2/.wh..wh..opq', data: '' },
      ]),
    ).rejects.toThrow(/through the symlink "l2"/);
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(kernel.lgetxattr(outside, OVERLAY_OPAQUE_XATTR)).toBeNull();
  });
});

describe('reading a file through the layers (layer-view.ts)', () => {
  const layer = (name: string) => {
    const d = path.join(tmp, name);
    fs.mkdirSync(d, { recursive: true });
    return d;
  };

  it(
    'the topmost layer that has it; ' +
      'whiteouts, opaque directories, non-directories and symlinks hide what is below',
    async () => {
      const low = layer('low');
      const mid = layer('mid');
      const top = layer('top');
      for (const [d, files] of [
        [low, ['etc/passwd', 'etc/group', 'etc/shadow', 'opq/f', 'file/x', 'lnk/y']],
        [mid, ['etc/group']],
      ] as const) {
        for (const f of files) {
          fs.mkdirSync(path.join(d, path.dirname(f)), { recursive: true });
          fs.writeFileSync(path.join(d, f), `${path.basename(d)}:${f}`);
        }
      }
      fs.mkdirSync(path.join(top, 'etc'));
      kernel.mknod(path.join(top, 'etc/shadow'), fs.constants.S_IFCHR, 0, 0);
      fs.mkdirSync(path.join(top, 'opq'));
      kernel.lsetxattr(path.join(top, 'opq'), OVERLAY_OPAQUE_XATTR, 'y');
      fs.writeFileSync(path.join(top, 'file'), 'a file over a directory');
      fs.symlinkSync('/etc', path.join(mid, 'lnk'));
      const lowers = [top, mid, low];
      expect(readImageFile(lowers, 'etc/passwd')).toBe('low:etc/passwd');
      expect(readImageFile(lowers, 'etc/group')).toBe('mid:etc/group');
      expect(readImageFile(lowers, 'etc/shadow')).toBeUndefined();
      expect(readImageFile(lowers, 'opq/f')).toBeUndefined();
      expect(readImageFile([mid, low], 'opq/f')).toBe('low:opq/f');
      expect(readImageFile(lowers, 'file/x')).toBeUndefined();
      expect(readImageFile(lowers, 'lnk/y')).toBeUndefined();
      expect(readImageFile(lowers, 'etc/nothing')).toBeUndefined();
    },
  );
});
