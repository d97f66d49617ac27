/**
 * `tspod image ls [--json]`: the images in the store, one row per name, with the columns of
 * `docker images --digests`: NAME (normalised, `docker.io/library/busybox`), TAG (`<none>` for an
 * image named by digest only), DIGEST (the manifest digest it was pulled by, else `<none>`),
 * IMAGE ID (12 hex digits), CREATED (how long ago), SIZE.
 */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ImageStore, type ImageRecord } from '../image/store.js';
import { rootsOf, type GlobalArgs } from './common.js';
import { padColumns } from '../table.js';

interface LsArgs extends GlobalArgs {
  json: boolean;
}

export const imageLsCommand: CommandModule<GlobalArgs, LsArgs> = {
  command: ['ls', 'list'],
  describe: 'list the images in the store',
  builder: (y: Argv<GlobalArgs>) =>
    y.option('json', { type: 'boolean', default: false, describe: 'print the records as JSON' }),
  handler: async (argv: ArgumentsCamelCase<LsArgs>) => {
    const images = await new ImageStore(rootsOf(argv)).list();
    process.stdout.write(argv.json ? JSON.stringify(images, null, 2) + '\n' : formatImageTable(images, new Date()));
  },
};

/** The table `tspod image ls` prints, columns padded to their widest cell. */
export function formatImageTable(images: ImageRecord[], now: Date): string {
  const rows = [['NAME', 'TAG', 'DIGEST', 'IMAGE ID', 'CREATED', 'SIZE']];
  for (const i of images) {
    rows.push([
      i.name,
      i.tag ?? '<none>',
      i.digest ?? '<none>',
      shortId(i.id),
      timeAgo(new Date(i.created), now),
      i.size === undefined ? '-' : humanSize(i.size),
    ]);
  }
  return padColumns(rows, 3).join('\n') + '\n';
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** Decimal units with three significant digits, as `docker images` prints sizes: `4.37MB`. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v : Number(v.toPrecision(3))}${units[u]}`;
}

/** `5 seconds ago`, `2 hours ago`, `3 weeks ago`: the largest whole unit, as docker does. */
export function timeAgo(then: Date, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  if (Number.isNaN(seconds)) return 'unknown';
  const steps: [string, number][] = [
    ['year', 365 * 86400],
    ['month', 30 * 86400],
    ['week', 7 * 86400],
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
  ];
  for (const [unit, size] of steps) {
    const n = Math.floor(seconds / size);
    if (n >= 1) return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  }
  return seconds < 2 ? 'less than a second ago' : `${seconds} seconds ago`;
}
