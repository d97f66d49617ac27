/**
 * The host's mount table (/proc/self/mountinfo), to find whatever is still mounted under a pod's
 * directories. Field 5 of each line is the mount point, with space, tab, newline and backslash
 * written as octal escapes (`\040`).
 */
import fs from 'node:fs';

export function parseMountPoints(mountinfo: string): string[] {
  return mountinfo
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))));
}

/** Mount points at or below any of `dirs`, deepest first (so each unmount uncovers the next). */
export function mountsUnder(dirs: string[], mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8')): string[] {
  const inside = (p: string) => dirs.some((d) => p === d || p.startsWith(`${d}/`));
  const found = [...new Set(parseMountPoints(mountinfo).filter(inside))];
  return found.sort((a, b) => b.split('/').length - a.split('/').length);
}
