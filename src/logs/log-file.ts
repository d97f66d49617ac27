/**
 * A container instance's log file, rotated as the kubelet rotates container logs: when the next
 * write would take `<n>.log` past the size limit, it is renamed `<n>.log.<UTC time>` and a new
 * `<n>.log` is started; of the rotated files only the newest `maxFiles - 1` are kept (the limit
 * counts the current file, as the kubelet's containerLogMaxFiles does). Rotation happens only
 * between two writes and every write is whole records, so each file ends at a record boundary and a
 * reader (logs/reader.ts) can go from one file to the next without losing or repeating a line.
 * Unlike the kubelet, rotated files are not compressed.
 *
 * A write that fails (ENOSPC on a full disk, EIO) never stops the container or the supervisor:
 * the records are dropped and counted, a short write is cut back to the last whole record (the
 * file never holds a torn record in its middle), the first failure is reported at once and the
 * count when writes succeed again or the file is closed. A file that cannot even be opened (a new
 * instance's log on a full disk) is the same: its lines are dropped, and it is opened again at the
 * next write.
 *
 * Settings: TSPOD_LOG_MAX_SIZE (bytes, or with a Ki/Mi/Gi suffix; default 10Mi) and
 * TSPOD_LOG_MAX_FILES (at least 2; default 5).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface LogRotation {
  maxSize: number;
  maxFiles: number;
}

const UNITS: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** The rotation settings from the environment; a bad value is an error naming the variable. */
export function logRotation(env = process.env): LogRotation {
  const size = env.TSPOD_LOG_MAX_SIZE ?? '10Mi';
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(size);
  const maxSize = m ? Number(m[1]) * UNITS[m[2] ?? ''] : NaN;
  if (!(maxSize >= 1024)) throw new Error(`TSPOD_LOG_MAX_SIZE: invalid value "${size}": must be a size of at least 1024 bytes (e.g. 10Mi)`);
  const files = env.TSPOD_LOG_MAX_FILES ?? '5';
  const maxFiles = /^\d+$/.test(files) ? Number(files) : NaN;
  if (!(maxFiles >= 2)) throw new Error(`TSPOD_LOG_MAX_FILES: invalid value "${files}": must be a whole number of at least 2`);
  return { maxSize, maxFiles };
}

/** `20261127-073000.123456789`: when a file was rotated; sorts as text, one per nanosecond. */
function rotationStamp(ns: bigint): string {
  const iso = new Date(Number(ns / 1_000_000n)).toISOString();
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
}

/** The rotated files of `file` (`<file>.<stamp>`), oldest first. */
export function rotatedFiles(file: string): string[] {
  const dir = path.dirname(file);
  const base = `${path.basename(file)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(base) && /^\d{8}-\d{6}\.\d{9}$/.test(n.slice(base.length))).sort().map((n) => path.join(dir, n));
}

export interface LogFileOptions {
  /** told of failed writes and rotations (once per run of failures) and of the lines dropped */
  onTrouble?: (message: string) => void;
  /** the write(2) of a record batch; a test injects faults here */
  write?: (fd: number, data: Buffer) => number;
  /** the open(2) of the file for appending; a test injects faults here */
  open?: (file: string) => number;
}

export class LogFile {
  /** -1 while the file could not be opened */
  private fd = -1;
  private size = 0;
  private lastStamp = 0n;
  /** while writes fail: what was dropped, and why */
  private dropping?: { lines: number; bytes: number; code: string };
  private readonly write: (fd: number, data: Buffer) => number;
  private readonly openFile: (file: string) => number;

  constructor(readonly file: string, private readonly rotation: LogRotation, private readonly o: LogFileOptions = {}) {
    this.write = o.write ?? ((fd, data) => fs.writeSync(fd, data));
    this.openFile = o.open ?? ((f) => fs.openSync(f, 'a', 0o640));
    try {
      this.reopen();
    } catch (err) {
      this.drop(Buffer.alloc(0), err as NodeJS.ErrnoException);
    }
  }

  private reopen(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const fd = this.openFile(this.file);
    try {
      this.size = fs.fstatSync(fd).size;
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    this.fd = fd;
  }

  /** Append whole records (one write), rotating first if they would not fit. */
  append(records: Buffer): void {
    if (this.size > 0 && this.size + records.length > this.rotation.maxSize) this.tryRotate();
    let written = 0;
    try {
      if (this.fd < 0) this.reopen();
      written = this.write(this.fd, records);
      if (written === records.length) {
        this.size += written;
        this.endDropping();
        return;
      }
      throw Object.assign(new Error(`short write (${written} of ${records.length} bytes)`), { code: 'ENOSPC' });
    } catch (err) {
      this.cutBack(written);
      this.drop(records, err as NodeJS.ErrnoException);
    }
  }

  /** After a short write: truncate to the last whole record (the size before this write). */
  private cutBack(written: number): void {
    if (written === 0) return;
    try {
      fs.ftruncateSync(this.fd, this.size);
    } catch {
      this.size += written; // cannot cut: the torn record stays, the reader skips it as unparsable
    }
  }

  private drop(records: Buffer, err: NodeJS.ErrnoException): void {
    let lines = 0;
    for (let i = records.indexOf(0x0a); i >= 0; i = records.indexOf(0x0a, i + 1)) lines++;
    if (!this.dropping) {
      this.dropping = { lines: 0, bytes: 0, code: err.code ?? 'EIO' };
      this.o.onTrouble?.(`writing ${this.file} failed (${err.code ?? ''}: ${err.message}): dropping log lines until it works again`);
    }
    this.dropping.lines += lines;
    this.dropping.bytes += records.length;
  }

  private endDropping(): void {
    if (!this.dropping) return;
    const { lines, bytes, code } = this.dropping;
    this.dropping = undefined;
    this.o.onTrouble?.(`${lines} log lines (${bytes} bytes) dropped from ${this.file} while writes failed (${code})`);
  }

  private tryRotate(): void {
    try {
      this.rotate();
    } catch (err) {
      this.o.onTrouble?.(`rotating ${this.file} failed: ${(err as Error).message}`);
    }
  }

  /** Rename the full file aside, start a new one, drop the oldest beyond the limit. */
  private rotate(): void {
    let ns = BigInt(Date.now()) * 1_000_000n;
    if (ns <= this.lastStamp) ns = this.lastStamp + 1n;
    this.lastStamp = ns;
    // Rename before reopening: a reader holding the old file keeps reading it to its end, then
    // finds the new file under the name (reader.ts LogTail).
    const aside = `${this.file}.${rotationStamp(ns)}`;
    fs.renameSync(this.file, aside);
    let fd: number;
    try {
      fd = this.openFile(this.file);
    } catch (err) {
      // Keep writing the old file under its old name: a failed rotation changes nothing.
      fs.renameSync(aside, this.file);
      throw err;
    }
    fs.closeSync(this.fd);
    this.fd = fd;
    this.size = 0;
    const rotated = rotatedFiles(this.file);
    for (const old of rotated.slice(0, Math.max(0, rotated.length - (this.rotation.maxFiles - 1)))) fs.rmSync(old, { force: true });
  }

  close(): void {
    this.endDropping();
    if (this.fd < 0) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
