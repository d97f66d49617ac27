import { describe, expect, test } from 'vitest';
import { sinceOf } from '../../../src/cli/logs.js';
import type { LogLine } from '../../../src/logs/cri-log.js';
import { parseDuration, parseRfc3339, since, tail } from '../../../src/logs/select.js';

const rec = (time: string, text: string, partial = false): LogLine => ({
  time,
  stream: 'stdout',
  partial,
  content: Buffer.from(text),
});

describe('durations and times, as kubectl reads --since and --since-time', () => {
  test.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['250ms', 250],
    ['0', 0],
    ['2h3m4s', 7_384_000],
  ])('%s → %i ms', (t, ms) => {
    expect(parseDuration(t)).toBe(ms);
  });
  test.each(['5', '5x', '', 'm', '-5s', '1d'])('%j is not a duration', (t) => {
    expect(parseDuration(t)).toBeUndefined();
  });
  test('RFC 3339, with a fraction or an offset, to nanoseconds', () => {
    expect(parseRfc3339('2026-01-01T00:00:00Z')).toBe(BigInt(Date.parse('2026-01-01T00:00:00Z')) * 1_000_000n);
    expect(parseRfc3339('2026-01-01T00:00:00.000000123Z')! - parseRfc3339('2026-01-01T00:00:00Z')!).toBe(123n);
    expect(parseRfc3339('2026-01-01T02:00:00+02:00')).toBe(parseRfc3339('2026-01-01T00:00:00Z'));
    expect(parseRfc3339('yesterday')).toBeUndefined();
    expect(parseRfc3339('2026-01-01')).toBeUndefined();
  });
  test('--since is measured back from now; both at once, or a bad one, is a usage error', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    expect(sinceOf({ since: '10m' }, now)).toBe(parseRfc3339('2026-01-01T00:00:00Z'));
    expect(sinceOf({}, now)).toBeUndefined();
    expect(() => sinceOf({ since: '1m', sinceTime: '2026-01-01T00:00:00Z' })).toThrow(/at most one/);
    expect(() => sinceOf({ since: 'soon' })).toThrow(/--since "soon"/);
    expect(() => sinceOf({ sinceTime: 'x' })).toThrow(/--since-time "x"/);
  });
});

describe('which records', () => {
  const lines = [
    rec('2026-01-01T00:00:01.000000000Z', 'one'),
    rec('2026-01-01T00:00:02.000000000Z', 'two-a', true),
    rec('2026-01-01T00:00:02.000000001Z', 'two-b'),
    rec('2026-01-01T00:00:03.000000000Z', 'three', true),
  ];
  const text = (ls: LogLine[]) => ls.map((l) => l.content.toString());

  test('--tail counts lines, never starts inside one, and counts an unfinished last line', () => {
    expect(text(tail(lines, 1))).toEqual(['three']);
    expect(text(tail(lines, 2))).toEqual(['two-a', 'two-b', 'three']);
    expect(text(tail(lines, 9))).toEqual(['one', 'two-a', 'two-b', 'three']);
    expect(tail(lines, 0)).toEqual([]);
    expect(tail(lines, -1)).toBe(lines);
  });

  test('--since keeps the records at or after the time, to the nanosecond', () => {
    expect(text(since(lines, parseRfc3339('2026-01-01T00:00:02.000000001Z')))).toEqual(['two-b', 'three']);
    expect(since(lines, undefined)).toBe(lines);
  });
});
