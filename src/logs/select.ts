/**
 * Which lines `tspod logs` shows, as `kubectl logs` chooses them: `--since 5m` (a Go duration) or
 * `--since-time` (RFC 3339) keep the records written at or after that time; `--tail N` keeps the
 * last N lines of each container. A line may be several CRI records (`P` pieces, then the `F` that
 * ends it), so tails count lines, not records, and never start inside a line. Pure.
 */
import { rfc3339Nano, type LogLine } from './cri-log.js';
import { groups, nth } from '../checked.js';

const UNITS = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`300ms`, `5s`, `2m`, `1h30m`, `1.5h`) in milliseconds; undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) return text === '0' ? 0 : undefined;
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    const [n, unit] = groups(m, 1, 2);
    ms += Number(n) * UNITS[unit as keyof typeof UNITS]; // the pattern allows only these units
  }
  return ms;
}

/** An RFC 3339 time (`2026-12-02T01:00:00Z`, with a fraction or an offset) as nanoseconds since the epoch. */
export function parseRfc3339(text: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i.exec(text);
  if (!m) return undefined;
  const [time, zone] = groups(m, 1, 3);
  const secs = Date.parse(`${time}${zone.toUpperCase()}`);
  if (Number.isNaN(secs)) return undefined;
  return BigInt(secs) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** The records at or after `sinceNs` (CRI times have nine digits and sort as text). */
export function since(lines: LogLine[], sinceNs: bigint | undefined): LogLine[] {
  if (sinceNs === undefined) return lines;
  const from = rfc3339Nano(sinceNs);
  return lines.filter((l) => l.time >= from);
}

/** The records of the last `n` lines (a trailing unfinished line counts as one). */
export function tail(lines: LogLine[], n: number | undefined): LogLine[] {
  if (n === undefined || n < 0) return lines;
  let count = 0;
  let i = lines.length;
  // Walk back over whole lines: a line is its P pieces and the F after them.
  while (i > 0) {
    let j = i - 1;
    while (j > 0 && nth(lines, j - 1).partial) j--;
    if (count === n) break;
    count++;
    i = j;
  }
  return lines.slice(i);
}
