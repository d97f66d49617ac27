/**
 * A hostile container controls the bytes of its output, nothing else. Whatever they are (a flood
 * without a newline, binary, NULs, a flood of empty lines), tspod-monitor keeps its memory fixed
 * (it runs here in 16 MiB of address space, its binary and stack included) and its file exact.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseLog } from '../../../src/logs/cri-log.js';
import { logOnce } from './monitor-run.js';

const LIMIT = { addressSpaceLimit: 16 << 20 };

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-hostile-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true }));

describe('hostile output', () => {
  test('64 MiB without a newline: 16 KiB P records, every byte kept, memory bounded', () => {
    const noNewline = crypto.randomBytes(64 << 20).map((b) => (b === 0x0a ? 0 : b));
    const file = path.join(dir, 'flood.log');
    const { tee, told } = logOnce(file, Buffer.from(noNewline), LIMIT);
    expect(told).toEqual([]);
    const lines = parseLog(fs.readFileSync(file));
    expect(lines).toHaveLength(4096);
    expect(lines.every((l) => l.partial && l.content.length === 16384)).toBe(true);
    expect(Buffer.concat(lines.map((l) => l.content)).equals(noNewline)).toBe(true);
    expect(tee.equals(fs.readFileSync(file))).toBe(true);
  }, 60_000);

  test('half a million empty lines: as many F records, in order of time', () => {
    const file = path.join(dir, 'empty.log');
    logOnce(file, Buffer.alloc(500_000, 0x0a), LIMIT);
    const lines = parseLog(fs.readFileSync(file));
    expect(lines).toHaveLength(500_000);
    expect(lines.every((l) => !l.partial && l.content.length === 0)).toBe(true);
    for (let i = 1; i < lines.length; i += 9_973) expect(lines[i].time > lines[i - 1].time).toBe(true);
  }, 60_000);

  test('a usage error is an error, not a monitor that logs nowhere', () => {
    expect(() => logOnce('relative.log', Buffer.from('x\n'))).toThrow(
      /status 2: tspod-monitor: FILE must be an absolute path/,
    );
  });
});
