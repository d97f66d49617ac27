/**
 * Log rotation: the writer (tspod-monitor, native/monitor.c) renames a full file aside and keeps
 * only the newest files; a reader (LogTail) that reads between writes, at any pace that keeps
 * within the kept files, sees every record exactly once, in order, across the rotations.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LogTail } from '../../../src/logs/reader.js';
import { logRotation, rotatedFiles } from '../../../src/logs/log-file.js';
import { PacedMonitor } from './monitor-run.js';

const line = (i: number, pad: number) => `line ${i} ${'x'.repeat(pad)}`;

describe('log rotation', () => {
  test('settings: defaults, suffixes, and errors naming the variable', () => {
    expect(logRotation({})).toEqual({ maxSize: 10 * 1024 * 1024, maxFiles: 5 });
    expect(logRotation({ TSPOD_LOG_MAX_SIZE: '64Ki', TSPOD_LOG_MAX_FILES: '2' })).toEqual({
      maxSize: 65536,
      maxFiles: 2,
    });
    expect(() => logRotation({ TSPOD_LOG_MAX_SIZE: '10MB' })).toThrow(/^TSPOD_LOG_MAX_SIZE: invalid value "10MB"/);
    expect(() => logRotation({ TSPOD_LOG_MAX_SIZE: '100' })).toThrow(/TSPOD_LOG_MAX_SIZE/);
    expect(() => logRotation({ TSPOD_LOG_MAX_FILES: '1' })).toThrow(/^TSPOD_LOG_MAX_FILES: invalid value "1"/);
  });

  test('a reader following the writer gets every record once, in order; at most maxFiles files stay', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-rotate-'));
    let run = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat(200), fc.boolean()), { minLength: 1, maxLength: 150 }),
          fc.integer({ min: 2, max: 4 }),
          async (writes, maxFiles) => {
            const file = path.join(dir, String(run++), '0.log');
            const log = new PacedMonitor(file, { maxSize: 1024, maxFiles });
            const tail = new LogTail(file);
            const seen: string[] = [];
            const expected: string[] = [];
            // Reading at least every ~1 KiB of writes stays within the kept files.
            for (const [i, [pad, readNow]] of writes.entries()) {
              await log.write(`${line(i, pad)}\n`);
              expected.push(line(i, pad));
              if (readNow || i % 4 === 3) seen.push(...tail.read().map((l) => l.content.toString()));
            }
            expect(await log.end()).toBe(0);
            seen.push(...tail.read().map((l) => l.content.toString()));
            tail.close();
            expect(seen).toEqual(expected);
            expect(rotatedFiles(file).length).toBeLessThanOrEqual(maxFiles - 1);
            // Never past the limit: rotation comes before the record that would not fit.
            for (const f of [file, ...rotatedFiles(file)]) expect(fs.statSync(f).size).toBeLessThanOrEqual(1024);
            expect(log.told).toEqual([]);
            // A reader that starts late reads the kept files whole: the newest records, contiguous.
            const late = new LogTail(file);
            const kept = late.read().map((l) => l.content.toString());
            late.close();
            expect(kept).toEqual(expected.slice(expected.length - kept.length));
          },
        ),
        { numRuns: 30 },
      );
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
    // Thirty runs of up to 150 paced writes and reads on a real filesystem: seconds on a busy machine.
  }, 60_000);

  test('rotated files are named <file>.<UTC stamp>, hold whole records and only the newest are kept', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-rotate-'));
    try {
      const file = path.join(dir, '0.log');
      const log = new PacedMonitor(file, { maxSize: 1024, maxFiles: 3 });
      for (let i = 0; i < 100; i++) await log.write(`${line(i, 60)}\n`);
      expect(await log.end()).toBe(0);
      const rotated = rotatedFiles(file);
      expect(rotated.map((f) => path.basename(f))).toEqual([
        expect.stringMatching(/^0\.log\.\d{8}-\d{6}\.\d{9}$/),
        expect.stringMatching(/^0\.log\./),
      ]);
      const kept = new LogTail(file);
      const lines = kept.read().map((l) => l.content.toString());
      kept.close();
      // 100 records of about 110 bytes in files of at most 1 KiB: the last three files' worth.
      expect(lines.length).toBeGreaterThan(9 * 2);
      expect(lines).toEqual(Array.from({ length: 100 }, (_, i) => line(i, 60)).slice(100 - lines.length));
      for (const f of rotated) expect(fs.readFileSync(f).at(-1)).toBe(0x0a);
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });
});
