/**
 * What the bench checks about itself: that it never wrote into the image it shares with runc and
 * crun, and that it left nothing behind (mounts, pods, netns pins, OCI containers, cgroups).
 */
import fs from 'node:fs';
import path from 'node:path';

/** A digest of every entry under `root`: path, type, mode, size, mtime and ctime (ctime moves on any change). */
export function fingerprint(root) {
  const lines = [];
  const walk = (dir) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p, { bigint: true });
      lines.push(`${p} ${st.mode} ${st.size} ${st.mtimeNs} ${st.ctimeNs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  const st = fs.lstatSync(root, { bigint: true });
  lines.push(`${root} ${st.mode} ${st.mtimeNs} ${st.ctimeNs}`);
  walk(root);
  return lines.join('\n');
}

/** Mount points at or below `dir`, deepest first (mountinfo's 5th field, with \040-style escapes). */
export function mountsUnder(dir) {
  const unescape = (s) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => unescape(line.split(' ')[4]))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** Entries left in the given directories (a directory that does not exist holds nothing). */
export function entriesIn(dirs) {
  return dirs.flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).map((e) => path.join(d, e)) : []));
}

/** cgroup directories named `prefix*` at the top of any hierarchy under /sys/fs/cgroup. */
export function cgroupsNamed(prefix) {
  const top = '/sys/fs/cgroup';
  const hierarchies = [top, ...fs.readdirSync(top).map((h) => path.join(top, h))];
  return hierarchies.flatMap((h) => {
    try {
      return fs
        .readdirSync(h)
        .filter((e) => e.startsWith(prefix))
        .map((e) => path.join(h, e));
    } catch {
      return []; // not a directory (a cgroup2 root's files)
    }
  });
}
