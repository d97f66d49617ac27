/**
 * Container logs in the CRI format, the one the kubelet and `crictl logs` read:
 *
 *     2026-11-27T07:30:00.123456789Z stdout F hello
 *
 * one line per line of output: time (RFC 3339 with nanoseconds), stream, `F` for a full line or `P`
 * for a partial one (a line longer than the buffer, or the last bytes before the stream closed
 * without a newline), then the text. Pure formatting and parsing; supervisor/logs.ts writes, reader.ts reads.
 */
export type Stream = 'stdout' | 'stderr';

export interface LogLine {
  time: string;
  stream: Stream;
  partial: boolean;
  text: string;
}

/** RFC 3339 with nanoseconds, from a millisecond clock plus a sub-millisecond counter. */
export function rfc3339Nano(ms: number, extraNanos = 0): string {
  const iso = new Date(ms).toISOString(); // 2026-11-27T07:30:00.123Z
  return `${iso.slice(0, 23)}${String(extraNanos).padStart(6, '0')}Z`;
}

export function formatLine(l: LogLine): string {
  return `${l.time} ${l.stream} ${l.partial ? 'P' : 'F'} ${l.text}\n`;
}

export function parseLine(line: string): LogLine | undefined {
  const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/.exec(line);
  if (!m) return undefined;
  return { time: m[1], stream: m[2] as Stream, partial: m[3] === 'P', text: m[4] };
}

/** Every well-formed line of a CRI log file's text. */
export function parseLog(text: string): LogLine[] {
  return text.split('\n').filter(Boolean).map(parseLine).filter((l): l is LogLine => l !== undefined);
}

/** Splits a byte stream into lines; lines longer than `max` come out in `partial` pieces. */
export class LineSplitter {
  private buf = '';

  constructor(private readonly max = 16 * 1024) {}

  push(chunk: string): { text: string; partial: boolean }[] {
    this.buf += chunk;
    const out: { text: string; partial: boolean }[] = [];
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      out.push(...this.pieces(this.buf.slice(0, nl)));
      this.buf = this.buf.slice(nl + 1);
    }
    while (this.buf.length > this.max) {
      out.push({ text: this.buf.slice(0, this.max), partial: true });
      this.buf = this.buf.slice(this.max);
    }
    return out;
  }

  /** The rest, when the stream ends: a partial line if it did not end with a newline. */
  end(): { text: string; partial: boolean }[] {
    const rest = this.buf;
    this.buf = '';
    return rest ? [{ text: rest, partial: true }] : [];
  }

  private pieces(line: string): { text: string; partial: boolean }[] {
    const out: { text: string; partial: boolean }[] = [];
    while (line.length > this.max) {
      out.push({ text: line.slice(0, this.max), partial: true });
      line = line.slice(this.max);
    }
    out.push({ text: line, partial: false });
    return out;
  }
}
