/**
 * Log rotation: the writer (logs/log-file.ts) renames a full file aside and keeps only the
 * newest files; a reader (LogTail) that reads between writes, at any pace that keeps within the kept
 * files, sees every record exactly once, in order, across the rotations.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { formatLine } from '../../../src/logs/cri-log.js';
import { LogTail } from '../../../src/logs/reader.js';
import { LogFile, logRotation, rotatedFiles } from '../../../src/logs/log-file.js';

const record = (i: number, pad: number) => formatLine({ time: '2026-01-01T00:00:00.000000000Z', stream: 'stdout', partial: false, content: Buffer.from(`line ${i} ${'x'.repeat(pad)}`) });

describe('log rotation', () => {
  test('settings: defaults, suffixes, and errors naming the variable', () => {
    expect(logRotation({})).toEqual({ maxSize: 10 * 1024 * 1024, maxFiles: 5 });
    expect(logRotation({ TSPOD_LOG_MAX_SIZE: '64Ki', TSPOD_LOG_MAX_FILES: '2' })).toEqual({ maxSize: 65536, maxFiles: 2 });
    expect(() => logRotation({ TSPOD_LOG_MAX_SIZE: '10MB' })).toThrow(/^TSPOD_LOG_MAX_SIZE: invalid value "10MB"/);
    expect(() => logRotation({ TSPOD_LOG_MAX_SIZE: '100' })).toThrow(/TSPOD_LOG_MAX_SIZE/);
    expect(() => logRotation({ TSPOD_LOG_MAX_FILES: '1' })).toThrow(/^TSPOD_LOG_MAX_FILES: invalid value "1"/);
  });

  test('a reader following the writer gets every record once, in order; at most maxFiles files stay', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-rotate-'));
    let run = 0;
    try {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(200), fc.boolean()), { minLength: 1, maxLength: 300 }), fc.integer({ min: 2, max: 4 }), (writes, maxFiles) => {
          const file = path.join(dir, String(run++), '0.log');
          const log = new LogFile(file, { maxSize: 1024, maxFiles });
          const tail = new LogTail(file);
          const seen: string[] = [];
          const expected: string[] = [];
          // Reading at least every ~1 KiB of writes stays within the kept files.
          writes.forEach(([pad, readNow], i) => {
            log.append(record(i, pad));
            expected.push(`line ${i} ${'x'.repeat(pad)}`);
            if (readNow || i % 4 === 3) seen.push(...tail.read().map((l) => l.content.toString()));
          });
          seen.push(...tail.read().map((l) => l.content.toString()));
          log.close();
          tail.close();
          expect(seen).toEqual(expected);
          expect(rotatedFiles(file).length).toBeLessThanOrEqual(maxFiles - 1);
          for (const f of [file, ...rotatedFiles(file)]) expect(fs.statSync(f).size).toBeLessThanOrEqual(1024 + 300);
          // A reader that starts late reads the kept files whole: the newest records, contiguous.
          const late = new LogTail(file);
          const kept = late.read().map((l) => l.content.toString());
          late.close();
          expect(kept).toEqual(expected.slice(expected.length - kept.length));
        }),
        { numRuns: 100 },
      );
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
    // A hundred runs of up to 300 writes and reads on a real filesystem: seconds on a busy machine.
  }, 60_000);
});
