/**
 * Container logs in the CRI format, the one the kubelet and `crictl logs` read:
 *
 *     2026-11-27T07:30:00.123456789Z stdout F hello
 *
 * one record per piece of output: the time it was read (RFC 3339 with nanoseconds), the stream,
 * `F` for a piece that ends a line or `P` for a partial one (a line longer than the split size, or
 * the last bytes before the stream closed without a newline), a space, then the bytes exactly as the
 * container wrote them (CR, NUL and bytes that are not UTF-8 included; only the line's own `\n` is
 * taken out, as the record's end). Everything here works on Buffers: a log is bytes, not text.
 * Pure formatting and parsing; native/monitor.c writes, reader.ts reads.
 */
export type Stream = 'stdout' | 'stderr';

export interface LogLine {
  time: string;
  stream: Stream;
  partial: boolean;
  /** the container's bytes, without the record's newline */
  content: Buffer;
}

const NL = 0x0a;
const SP = 0x20;

/** `2026-11-27T07:30:00.123456789Z`: nanoseconds since the epoch, always nine digits (sorts as text). */
export function rfc3339Nano(ns: bigint): string {
  const secs = ns / 1_000_000_000n;
  const iso = new Date(Number(secs) * 1000).toISOString(); // 2026-11-27T07:30:00.000Z
  return `${iso.slice(0, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`;
}

/** One record, for tests and tools that write a single line. */
export function formatLine(l: LogLine): Buffer {
  const head = Buffer.from(`${l.time} ${l.stream} ${l.partial ? 'P' : 'F'} `, 'latin1');
  return Buffer.concat([head, l.content, Buffer.from([NL])]);
}

/** One record without its newline; undefined when it is not a CRI record. */
export function parseLine(rec: Buffer): LogLine | undefined {
  const s1 = rec.indexOf(SP);
  if (s1 <= 0) return undefined;
  const s2 = rec.indexOf(SP, s1 + 1);
  if (s2 < 0 || rec[s2 + 2] !== SP) return undefined;
  const stream = rec.toString('latin1', s1 + 1, s2);
  const tag = rec[s2 + 1];
  if ((stream !== 'stdout' && stream !== 'stderr') || (tag !== 0x46 && tag !== 0x50)) return undefined;
  return { time: rec.toString('latin1', 0, s1), stream, partial: tag === 0x50, content: rec.subarray(s2 + 3) };
}

/**
 * Every record of a CRI log's bytes. Only records that end with a newline count: the writer
 * appends whole records, so bytes after the last newline are a torn write (or one still under way).
 */
export function parseLog(data: Buffer): LogLine[] {
  const out: LogLine[] = [];
  let start = 0;
  for (let nl = data.indexOf(NL); nl >= 0; nl = data.indexOf(NL, start)) {
    const l = parseLine(data.subarray(start, nl));
    if (l) out.push(l);
    start = nl + 1;
  }
  return out;
}
