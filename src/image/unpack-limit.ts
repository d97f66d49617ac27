/**
 * A bound on what an import or a pull may unpack: the defence against decompression bombs.
 *
 * A layer is small on the wire and large on disk, and the ratio is the archive's choice: a few
 * megabytes of gzip can stand for gigabytes of zeros, enough to fill the filesystem that holds
 * every image and pod. So every decompressed byte is counted against one budget for the whole
 * import, and the import stops, naming the layer and the limit, as soon as the count passes it —
 * before the bytes reach the disk. The default budget is what the store's filesystem has free,
 * less a reserve (5% of its size, at least 256 MiB) so that running pods keep room to write; the
 * `--unpack-limit` option or `TSPOD_UNPACK_LIMIT` sets another (bytes, or with a unit: 500M, 2G).
 */
import fs from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { groups } from '../checked.js';

const MIN_RESERVE = 256 << 20;
const UNITS = { '': 1, K: 1 << 10, M: 1 << 20, G: 1 << 30, T: 2 ** 40 };

export interface UnpackBudget {
  limit: number;
  used: number;
  /** where the limit comes from, for the error */
  source: string;
}

/** Parses `1073741824`, `500M`, `2G`, `1.5Gi` (binary units); `what` names the setting. */
export function parseSize(text: string, what: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([KMGT]?)(?:i?B?)?$/i.exec(text.trim());
  if (!m) throw new Error(`${what}: "${text}" is not a size (bytes, or a number with K, M, G or T)`);
  const [number, unit] = groups(m, 1, 2);
  // the pattern allows only these units
  return Math.floor(Number(number) * UNITS[unit.toUpperCase() as keyof typeof UNITS]);
}

/** What the filesystem holding `dir` can take, less the reserve. */
export function freeSpaceLimit(dir: string): number {
  const st = fs.statfsSync(dir);
  const free = st.bavail * st.bsize;
  const reserve = Math.max(MIN_RESERVE, Math.floor(st.blocks * st.bsize * 0.05));
  return Math.max(0, free - reserve);
}

/** The budget for one import into the store at `storeDir`: the option, the variable, or free space. */
export function unpackBudget(storeDir: string, option?: string, env = process.env): UnpackBudget {
  if (option !== undefined) return { limit: parseSize(option, '--unpack-limit'), used: 0, source: '--unpack-limit' };
  if (env.TSPOD_UNPACK_LIMIT)
    return { limit: parseSize(env.TSPOD_UNPACK_LIMIT, 'TSPOD_UNPACK_LIMIT'), used: 0, source: 'TSPOD_UNPACK_LIMIT' };
  return { limit: freeSpaceLimit(storeDir), used: 0, source: `the free space of ${storeDir} less a reserve` };
}

export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/** A pass-through that counts decompressed bytes against `budget` and fails once past it. */
export class BudgetStream extends Transform {
  constructor(
    private readonly budget: UnpackBudget,
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.budget.used += chunk.length;
    if (this.budget.used > this.budget.limit) {
      const { limit, source } = this.budget;
      cb(
        new Error(
          `${this.what}: unpacks to more than ${humanBytes(limit)}, the unpack limit (${source}); ` +
            'refusing it as a decompression bomb',
        ),
      );
      return;
    }
    cb(null, chunk);
  }
}
