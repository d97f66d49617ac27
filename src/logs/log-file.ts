/**
 * A container instance's log file, rotated as the kubelet rotates container logs: when the next
 * record would take `<n>.log` past the size limit, it is renamed `<n>.log.<UTC time>` and a new
 * `<n>.log` is started; of the rotated files only the newest `maxFiles - 1` are kept (the limit
 * counts the current file, as the kubelet's containerLogMaxFiles does). Rotation happens only
 * between two writes and every write is whole records, so each file ends at a record boundary and a
 * reader (logs/reader.ts) can go from one file to the next without losing or repeating a line.
 * Unlike the kubelet, rotated files are not compressed.
 *
 * The writer is tspod-monitor (native/monitor.c, started by supervisor/logs.ts); here are the
 * settings it is given and the names of the rotated files, which the readers need.
 *
 * A write that fails (ENOSPC on a full disk, EIO) never stops the container or the supervisor:
 * the records are dropped and counted, a short write is cut back to the last whole record (the
 * file never holds a torn record in its middle), the first failure is reported at once and the
 * count when writes succeed again or the stream ends. A file that cannot even be opened (a new
 * instance's log on a full disk) is the same: its lines are dropped, and it is opened again at the
 * next write.
 *
 * Settings: TSPOD_LOG_MAX_SIZE (bytes, or with a Ki/Mi/Gi suffix; default 10Mi) and
 * TSPOD_LOG_MAX_FILES (at least 2; default 5).
 */
import fs from 'node:fs';
import path from 'node:path';
import { groups } from '../checked.js';

export interface LogRotation {
  maxSize: number;
  maxFiles: number;
}

const UNITS = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** The rotation settings from the environment; a bad value is an error naming the variable. */
export function logRotation(env = process.env): LogRotation {
  const size = env.TSPOD_LOG_MAX_SIZE ?? '10Mi';
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(size);
  // The pattern allows only the units of UNITS.
  const maxSize = m ? Number(groups(m, 1)[0]) * UNITS[(m[2] ?? '') as keyof typeof UNITS] : NaN;
  if (!(maxSize >= 1024))
    throw new Error(`TSPOD_LOG_MAX_SIZE: invalid value "${size}": must be a size of at least 1024 bytes (e.g. 10Mi)`);
  const files = env.TSPOD_LOG_MAX_FILES ?? '5';
  const maxFiles = /^\d+$/.test(files) ? Number(files) : NaN;
  if (!(maxFiles >= 2))
    throw new Error(`TSPOD_LOG_MAX_FILES: invalid value "${files}": must be a whole number of at least 2`);
  return { maxSize, maxFiles };
}

/** The rotated files of `file` (`<file>.<YYYYMMDD-HHMMSS.nnnnnnnnn>`, UTC), oldest first. */
export function rotatedFiles(file: string): string[] {
  const dir = path.dirname(file);
  const base = `${path.basename(file)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(base) && /^\d{8}-\d{6}\.\d{9}$/.test(n.slice(base.length)))
    .sort()
    .map((n) => path.join(dir, n));
}
