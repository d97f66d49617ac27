/**
 * A container instance's log file, rotated as the kubelet rotates container logs: when the next
 * write would take `<n>.log` past the size limit, it is renamed `<n>.log.<UTC time>` and a new
 * `<n>.log` is started; of the rotated files only the newest `maxFiles - 1` are kept (the limit
 * counts the current file, as the kubelet's containerLogMaxFiles does). Rotation happens only
 * between two writes and every write is whole records, so each file ends at a record boundary and a
 * reader (logs/reader.ts) can go from one file to the next without losing or repeating a line.
 * Unlike the kubelet, rotated files are not compressed.
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

export class LogFile {
  private fd: number;
  private size: number;
  private lastStamp = 0n;

  constructor(readonly file: string, private readonly rotation: LogRotation) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.fd = fs.openSync(file, 'a', 0o640);
    this.size = fs.fstatSync(this.fd).size;
  }

  /** Append whole records (one write), rotating first if they would not fit. */
  append(records: Buffer): void {
    if (this.size > 0 && this.size + records.length > this.rotation.maxSize) this.rotate();
    fs.writeSync(this.fd, records);
    this.size += records.length;
  }

  /** Rename the full file aside, start a new one, drop the oldest beyond the limit. */
  private rotate(): void {
    let ns = BigInt(Date.now()) * 1_000_000n;
    if (ns <= this.lastStamp) ns = this.lastStamp + 1n;
    this.lastStamp = ns;
    // Rename before reopening: a reader holding the old file keeps reading it to its end, then
    // finds the new file under the name (reader.ts LogTail).
    fs.renameSync(this.file, `${this.file}.${rotationStamp(ns)}`);
    fs.closeSync(this.fd);
    this.fd = fs.openSync(this.file, 'a', 0o640);
    this.size = 0;
    const rotated = rotatedFiles(this.file);
    for (const old of rotated.slice(0, Math.max(0, rotated.length - (this.rotation.maxFiles - 1)))) fs.rmSync(old, { force: true });
  }

  close(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}
