/**
 * The image store through the CLI: `tspod image ls`, `inspect` and `rm`, refusing to remove an
 * image a pod uses, concurrent imports, and an import killed half-way leaving nothing that the
 * next store operation does not clean.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeTar, writeOciLayout } from '../unit/image/fixtures.js';
import { expectClean, newRoots, removeRoots, start, tspod, waitFor, type TestRoots } from './helpers.js';
import { inspect, listAll } from './image-helpers.js';

let roots: TestRoots;
let files: string;

beforeAll(() => {
  roots = newRoots('image-store');
  files = fs.mkdtempSync(path.join(roots.dir, 'files-'));
});
afterAll(() => {
  expect(listAll(path.join(roots.root, 'images', 'tmp'))).toEqual([]);
  expectClean(roots);
  removeRoots(roots);
});

/** A small one-layer OCI layout whose single file says `text`. */
async function smallImage(text: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(files, 'img-'));
  writeOciLayout(dir, {
    layers: [
      await makeTar([
        { name: 'etc/', type: 'directory' },
        { name: 'etc/which', data: text },
      ]),
    ],
    runConfig: { Cmd: ['cat', '/etc/which'] },
  });
  return dir;
}

async function ok(args: string[]): Promise<string> {
  const res = await tspod(roots, args);
  expect(res.code, res.stderr).toBe(0);
  return res.stdout;
}

async function imageDirs(): Promise<string[]> {
  return fs.readdirSync(path.join(roots.root, 'images', 'sha256')).sort();
}

describe('tspod image ls, inspect, rm', () => {
  test('ls prints a docker-like table and JSON records', async () => {
    await ok(['image', 'import', 'small:1', await smallImage('one')]);
    const table = (await ok(['image', 'ls'])).split('\n');
    expect(table[0]).toMatch(/^NAME\s+TAG\s+DIGEST\s+IMAGE ID\s+CREATED\s+SIZE$/);
    expect(table).toContainEqual(
      expect.stringMatching(/^docker\.io\/library\/busybox\s+latest\s+<none>\s+[0-9a-f]{12}\s+.+ ago\s+\d(\.\d+)?MB$/),
    );
    expect(table).toContainEqual(
      expect.stringMatching(/^docker\.io\/library\/small\s+1\s+<none>\s+[0-9a-f]{12}\s+.+ago\s+3B$/),
    );
    const records = JSON.parse(await ok(['image', 'ls', '--json']));
    const small = records.find((r: { ref: string }) => r.ref === 'docker.io/library/small:1');
    expect(small).toMatchObject({
      name: 'docker.io/library/small',
      tag: '1',
      config: { Cmd: ['cat', '/etc/which'] },
      size: 3,
    });
    expect(fs.readFileSync(path.join(small.lowerDirs[0], 'etc/which'), 'utf8')).toBe('one');
  });

  test('inspect shows the record, its origin and the whole OCI config', async () => {
    const details = JSON.parse(await ok(['image', 'inspect', 'small:1']));
    expect(details).toMatchObject({
      ref: 'docker.io/library/small:1',
      names: ['docker.io/library/small:1'],
      source: 'oci-layout',
      imageConfig: { os: 'linux', config: { Cmd: ['cat', '/etc/which'] } },
    });
    expect(details.id).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test('a missing image is an error naming it and saying how to get it', async () => {
    const res = await tspod(roots, ['image', 'inspect', 'nosuch']);
    expect(res.code).toBe(125);
    expect(res.stderr).toBe(
      `tspod: image "docker.io/library/nosuch:latest" is not in the store (${roots.root}/images); pull it with "tspod image pull docker.io/library/nosuch:latest", build the base images with "make images" or add one with "tspod image import docker.io/library/nosuch:latest FILE"\n`,
    );
  });

  test('rm untags; the image goes with its last tag', async () => {
    const { id } = await inspect(roots, 'small:1');
    // a second tag for the same image: the same layout imported under another name
    const layout = await smallImage('one');
    await ok(['image', 'import', 'small:also', layout]);
    expect((await inspect(roots, 'small:also')).id).toBe(id);
    expect(await ok(['image', 'rm', 'small:1'])).toBe('Untagged: docker.io/library/small:1\n');
    expect(await imageDirs()).toContain(id.slice(7));
    await ok(['image', 'rm', 'small:also']);
    expect(await imageDirs()).not.toContain(id.slice(7));
    expect((await tspod(roots, ['image', 'rm', 'small:also'])).stderr).toMatch(
      /image "docker.io\/library\/small:also" is not in the store/,
    );
  });

  test('rm refuses an image a pod uses, naming the pod', async () => {
    await ok(['image', 'import', 'used', await smallImage('used')]);
    const { id } = await inspect(roots, 'used');
    const podDir = path.join(roots.runRoot, 'pods', 'web');
    fs.mkdirSync(podDir, { recursive: true });
    fs.writeFileSync(path.join(podDir, 'state.json'), JSON.stringify({ images: [id] }));
    const res = await tspod(roots, ['image', 'rm', 'used']);
    expect(res.code).toBe(125);
    expect(res.stderr).toBe(
      'tspod: image "docker.io/library/used:latest" is in use by pod "web"; remove the pod first ("tspod rm web")\n',
    );
    expect((await inspect(roots, 'used')).id).toBe(id);
    // re-importing the tag moves it; the old image stays while the pod uses it, and goes after
    await ok(['image', 'import', 'used', await smallImage('newer')]);
    expect(await imageDirs()).toContain(id.slice(7));
    fs.rmSync(podDir, { recursive: true });
    await ok(['image', 'ls']);
    expect(await imageDirs()).not.toContain(id.slice(7));
    await ok(['image', 'rm', 'used']);
  });
});

describe('concurrency and interruption', () => {
  test('concurrent imports of several tags all land, and the index stays consistent', async () => {
    const layouts = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((t) => smallImage(t)));
    const results = await Promise.all(layouts.map((l, i) => tspod(roots, ['image', 'import', `par:${i}`, l])));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const refs = JSON.parse(await ok(['image', 'ls', '--json'])).map((r: { ref: string }) => r.ref);
    const par = refs.filter((r: string) => r.startsWith('docker.io/library/par:'));
    expect(par).toEqual([0, 1, 2, 3, 4, 5].map((i) => `docker.io/library/par:${i}`));
    for (let i = 0; i < 6; i++) {
      const { lowerDirs } = await inspect(roots, `par:${i}`);
      expect(fs.readFileSync(path.join(lowerDirs[0], 'etc/which'), 'utf8')).toBe('abcdef'[i]);
      await ok(['image', 'rm', `par:${i}`]);
    }
  });

  test('an import killed half-way leaves no image, and its leftovers are swept by the next operation', async () => {
    // a root filesystem tarball with one 1 GiB file of zeros (sparse on disk, slow to unpack)
    const big = path.join(files, 'big.tar');
    const header = (await makeTar([{ name: 'big', data: 'x' }])).subarray(0, 512);
    const size = 1 << 30;
    const fixed = Buffer.from(header);
    fixed.write(size.toString(8).padStart(11, '0') + '\0', 124, 'ascii');
    fixed.fill(' ', 148, 156);
    let sum = 0;
    for (const b of fixed) sum += b;
    fixed.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    fs.writeFileSync(big, fixed);
    fs.truncateSync(big, 512 + size + 1024);
    const run = start(roots, ['image', 'import', 'big', big]);
    const tmp = path.join(roots.root, 'images', 'tmp');
    await waitFor('the import to start unpacking', () => listAll(tmp).some((p) => p.endsWith('diff/big')));
    run.child.kill('SIGKILL');
    await run.done;
    expect(fs.readdirSync(tmp).length).toBeGreaterThan(0);
    expect((await tspod(roots, ['image', 'inspect', 'big'])).code).toBe(125);
    await ok(['image', 'ls']);
    expect(fs.readdirSync(tmp)).toEqual([]);
    // no layer of it either, whole or partial: layers are unpacked in tmp/ and renamed in whole
    expect(listAll(path.join(roots.root, 'images', 'layers')).filter((p) => p.endsWith('/big'))).toEqual([]);
    fs.rmSync(big);
  });
});
