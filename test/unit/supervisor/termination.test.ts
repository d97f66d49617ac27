/**
 * The termination message is read from the file the container wrote, at most 4096 bytes of it,
 * whatever the file's size: the container decides that size.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { readTerminationMessage } from '../../../src/supervisor/termination.js';
import type { Container } from '../../../src/manifest/types.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-termination-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const container = { name: 'c', terminationMessagePolicy: 'File' } as Container;
const exit = { code: 1, signal: null };

test('a file of 3 GiB (sparse): its first 4096 bytes, not a read of all of it (which Node refuses past 2 GiB)', async () => {
  const file = path.join(dir, 'huge');
  fs.writeFileSync(file, `boom${'x'.repeat(5000)}`);
  fs.truncateSync(file, 3 * 1024 ** 3);
  const msg = await readTerminationMessage(container, { terminationLog: file }, exit, path.join(dir, 'no-log'));
  expect(msg?.length).toBe(4096);
  expect(msg?.startsWith('boomxxx')).toBe(true);
});

test('a short file whole; an empty or missing one gives no message', async () => {
  const file = path.join(dir, 'short');
  fs.writeFileSync(file, 'disk full\n');
  expect(await readTerminationMessage(container, { terminationLog: file }, exit, path.join(dir, 'no-log'))).toBe(
    'disk full\n',
  );
  fs.writeFileSync(file, '');
  expect(
    await readTerminationMessage(container, { terminationLog: file }, exit, path.join(dir, 'no-log')),
  ).toBeUndefined();
  expect(
    await readTerminationMessage(container, { terminationLog: path.join(dir, 'gone') }, exit, path.join(dir, 'no-log')),
  ).toBeUndefined();
});
