/**
 * A container's bytes survive the CRI log: whatever a stream delivers (CR, LF, NUL, bytes that are
 * not UTF-8, lines longer than the split size), the file tspod-monitor writes, read back by the
 * reader, prints exactly those bytes, so does its tee (the foreground terminal), and every
 * record's time is the read time, strictly increasing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseLog, rfc3339Nano, type LogLine } from '../../../src/logs/cri-log.js';
import { LogPrinter, LogTail, prefixedPrinter } from '../../../src/logs/reader.js';
import { logOnce, PacedMonitor } from './monitor-run.js';

/** the monitor's split size (containerd's) */
const SPLIT = 16 * 1024;

/** Bytes a stream may deliver, biased towards the troublesome ones. */
const troublesome = fc.oneof(
  fc.constantFrom(...[0x0a, 0x0d, 0x00, 0xff, 0xfe, 0xc3, 0x80, 0x20].map((b) => new Uint8Array([b]))),
  fc.constant(new Uint8Array([0x0d, 0x0a])),
  fc.uint8Array({ maxLength: 20 }),
  // around the split size, without newlines: the cuts at exactly SPLIT, SPLIT+1, 2*SPLIT...
  fc.integer({ min: SPLIT - 2, max: SPLIT + 2 }).map((n) => Buffer.alloc(n, 0x41)),
  fc.uint8Array({ minLength: 1, maxLength: 200 }).map((a) => a.map((b) => (b === 0x0a ? 0x41 : b))),
);
const chunk = fc.array(troublesome, { maxLength: 6 }).map((parts) => Buffer.concat(parts));
const chunks = fc.array(chunk, { maxLength: 12 });

let dir: string;
let runs = 0;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-roundtrip-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true }));

/** Write `chunks` as one stream through tspod-monitor; the file's bytes and what the tee printed. */
function write(chunks: Buffer[]): { file: Buffer; sunk: Buffer } {
  const f = path.join(dir, String(runs++), '0.log');
  const { tee } = logOnce(f, Buffer.concat(chunks));
  const sunk: Buffer[] = [];
  const print = prefixedPrinter((_stream, bytes) => sunk.push(bytes));
  for (const l of parseLog(tee)) print('c', l.stream, l.content, l.partial);
  const file = fs.readFileSync(f);
  fs.rmSync(path.dirname(f), { recursive: true });
  return { file, sunk: Buffer.concat(sunk) };
}

function print(lines: LogLine[]): Buffer {
  const p = new LogPrinter({ prefix: false, timestamps: false });
  return p.formatAll(lines.map((line) => ({ container: 'c', line })));
}

/** The sink's output without its `c | ` prefixes (each line of the output starts with one). */
function unprefix(sunk: Buffer): Buffer {
  const out: Buffer[] = [];
  let start = 0;
  while (start < sunk.length) {
    expect(sunk.subarray(start, start + 4).toString('latin1')).toBe('c | ');
    const nl = sunk.indexOf(0x0a, start);
    const end = nl < 0 ? sunk.length : nl + 1;
    out.push(sunk.subarray(start + 4, end));
    start = end;
  }
  return Buffer.concat(out);
}

describe('round trip through the CRI log', () => {
  test('the printed log, and the foreground output, are the bytes written', () => {
    fc.assert(
      fc.property(chunks, (cs) => {
        const { file, sunk } = write(cs);
        const written = Buffer.concat(cs);
        const lines = parseLog(file);
        expect(print(lines).equals(written)).toBe(true);
        expect(unprefix(sunk).equals(written)).toBe(true);
        // Every record holds at most SPLIT bytes and no newline; P only where a line goes on.
        for (const l of lines) {
          expect(l.content.length).toBeLessThanOrEqual(SPLIT);
          expect(l.content.includes(0x0a)).toBe(false);
        }
      }),
      { numRuns: 60 },
    );
  });

  test('read back incrementally from a growing file, cut anywhere, each record comes once', () => {
    {
      let n = 0;
      fc.assert(
        fc.property(chunks, fc.array(fc.nat(), { maxLength: 6 }), (cs, cuts) => {
          const { file } = write(cs);
          const at = [...new Set(cuts.map((c) => c % (file.length + 1)))].sort((a, b) => a - b);
          const f = path.join(dir, `${n++}.log`);
          fs.writeFileSync(f, '');
          const tail = new LogTail(f);
          const got: LogLine[] = [];
          let prev = 0;
          for (const cut of [...at, file.length]) {
            fs.appendFileSync(f, file.subarray(prev, cut));
            prev = cut;
            got.push(...tail.read());
          }
          expect(print(got).equals(Buffer.concat(cs))).toBe(true);
        }),
        { numRuns: 60 },
      );
    }
  });

  test('a line longer than 16 KiB is split into P records and joined again', () => {
    const long = Buffer.alloc(40 * 1024 + 5, 0x78);
    const { file } = write([long.subarray(0, 1000), long.subarray(1000), Buffer.from('\r\n')]);
    const lines = parseLog(file);
    expect(lines.map((l) => [l.content.length, l.partial])).toEqual([
      [16384, true],
      [16384, true],
      [40 * 1024 + 5 - 32768 + 1, false],
    ]);
    expect(print(lines).equals(Buffer.concat([long, Buffer.from('\r\n')]))).toBe(true);
  });

  test('a last line without a newline stays without one', () => {
    const { file } = write([Buffer.from('one\r\ntwo\nthr'), Buffer.from('ee')]);
    const lines = parseLog(file);
    expect(lines.map((l) => [l.content.toString(), l.partial])).toEqual([
      ['one\r', false],
      ['two', false],
      ['three', true],
    ]);
    expect(print(lines).toString()).toBe('one\r\ntwo\nthree');
  });
});

describe('record times', () => {
  test('the read time in nanoseconds, strictly increasing within a stream', async () => {
    // Written one read at a time: the records of one read are 1 ns apart, the next read's later.
    const f = path.join(dir, 'times', '0.log');
    const before = Date.now();
    const m = new PacedMonitor(f);
    for (let i = 0; i < 200; i++) await m.write(`${i}\n${i}\n`);
    expect(await m.end()).toBe(0);
    const after = Date.now();
    const file = fs.readFileSync(f);
    const times = parseLog(file).map((l) => l.time);
    expect(times).toHaveLength(400);
    for (const t of times) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    for (let i = 1; i < times.length; i++) expect(times[i] > times[i - 1]).toBe(true);
    expect(Date.parse(times[0])).toBeGreaterThanOrEqual(before);
    expect(Date.parse(times.at(-1)!)).toBeLessThanOrEqual(after + 1);
    // Not a counter in the sub-millisecond digits: the digits below the millisecond vary.
    expect(new Set(times.map((t) => t.slice(23, 29))).size).toBeGreaterThan(10);
  });

  test('rfc3339Nano keeps all nine digits', () => {
    expect(rfc3339Nano(1_764_000_000_123_456_789n)).toBe('2025-11-24T16:00:00.123456789Z');
    expect(rfc3339Nano(1_764_000_000_000_000_001n)).toBe('2025-11-24T16:00:00.000000001Z');
  });
});
