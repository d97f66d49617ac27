/**
 * Reading container logs back, as `kubectl logs` does: the supervisor writes one CRI log file per
 * container instance (`<root>/pods/<pod>/logs/<container>/<instance>.log`, see
 * logs/cri-log.ts), and a restart starts a new file. "The logs of a container" are those of
 * its current instance (the running one, or the one that ended last); `--previous` are those of the
 * instance before it.
 *
 * A CRI line is one piece of output: `F` ends a line, `P` is a piece that continues (a line longer
 * than the supervisor's buffer, or output that ended without a newline), so the printer joins `P`
 * pieces and writes the newline only at an `F`. Pure, except for listing and reading the files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseLog, type LogLine } from './cri-log.js';

/** Instance numbers with a log file for `container`, ascending. */
export function loggedInstances(logsDir: string, container: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(logsDir, container));
  } catch {
    return [];
  }
  return names.map((n) => /^(\d+)\.log$/.exec(n)).filter((m) => m !== null).map((m) => Number(m![1])).sort((a, b) => a - b);
}

/**
 * Which instance's log to show. `current` is the state's instance number of the container (the
 * running one, or the last started); undefined when it never started.
 */
export function selectInstance(instances: number[], current: number | undefined, previous: boolean): number | undefined {
  const latest = current !== undefined && instances.includes(current) ? current : instances.at(-1);
  if (latest === undefined) return undefined;
  if (!previous) return latest;
  return instances.filter((n) => n < latest).at(-1);
}

/** Parse a log file's text; lines that are not CRI lines (a torn last write) are skipped. */

/** Merge the lines of several containers in time order (RFC 3339 UTC with fixed digits sorts as text). */
export function mergeByTime(logs: { container: string; lines: LogLine[] }[]): { container: string; line: LogLine }[] {
  const all = logs.flatMap((l) => l.lines.map((line, i) => ({ container: l.container, line, i })));
  all.sort((a, b) => (a.line.time < b.line.time ? -1 : a.line.time > b.line.time ? 1 : 0));
  return all.map(({ container, line }) => ({ container, line }));
}

/** Turns CRI lines into output text: `[NAME] ` prefixes, timestamps, `P` pieces joined. */
export class LogPrinter {
  /** containers whose last piece was partial (the next piece continues the same line) */
  private readonly midLine = new Set<string>();

  constructor(private readonly o: { prefix: boolean; timestamps: boolean }) {}

  format(container: string, l: LogLine): string {
    let out = '';
    if (!this.midLine.has(container)) {
      if (this.o.prefix) out += `[${container}] `;
      if (this.o.timestamps) out += `${l.time} `;
    }
    out += l.text;
    if (l.partial) {
      this.midLine.add(container);
    } else {
      this.midLine.delete(container);
      out += '\n';
    }
    return out;
  }
}

/**
 * Reads a growing log file from where it left off: only whole lines come out (the writer appends
 * one whole CRI line per write, but a read may still catch the end of the file mid-line).
 */
export class LogTail {
  private offset = 0;
  /** bytes after the last newline read so far (kept as bytes: they may end inside a character) */
  private rest: Buffer = Buffer.alloc(0);

  constructor(readonly file: string) {}

  /** The lines appended since the last call (none when the file does not exist yet). */
  read(): LogLine[] {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch {
      return [];
    }
    try {
      const chunks: Buffer[] = [this.rest];
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) break;
        chunks.push(Buffer.from(buf.subarray(0, n)));
        this.offset += n;
      }
      const data = Buffer.concat(chunks);
      const cut = data.lastIndexOf(0x0a) + 1;
      this.rest = data.subarray(cut);
      return parseLog(data.subarray(0, cut).toString('utf8'));
    } finally {
      fs.closeSync(fd);
    }
  }
}
