import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { LogPrinter, LogTail, loggedInstances, mergeByTime, selectInstance } from '../../../src/logs/reader.js';
import { formatLine, parseLog, type LogLine } from '../../../src/logs/cri-log.js';

const line = (time: string, text: string, o: Partial<LogLine> = {}): LogLine => ({
  time: `2026-01-01T00:00:${time}Z`,
  stream: 'stdout',
  partial: false,
  content: Buffer.from(text),
  ...o,
});
const texts = (lines: LogLine[]) => lines.map((l) => l.content.toString());

describe('which instance', () => {
  test('the current instance, else the latest with a log', () => {
    expect(selectInstance([0, 1, 2], 2, false)).toBe(2);
    expect(selectInstance([0, 1, 2], undefined, false)).toBe(2);
    expect(selectInstance([0, 1], 5, false)).toBe(1);
    expect(selectInstance([], undefined, false)).toBeUndefined();
  });

  test('--previous: the instance before the current one', () => {
    expect(selectInstance([0, 1, 2], 2, true)).toBe(1);
    expect(selectInstance([0, 2], 2, true)).toBe(0);
    expect(selectInstance([0], 0, true)).toBeUndefined();
    expect(selectInstance([0, 1, 2], 1, true)).toBe(0);
  });

  test('instances come from the file names, in numeric order', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-logs-'));
    fs.mkdirSync(path.join(dir, 'a'));
    for (const f of ['10.log', '2.log', '0.log', 'x.log', '3.log.tmp']) fs.writeFileSync(path.join(dir, 'a', f), '');
    expect(loggedInstances(dir, 'a')).toEqual([0, 2, 10]);
    expect(loggedInstances(dir, 'missing')).toEqual([]);
    fs.rmSync(dir, { recursive: true });
  });
});

describe('CRI lines', () => {
  test('parsed; a torn line is skipped', () => {
    const text = Buffer.concat([
      formatLine(line('01.000000001', 'hello world')),
      formatLine(line('01.5', 'oops', { stream: 'stderr' })),
      Buffer.from('2026-01-01T00:00:02Z std'),
    ]);
    expect(parseLog(text)).toEqual([line('01.000000001', 'hello world'), line('01.5', 'oops', { stream: 'stderr' })]);
  });

  test('containers merge by time', () => {
    const merged = mergeByTime([
      { container: 'a', lines: [line('01.1', 'a1'), line('03.1', 'a2')] },
      { container: 'b', lines: [line('02.1', 'b1'), line('04.1', 'b2')] },
    ]);
    expect(merged.map((m) => `${m.container}:${m.line.content}`)).toEqual(['a:a1', 'b:b1', 'a:a2', 'b:b2']);
  });

  test('printing: partial pieces join into one line, prefix and timestamp once per line', () => {
    const p = new LogPrinter({ prefix: true, timestamps: true });
    const out = Buffer.concat([
      p.format('a', line('01.1', 'abc', { partial: true })),
      p.format('b', line('01.2', 'other')),
      p.format('a', line('01.3', 'def')),
    ]);
    expect(out.toString()).toBe('[a] 2026-01-01T00:00:01.1Z abc[b] 2026-01-01T00:00:01.2Z other\ndef\n');
    const plain = new LogPrinter({ prefix: false, timestamps: false });
    expect(plain.format('a', line('01', 'x')).toString()).toBe('x\n');
    expect(plain.format('a', line('02', 'no newline at the end', { partial: true })).toString()).toBe(
      'no newline at the end',
    );
  });
});

describe('tailing a growing file', () => {
  test('only whole lines, each once, across appends that end mid-line and mid-character', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-tail-'));
    const file = path.join(dir, '0.log');
    const tail = new LogTail(file);
    expect(tail.read()).toEqual([]);
    const first = formatLine(line('01', 'één'));
    const bytes = Buffer.concat([first, formatLine(line('02', 'two'))]);
    const cut = first.length + 3;
    fs.writeFileSync(file, bytes.subarray(0, first.length - 3)); // ends inside "n\n" of "één"… mid-line
    expect(tail.read()).toEqual([]);
    fs.appendFileSync(file, bytes.subarray(first.length - 3, cut));
    expect(texts(tail.read())).toEqual(['één']);
    fs.appendFileSync(file, bytes.subarray(cut));
    expect(texts(tail.read())).toEqual(['two']);
    expect(tail.read()).toEqual([]);
    fs.rmSync(dir, { recursive: true });
  });
});
