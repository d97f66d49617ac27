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
import { parseLog, type LogLine, type Stream } from './cri-log.js';
import { rotatedFiles } from './log-file.js';

/** Instance numbers with a log file for `container`, ascending. */
export function loggedInstances(logsDir: string, container: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(logsDir, container));
  } catch {
    return [];
  }
  return names
    .map((n) => /^(\d+)\.log$/.exec(n))
    .filter((m) => m !== null)
    .map((m) => Number(m![1]))
    .sort((a, b) => a - b);
}

/**
 * Which instance's log to show. `current` is the state's instance number of the container (the
 * running one, or the last started); undefined when it never started.
 */
export function selectInstance(
  instances: number[],
  current: number | undefined,
  previous: boolean,
): number | undefined {
  const latest = current !== undefined && instances.includes(current) ? current : instances.at(-1);
  if (latest === undefined) return undefined;
  if (!previous) return latest;
  return instances.filter((n) => n < latest).at(-1);
}

/** Merge the lines of several containers in time order (RFC 3339 UTC with fixed digits sorts as text). */
export function mergeByTime(logs: { container: string; lines: LogLine[] }[]): { container: string; line: LogLine }[] {
  const all = logs.flatMap((l) => l.lines.map((line, i) => ({ container: l.container, line, i })));
  all.sort((a, b) => (a.line.time < b.line.time ? -1 : a.line.time > b.line.time ? 1 : 0));
  return all.map(({ container, line }) => ({ container, line }));
}

/** Turns CRI records into output bytes: `[NAME] ` prefixes, timestamps, `P` pieces joined. */
export class LogPrinter {
  /** containers whose last piece was partial (the next piece continues the same line) */
  private readonly midLine = new Set<string>();

  /** `prefix`: true for `[NAME] `, or what to put before each line of a container */
  constructor(
    private readonly o: { prefix: boolean | ((container: string) => string) | undefined; timestamps: boolean },
  ) {}

  format(container: string, l: LogLine): Buffer {
    let head = '';
    if (!this.midLine.has(container)) {
      if (typeof this.o.prefix === 'function') head += this.o.prefix(container);
      else if (this.o.prefix) head += `[${container}] `;
      if (this.o.timestamps) head += `${l.time} `;
    }
    if (l.partial) this.midLine.add(container);
    else this.midLine.delete(container);
    return Buffer.concat([Buffer.from(head), l.content, l.partial ? EMPTY : NEWLINE]);
  }

  /** Several records as one Buffer (one write for a whole batch). */
  formatAll(lines: { container: string; line: LogLine }[]): Buffer {
    return Buffer.concat(lines.map(({ container, line }) => this.format(container, line)));
  }
}

const EMPTY = Buffer.alloc(0);
const NEWLINE = Buffer.from('\n');

/**
 * The foreground `tspod run` printer: `NAME | ` before each line of a container's output, on the
 * stream the container wrote it to, the bytes unchanged. A piece that continues a line (after a
 * `P` piece of the same container and stream) gets no second prefix.
 */
export function prefixedPrinter(
  write: (stream: Stream, bytes: Buffer) => void,
): (container: string, stream: Stream, content: Buffer, partial: boolean) => void {
  const midLine = new Set<string>();
  return (container, stream, content, partial) => {
    const key = `${stream}/${container}`;
    const head = midLine.has(key) ? EMPTY : Buffer.from(`${container} | `);
    if (partial) midLine.add(key);
    else midLine.delete(key);
    write(stream, Buffer.concat([head, content, partial ? EMPTY : NEWLINE]));
  };
}

/**
 * Reads a container instance's log from where it left off, across rotation (log-file.ts):
 * first the rotated files, oldest first, then the current file, held open. When the name points to
 * a new file (the writer rotated), the held file is read to its end, then the rotated files newer
 * than it, then the new one. The writer renames before it opens the new file and rotates only
 * between whole records, so no line is lost or repeated (unless more rotations than the kept files
 * pass between two reads: those files are gone). Only whole lines come out: a read may still catch
 * the end of the file mid-line.
 */
export class LogTail {
  private fd?: number;
  private ino?: number;
  private offset = 0;
  /** bytes after the last newline read so far (kept as bytes: they may end inside a character) */
  private rest: Buffer = Buffer.alloc(0);

  constructor(readonly file: string) {}

  /** The lines appended since the last call (none while the file does not exist yet). */
  read(): LogLine[] {
    const chunks: Buffer[] = [this.rest];
    if (this.fd === undefined && !this.switchToCurrent(chunks)) return [];
    chunks.push(this.drain());
    while (inodeOf(this.file) !== undefined && inodeOf(this.file) !== this.ino) {
      chunks.push(this.drain());
      this.switchToCurrent(chunks);
      chunks.push(this.drain());
    }
    const data = Buffer.concat(chunks);
    const cut = data.lastIndexOf(0x0a) + 1;
    this.rest = Buffer.from(data.subarray(cut));
    return parseLog(data.subarray(0, cut));
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  /**
   * Open the file now under the name; before it, the rotated files between the one held (or the
   * first, when none is held) and it. Opened first, listed after: a rotation in between shows.
   */
  private switchToCurrent(chunks: Buffer[]): boolean {
    let fd: number;
    try {
      fd = fs.openSync(this.file, 'r');
    } catch {
      return false;
    }
    const ino = fs.fstatSync(fd).ino;
    const rotated = rotatedFiles(this.file).map((f) => ({ f, ino: inodeOf(f) }));
    const from = this.ino === undefined ? 0 : rotated.findIndex((r) => r.ino === this.ino) + 1;
    const to = rotated.findIndex((r) => r.ino === ino);
    for (const r of rotated.slice(from, to < 0 ? undefined : to)) chunks.push(readOrEmpty(r.f));
    this.close();
    Object.assign(this, { fd, ino, offset: 0 });
    return true;
  }

  /** What the held file has beyond the offset. */
  private drain(): Buffer {
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = fs.readSync(this.fd!, buf, 0, buf.length, this.offset);
      if (n <= 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
      this.offset += n;
    }
    return Buffer.concat(chunks);
  }
}

function inodeOf(file: string): number | undefined {
  try {
    return fs.statSync(file).ino;
  } catch {
    return undefined;
  }
}

function readOrEmpty(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch {
    return Buffer.alloc(0); // dropped by a later rotation meanwhile
  }
}
