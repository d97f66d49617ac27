/**
 * `tspod image import` with every accepted format, each built here from the busybox image: the
 * imported root filesystem is compared file by file (type, mode, owner, mtime, content) with what
 * the layers describe. Broken and malicious archives are refused, and leave nothing behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTar, tarOfDir, writeDockerArchive, writeOciLayout, type Entry } from '../unit/image/fixtures.js';
import { expectClean, newRoots, removeRoots, tspod, type TestRoots } from './helpers.js';
import {
  buildTestImage,
  describeEntries,
  describeImage,
  inspect,
  listAll,
  type InspectedImage,
  type TestImage,
} from './image-helpers.js';

let roots: TestRoots;
let image: TestImage;
let files: string;

beforeAll(async () => {
  roots = newRoots('image-import');
  files = fs.mkdtempSync(path.join(roots.dir, 'files-'));
  image = await buildTestImage((await inspect(roots, 'busybox')).lowerDirs[0]);
});
afterAll(() => {
  expect(listAll(path.join(roots.root, 'images', 'tmp'))).toEqual([]);
  expectClean(roots);
  removeRoots(roots);
});

async function importOk(name: string, file: string): Promise<InspectedImage> {
  const res = await tspod(roots, ['image', 'import', name, file]);
  expect(res.code, res.stderr).toBe(0);
  const record = await inspect(roots, name);
  expect(res.stdout.trim()).toBe(record.id);
  return record;
}

/** Imports must fail with `message`, leaving the store and everything around it as it was. */
async function importRefused(name: string, file: string, message: RegExp): Promise<void> {
  const before = listAll(roots.dir);
  const res = await tspod(roots, ['image', 'import', name, file]);
  expect(res.code).toBe(125);
  expect(res.stderr).toMatch(/^tspod: importing ".*" as image ".*"/);
  expect(res.stderr).toMatch(message);
  expect(listAll(roots.dir)).toEqual(before);
  expect((await tspod(roots, ['image', 'inspect', name])).code).toBe(125);
}

const expectedConfig = {
  Entrypoint: ['/app/run.sh'],
  Cmd: ['from-cmd'],
  WorkingDir: '/srv',
  Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=hi'],
};

describe('importing image archives built from busybox', () => {
  test('an OCI archive (two layers, gzip and plain, whiteouts, an opaque directory)', async () => {
    const layout = path.join(files, 'oci');
    const built = writeOciLayout(layout, image.spec);
    const archive = path.join(files, 'image.oci.tar');
    fs.writeFileSync(archive, await tarOfDir(layout));
    const record = await importOk('test-oci:v1', archive);
    expect(record.id).toBe(built.id);
    expect(record.config).toEqual(expectedConfig);
    expect(describeImage(record.lowerDirs)).toEqual(describeEntries(image.flattened));
  });

  test('an OCI image layout directory', async () => {
    const layout = path.join(files, 'oci-dir');
    const built = writeOciLayout(layout, image.spec);
    const record = await importOk('test-layout', layout);
    expect(record.id).toBe(built.id);
    expect(describeImage(record.lowerDirs)).toEqual(describeEntries(image.flattened));
  });

  test('a docker save archive', async () => {
    const archive = path.join(files, 'saved.tar');
    const built = await writeDockerArchive(archive, image.spec, ['test-docker:latest']);
    const record = await importOk('test-docker', archive);
    expect(record.id).toBe(built.id);
    expect(record.config).toEqual(expectedConfig);
    expect(describeImage(record.lowerDirs)).toEqual(describeEntries(image.flattened));
  });

  test('a gzip-compressed root filesystem tarball (as docker export writes, with a device node)', async () => {
    const archive = path.join(files, 'rootfs.tar.gz');
    const dev: Entry[] = [
      { name: 'dev/', type: 'directory' },
      { name: 'dev/null', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 3 },
    ];
    const flat = image.flattened.filter((e) => !e.name.startsWith('dev'));
    fs.writeFileSync(archive, zlib.gzipSync(await makeTar([...flat, ...dev])));
    const record = await importOk('test-rootfs', archive);
    expect(record.config).toEqual({});
    const tree = describeImage(record.lowerDirs);
    expect(tree['dev/null']).toMatch(/^chr 666 0:0 \d+ 259$/); // makedev(1, 3)
    delete tree['dev/null'];
    delete tree.dev;
    expect(tree).toEqual(describeEntries(flat));
  });

  test('the same archive imported twice is stored once', async () => {
    const layout = path.join(files, 'oci-dir');
    const again = await importOk('test-layout:again', layout);
    expect(again.lowerDirs).toEqual((await inspect(roots, 'test-layout')).lowerDirs);
  });
});

describe('broken and malicious archives are refused, and nothing is written', () => {
  test('a layer whose digest does not match', async () => {
    const layout = path.join(files, 'corrupt');
    const built = writeOciLayout(layout, image.spec);
    const blob = path.join(layout, 'blobs', 'sha256', built.layerDigests[1].slice(7));
    const bytes = fs.readFileSync(blob);
    bytes[bytes.length - 2048] ^= 1;
    fs.writeFileSync(blob, bytes);
    await importRefused('corrupt', layout, /layer 2 \(sha256:[0-9a-f]{64}\): digest mismatch: expected sha256:/);
  });

  test('a config that does not match its docker save file name', async () => {
    const archive = path.join(files, 'corrupt-saved.tar');
    await writeDockerArchive(archive, image.spec, []);
    const bytes = fs.readFileSync(archive);
    bytes.write('GREETING=ho', bytes.indexOf('GREETING=hi'));
    fs.writeFileSync(archive, bytes);
    await importRefused('corrupt', archive, /config [0-9a-f]{64}\.json: digest mismatch/);
  });

  const outside = () => path.join(roots.dir, 'outside');

  test.each([
    [
      'a "../" entry',
      () => [
        { name: 'ok', data: '' },
        { name: '../../../../escaped', data: 'x' },
      ],
      /entry "..\/..\/..\/..\/escaped" contains ".."/,
    ],
    ['an absolute entry', () => [{ name: path.join(outside(), 'abs'), data: 'x' }], /has an absolute path/],
    [
      'a symlink, then a file through it',
      () => [
        { name: 'evil', type: 'symlink', linkname: outside() },
        { name: 'evil/planted', data: 'x' },
      ],
      /entry "evil\/planted" would be written through the symlink "evil"/,
    ],
    [
      'a hard link to a host file',
      () => [{ name: 'hl', type: 'link', linkname: '../../../../../../etc/passwd' }],
      /hard link "hl".*contains ".."/,
    ],
  ])('a root filesystem tarball with %s', async (_what, entries, message) => {
    fs.mkdirSync(outside(), { recursive: true });
    const archive = path.join(files, 'evil.tar');
    fs.writeFileSync(archive, await makeTar(entries() as Entry[]));
    await importRefused('evil', archive, message);
    expect(fs.readdirSync(outside())).toEqual([]);
  });

  test('an OCI layer with a symlink, then a file through it', async () => {
    fs.mkdirSync(outside(), { recursive: true });
    const layer = await makeTar([
      { name: 'etc', type: 'symlink', linkname: outside() },
      { name: 'etc/passwd', data: 'root::0:0::/:/bin/sh\n' },
    ]);
    const layout = path.join(files, 'evil-oci');
    writeOciLayout(layout, { layers: [layer] });
    await importRefused('evil', layout, /layer 1 .*entry "etc\/passwd" would be written through the symlink "etc"/);
    expect(fs.readdirSync(outside())).toEqual([]);
  });

  test('a file that is no image at all', async () => {
    const junk = path.join(files, 'junk.bin');
    fs.writeFileSync(junk, Buffer.alloc(4096, 7));
    await importRefused('junk', junk, /cannot read the tar archive/);
    await importRefused('junk', path.join(files, 'does-not-exist'), /cannot read ".*does-not-exist"/);
  });
});
