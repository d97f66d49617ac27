/**
 * Faults at the log write: ENOSPC, EIO and a short write (a disk that fills in the middle of a
 * write) never throw out of the writer. The records are dropped and counted, a torn record is cut
 * back, the first failure and the count are reported, and writing goes on once it works again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { formatLine, parseLog } from '../../../src/logs/cri-log.js';
import { LogFile } from '../../../src/logs/log-file.js';

const rec = (text: string) => formatLine({ time: '2026-01-01T00:00:00.000000000Z', stream: 'stdout', partial: false, content: Buffer.from(text) });
const fault = (code: string) => Object.assign(new Error(`${code}: injected, write`), { code, syscall: 'write' });

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-logfault-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true }));

describe('log write faults', () => {
  for (const code of ['ENOSPC', 'EIO', 'EPIPE']) {
    test(`${code}: lines dropped and counted, reported once, writing resumes`, () => {
      const file = path.join(dir, '0.log');
      const told: string[] = [];
      let failing = false;
      const log = new LogFile(file, { maxSize: 1 << 20, maxFiles: 2 }, {
        onTrouble: (m) => told.push(m),
        write: (fd, data) => {
          if (failing) throw fault(code);
          return fs.writeSync(fd, data);
        },
      });
      log.append(rec('before'));
      failing = true;
      log.append(Buffer.concat([rec('lost 1'), rec('lost 2')]));
      log.append(rec('lost 3'));
      failing = false;
      log.append(rec('after'));
      log.close();
      expect(parseLog(fs.readFileSync(file)).map((l) => l.content.toString())).toEqual(['before', 'after']);
      expect(told).toHaveLength(2);
      expect(told[0]).toMatch(new RegExp(`writing .*0\\.log failed \\(${code}: .*dropping log lines`));
      expect(told[1]).toMatch(/^3 log lines \(\d+ bytes\) dropped from .*0\.log while writes failed/);
    });
  }

  test('a short write (the disk filled mid-write) is cut back to the last whole record', () => {
    const file = path.join(dir, '0.log');
    const told: string[] = [];
    let short = false;
    const log = new LogFile(file, { maxSize: 1 << 20, maxFiles: 2 }, {
      onTrouble: (m) => told.push(m),
      write: (fd, data) => fs.writeSync(fd, short ? data.subarray(0, 10) : data),
    });
    log.append(rec('one'));
    short = true;
    log.append(rec('torn'));
    short = false;
    log.append(rec('two'));
    log.close();
    const bytes = fs.readFileSync(file);
    expect(bytes.equals(Buffer.concat([rec('one'), rec('two')]))).toBe(true);
    expect(told[1]).toMatch(/^1 log lines/);
  });

  test('still failing at close: the count is reported then', () => {
    const file = path.join(dir, '0.log');
    const told: string[] = [];
    const log = new LogFile(file, { maxSize: 1 << 20, maxFiles: 2 }, { onTrouble: (m) => told.push(m), write: () => { throw fault('ENOSPC'); } });
    log.append(rec('x'));
    log.append(rec('y'));
    log.close();
    expect(told.map((m) => m.split(' ')[0])).toEqual(['writing', '2']);
  });

  test('a file that cannot be opened (ENOSPC) drops lines instead of throwing, and is opened at the next write', () => {
    const file = path.join(dir, '0.log');
    const told: string[] = [];
    let failing = true;
    const log = new LogFile(file, { maxSize: 1 << 20, maxFiles: 2 }, {
      onTrouble: (m) => told.push(m),
      open: (f) => {
        if (failing) throw Object.assign(new Error(`ENOSPC: injected, open '${f}'`), { code: 'ENOSPC', syscall: 'open' });
        return fs.openSync(f, 'a');
      },
    });
    log.append(rec('lost'));
    failing = false;
    log.append(rec('kept'));
    log.close();
    expect(parseLog(fs.readFileSync(file)).map((l) => l.content.toString())).toEqual(['kept']);
    expect(told[0]).toMatch(/failed \(ENOSPC: .*dropping log lines/);
    expect(told[1]).toMatch(/^1 log lines .* dropped/);
  });
});
