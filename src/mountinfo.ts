/**
 * The host's mount table, /proc/self/mountinfo: one line per mount, whose field 5 is the mount
 * point and, after the " - " separator, the file system type, its source and its super-block
 * options. Space, tab, newline and backslash in paths are written as octal escapes (`\040`).
 * Used to find the cgroup hierarchies (cgroups/detect.ts) and whatever is still mounted under a
 * pod's directories (teardown/cleanup.ts).
 */
import fs from 'node:fs';

export interface MountLine {
  mountPoint: string;
  fstype: string;
  superOptions: string[];
}

const unescape = (p: string) => p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));

export function parseMountinfo(text: string): MountLine[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [left = '', right = ''] = line.split(' - ');
      const [fstype = '', , superOpts = ''] = right.split(' ');
      return { mountPoint: unescape(left.split(' ')[4] ?? ''), fstype, superOptions: superOpts.split(',') };
    })
    .filter((m) => m.mountPoint !== '');
}

export function parseMountPoints(mountinfo: string): string[] {
  return parseMountinfo(mountinfo).map((m) => m.mountPoint);
}

/** Mount points at or below any of `dirs`, deepest first (so each unmount uncovers the next). */
export function mountsUnder(dirs: string[], mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8')): string[] {
  const inside = (p: string) => dirs.some((d) => p === d || p.startsWith(`${d}/`));
  const found = [...new Set(parseMountPoints(mountinfo).filter(inside))];
  return found.sort((a, b) => b.split('/').length - a.split('/').length);
}
