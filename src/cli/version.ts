/**
 * `tspod --version`: `tspod version 0.1.0 (commit 941df80)`, as `podman --version` and
 * `kubectl version` print it. The version is package.json's; the commit is read from the checkout's
 * git directory when there is one (HEAD, through a worktree's `gitdir:` file and the refs or
 * packed-refs of the common directory), without running git: a plain file read or three.
 */
import fs from 'node:fs';
import path from 'node:path';
import { groups } from '../checked.js';
import { PACKAGE_DIR } from '../paths.js';

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The git directory of the checkout at `dir` (`.git`, or where a worktree's `.git` file points). */
function gitDir(dir: string): string | undefined {
  const dotGit = path.join(dir, '.git');
  const st = fs.statSync(dotGit, { throwIfNoEntry: false });
  if (st?.isDirectory()) return dotGit;
  const m = st?.isFile() ? /^gitdir: (.+)$/m.exec(read(dotGit) ?? '') : null;
  return m ? path.resolve(dir, groups(m, 1)[0]) : undefined;
}

/** The commit HEAD names, abbreviated to 7 digits; undefined outside a git checkout. */
export function headCommit(dir = PACKAGE_DIR): string | undefined {
  const git = gitDir(dir);
  const head = git && read(path.join(git, 'HEAD'));
  if (!git || !head) return undefined;
  const ref = /^ref: (.+)$/.exec(head)?.[1];
  if (!ref) return /^[0-9a-f]{40}$/.test(head) ? head.slice(0, 7) : undefined;
  const common = path.resolve(git, read(path.join(git, 'commondir')) ?? '.');
  const id =
    read(path.join(git, ref)) ??
    read(path.join(common, ref)) ??
    (read(path.join(common, 'packed-refs')) ?? '')
      .split('\n')
      .find((l) => l.endsWith(` ${ref}`))
      ?.slice(0, 40);
  return id && /^[0-9a-f]{40}$/.test(id) ? id.slice(0, 7) : undefined;
}

export function packageVersion(dir = PACKAGE_DIR): string {
  return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

export function versionLine(dir = PACKAGE_DIR): string {
  const commit = headCommit(dir);
  return `tspod version ${packageVersion(dir)}${commit ? ` (commit ${commit})` : ''}`;
}
