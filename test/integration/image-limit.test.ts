/**
 * A decompression bomb: a layer that is small as gzip and huge unpacked (made here: one file of
 * zeros) is refused by import, naming the layer and the limit, and leaves nothing in the store.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { newRoots, removeRoots, tspod, type TestRoots } from './helpers.js';
import { hostArch } from '../unit/image/fixtures.js';

let roots: TestRoots;
beforeAll(() => (roots = newRoots('limit')));
afterAll(() => removeRoots(roots));

const UNPACKED = 256 << 20;

/** A `docker save` archive whose one gzip layer holds a file of UNPACKED zero bytes. */
async function bomb(dir: string): Promise<{ file: string; gzSize: number }> {
  const header = tar.pack();
  const chunks: Buffer[] = [];
  header.on('data', (c: Buffer) => chunks.push(c));
  const zero = Buffer.alloc(1 << 20);
  const body = Readable.from(
    (function* () {
      for (let i = 0; i < UNPACKED / zero.length; i++) yield zero;
    })(),
  );
  const hash = createHash('sha256');
  const layer = path.join(dir, 'layer.tar.gz');
  // the tar is streamed: a 512-byte header, the zeros, the end-of-archive blocks
  const pack = tar.pack();
  const entry = pack.entry({ name: 'zeros', size: UNPACKED, mode: 0o644 });
  const feeding = pipeline(body, entry).then(() => pack.finalize());
  await Promise.all([
    feeding,
    pipeline(
      pack,
      async function* (src: AsyncIterable<Buffer>) {
        for await (const c of src) {
          hash.update(c);
          yield c;
        }
      },
      zlib.createGzip({ level: 1 }),
      fs.createWriteStream(layer),
    ),
  ]);
  header.destroy();
  const config = Buffer.from(
    JSON.stringify({
      architecture: hostArch(),
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [`sha256:${hash.digest('hex')}`] },
    }),
  );
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  const out = tar.pack();
  const file = path.join(dir, 'bomb.tar');
  const writing = pipeline(out, fs.createWriteStream(file));
  out.entry({ name: configName }, config);
  out.entry(
    { name: 'manifest.json' },
    JSON.stringify([{ Config: configName, RepoTags: ['bomb:1'], Layers: ['layer.tar'] }]),
  );
  const gz = fs.readFileSync(layer);
  out.entry({ name: 'layer.tar' }, gz);
  out.finalize();
  await writing;
  return { file, gzSize: gz.length };
}

function storeContents(): Record<string, string[]> {
  const images = path.join(roots.root, 'images');
  return Object.fromEntries(
    ['sha256', 'blobs/sha256', 'layers/sha256', 'tmp'].map((d) => [
      d,
      fs.existsSync(path.join(images, d)) ? fs.readdirSync(path.join(images, d)).sort() : [],
    ]),
  );
}

describe('decompression bombs', () => {
  test('a small gzip layer that unpacks past the limit is refused, naming the layer and the limit; nothing is left', async () => {
    const { file, gzSize } = await bomb(roots.dir);
    expect(gzSize).toBeLessThan(UNPACKED / 100);
    const before = storeContents();
    const res = await tspod(roots, ['image', 'import', '--unpack-limit', '32M', 'bomb:1', file]);
    expect(res.code).toBe(125);
    expect(res.stderr).toMatch(
      /layer 1 \(layer\.tar\): unpacks to more than 32\.0 MiB, the unpack limit \(--unpack-limit\); refusing it as a decompression bomb/,
    );
    expect(storeContents()).toEqual(before);
    expect((await tspod(roots, ['image', 'inspect', 'bomb:1'])).code).toBe(125);
    // the variable sets the same limit; under a limit that fits, the same archive imports
    const env = { ...roots.env, TSPOD_UNPACK_LIMIT: '1M' };
    const viaEnv = await tspod({ ...roots, env }, ['image', 'import', 'bomb:1', file]);
    expect(viaEnv.stderr).toMatch(/unpacks to more than 1\.0 MiB, the unpack limit \(TSPOD_UNPACK_LIMIT\)/);
    expect(storeContents()).toEqual(before);
    const fits = await tspod(roots, ['image', 'import', '--unpack-limit', '300M', 'bomb:1', file]);
    expect(fits.code, fits.stderr).toBe(0);
    expect((await tspod(roots, ['image', 'rm', 'bomb:1'])).code).toBe(0);
  });
});
