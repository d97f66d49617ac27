/**
 * Helpers for the image integration tests: a test image built from the busybox image (two layers,
 * a whiteout, an opaque directory, a config with Entrypoint/Cmd/Env/WorkingDir), its expected
 * root filesystem, a file-by-file description of a directory tree to compare them, and the
 * image's files as its containers see them (its layers mounted as one read-only overlay).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { entriesOfDir, makeTar, type Entry, type ImageSpec } from '../unit/image/fixtures.js';
import { tspod, type TestRoots } from './helpers.js';

/** The store record of an image, from `tspod image inspect`. */
export interface InspectedImage {
  id: string;
  /** the image's layer directories, topmost first */
  lowerDirs: string[];
  /** its layers' diff IDs, bottom first */
  layers: string[];
  config: Record<string, unknown>;
}

export async function inspect(roots: TestRoots, name: string): Promise<InspectedImage> {
  const res = await tspod(roots, ['image', 'inspect', name]);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout);
}

/** One line per path: type, mode, owner, mtime and content (or link target, or device numbers). */
export function describeTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = path.join(root, r);
      const st = fs.lstatSync(p);
      const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid} ${Math.floor(st.mtimeMs / 1000)}`;
      if (st.isDirectory()) {
        out[r] = `dir ${meta}`;
        walk(r);
      } else if (st.isSymbolicLink()) out[r] = `symlink -> ${fs.readlinkSync(p)} ${st.uid}:${st.gid}`;
      else if (st.isFile())
        out[r] = `file ${meta} ${st.size} ${createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`;
      else if (st.isCharacterDevice()) out[r] = `chr ${meta} ${st.rdev}`;
      else out[r] = `other ${meta}`;
    }
  };
  walk('');
  return out;
}

/**
 * describeTree of the image as overlayfs shows it: its layers mounted read-only (with an empty
 * directory at the bottom, since a mount of lower directories only needs two) on a scratch
 * directory, described, unmounted.
 */
export function describeImage(lowerDirs: string[]): Record<string, string> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-it-view-'));
  const empty = path.join(scratch, 'empty');
  const mnt = path.join(scratch, 'mnt');
  fs.mkdirSync(empty);
  fs.mkdirSync(mnt);
  execFileSync('mount', [
    '-t',
    'overlay',
    'overlay',
    '-o',
    `ro,userxattr,lowerdir=${[...lowerDirs, empty].join(':')}`,
    mnt,
  ]);
  try {
    return describeTree(mnt);
  } finally {
    execFileSync('umount', [mnt]);
    fs.rmSync(scratch, { recursive: true });
  }
}

/** The same description, for the flattened entries an archive should produce. */
export function describeEntries(entries: Entry[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    const name = e.name.replace(/\/$/, '');
    const meta = `${(e.mode ?? 0o644).toString(8)} ${e.uid ?? 0}:${e.gid ?? 0} ${Math.floor((e.mtime?.getTime() ?? 0) / 1000)}`;
    if (e.type === 'directory') out[name] = `dir ${meta}`;
    else if (e.type === 'symlink') out[name] = `symlink -> ${e.linkname} ${e.uid ?? 0}:${e.gid ?? 0}`;
    else {
      const data = Buffer.from(e.data ?? '');
      out[name] = `file ${meta} ${data.length} ${createHash('sha256').update(data).digest('hex')}`;
    }
  }
  return out;
}

const T1 = new Date('2024-02-01T10:00:00Z');
const T2 = new Date('2024-03-01T10:00:00Z');

export const RUN_SH = [
  '#!/bin/sh',
  'echo "args=$*"',
  'echo "greeting=$GREETING"',
  'echo "pwd=$(pwd)"',
  'echo "hello=$(cat hello.txt)"',
  'echo "data=$(ls /opt/data | tr "\\n" " ")"',
  'if [ -e /usr/bin/wget ]; then echo wget=present; else echo wget=gone; fi',
  '',
].join('\n');

export interface TestImage {
  spec: ImageSpec;
  /** the root filesystem the layers must produce, as a flat list of entries */
  flattened: Entry[];
}

/**
 * Two layers over the busybox image. Layer 1: busybox, plus /opt/data/{a,b/c} and /etc/motd.
 * Layer 2: removes /usr/bin/wget and /etc/motd (whiteouts), makes /opt/data opaque (only "new"
 * stays), adds /app/run.sh and /srv/hello.txt. Config: Entrypoint /app/run.sh, Cmd from-cmd,
 * Env GREETING=hi, WorkingDir /srv.
 */
export async function buildTestImage(busyboxRootfs: string): Promise<TestImage> {
  const busybox = entriesOfDir(busyboxRootfs);
  const byName = new Map(busybox.map((e) => [e.name, e]));
  const dir = (name: string, mtime: Date, mode = 0o755): Entry => ({ name, type: 'directory', mode, mtime });
  const file = (name: string, data: string, mtime: Date, mode = 0o644): Entry => ({ name, data, mtime, mode });
  const layer1Extra = [
    dir('opt', T1),
    dir('opt/data', T1),
    file('opt/data/a', 'a', T1),
    dir('opt/data/b', T1),
    file('opt/data/b/c', 'c', T1),
    file('etc/motd', 'motd', T1),
  ];
  const usrBin = { ...byName.get('usr/bin')!, mtime: T2 };
  const etc = { ...byName.get('etc')!, mtime: T2 };
  const layer2 = [
    usrBin,
    { name: 'usr/bin/.wh.wget', data: '', mtime: T2 },
    etc,
    { name: 'etc/.wh.motd', data: '', mtime: T2 },
    dir('opt/data', T2, 0o750),
    { name: 'opt/data/.wh..wh..opq', data: '', mtime: T2 },
    file('opt/data/new', 'new', T2),
    dir('app', T2),
    file('app/run.sh', RUN_SH, T2, 0o755),
    dir('srv', T2),
    file('srv/hello.txt', 'world', T2),
  ];
  const removed = new Set(['usr/bin/wget', 'opt/data/a', 'opt/data/b', 'opt/data/b/c', 'etc/motd']);
  const replaced = new Map<string, Entry>([
    ['usr/bin', usrBin],
    ['etc', etc],
    ['opt/data', dir('opt/data', T2, 0o750)],
  ]);
  const flattened = [
    ...busybox.filter((e) => !removed.has(e.name)).map((e) => replaced.get(e.name) ?? e),
    dir('opt', T1),
    dir('opt/data', T2, 0o750),
    file('opt/data/new', 'new', T2),
    dir('app', T2),
    file('app/run.sh', RUN_SH, T2, 0o755),
    dir('srv', T2),
    file('srv/hello.txt', 'world', T2),
  ];
  const spec: ImageSpec = {
    layers: [await makeTar([...busybox, ...layer1Extra]), await makeTar(layer2)],
    gzip: [true, false],
    runConfig: {
      Entrypoint: ['/app/run.sh'],
      Cmd: ['from-cmd'],
      WorkingDir: '/srv',
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'GREETING=hi'],
    },
  };
  return { spec, flattened };
}

/** Names under `dir`, recursively (for "nothing else was written" checks). */
export function listAll(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}
