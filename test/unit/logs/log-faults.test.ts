/**
 * Faults at the log write, made by the kernel: a file-size limit (RLIMIT_FSIZE, set with prlimit)
 * makes a write stop short at the limit and the next one fail with EFBIG, as a disk that fills in
 * the middle of a write does; a log directory that is a file makes the open fail (ENOTDIR).
 * tspod-monitor never stops: the records are dropped and counted, a torn record is cut back, the
 * first failure and the count are reported, and writing goes on once it works again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { parseLog } from '../../../src/logs/cri-log.js';
import { rotatedFiles } from '../../../src/logs/log-file.js';
import { PacedMonitor } from './monitor-run.js';

/** A line whose record is `size` bytes (a 40-byte head, the content, the newline). */
const line = (name: string, size = 1500) => `${name.padEnd(size - 41, '.')}\n`;
const contents = (file: string) => parseLog(fs.readFileSync(file)).map((l) => l.content.toString().replace(/\.+$/, ''));

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-logfault-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true }));

describe('log write faults', () => {
  test(
    'a short write (the limit reached mid-record) is cut back; ' +
      'lines dropped and counted; writing resumes after rotation',
    async () => {
      const file = path.join(dir, '0.log');
      // Two records fit under 4096 bytes; the third fits the 4600 of the rotation size but stops
      // short at the limit: cut back, dropped. The fourth (2000 bytes) would pass 4600: the file
      // rotates and the new one takes it.
      const m = new PacedMonitor(file, { maxSize: 4600, maxFiles: 3, fsizeLimit: 4096 });
      for (const [name, size] of [
        ['one', 1500],
        ['two', 1500],
        ['lost', 1500],
        ['three', 2000],
        ['four', 1500],
      ] as const)
        await m.write(line(name, size));
      expect(await m.end()).toBe(0);
      const [rotated] = rotatedFiles(file);
      expect(fs.statSync(rotated).size).toBe(3000);
      expect(contents(rotated)).toEqual(['one', 'two']);
      expect(contents(file)).toEqual(['three', 'four']);
      expect(m.told).toHaveLength(2);
      expect(m.told[0]).toMatch(
        /^writing .*0\.log failed \(EFBIG: file too large, write\): dropping log lines until it works again$/,
      );
      expect(m.told[1]).toBe(`1 log lines (1500 bytes) dropped from ${file} while writes failed (EFBIG)`);
    },
  );

  test('still failing at the end: the count is reported then', async () => {
    const file = path.join(dir, '0.log');
    const m = new PacedMonitor(file, { maxSize: 1 << 20, fsizeLimit: 4096 });
    for (let i = 0; i < 6; i++) await m.write(line(`n${i}`));
    expect(await m.end()).toBe(0);
    expect(contents(file)).toEqual(['n0', 'n1']);
    expect(m.told.map((t) => t.split(' ')[0])).toEqual(['writing', '4']);
  });

  test('a file that cannot be opened drops lines instead of failing, and is opened at the next write', async () => {
    const logs = path.join(dir, 'logs');
    fs.writeFileSync(logs, ''); // where the directory should be: open gives ENOTDIR
    const file = path.join(logs, 'c', '0.log');
    const m = new PacedMonitor(file);
    await m.write(line('lost'));
    fs.rmSync(logs);
    await m.write(line('kept'));
    expect(await m.end()).toBe(0);
    expect(contents(file)).toEqual(['kept']);
    expect(m.told[0]).toMatch(
      /^writing .*0\.log failed \(ENOTDIR: not a directory, open '.*0\.log'\): dropping log lines/,
    );
    expect(m.told[1]).toMatch(/^1 log lines \(1500 bytes\) dropped/);
  });
});
