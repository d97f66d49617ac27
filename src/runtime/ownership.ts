/**
 * Volume ownership for `fsGroup`: what the kubelet's SetVolumeOwnership does to a volume it made.
 *
 * A group id only gives access through the group permission bits, and a file a container creates
 * is owned by the creator's primary group unless its directory is *setgid*: then new entries take
 * the directory's group, and new subdirectories inherit the setgid bit. So every file and directory
 * of the volume is given to the fsGroup (its owner user is left alone), gets group read/write
 * (read-only for the volume types the kubelet mounts read-only: configMap, secret), and every
 * directory also gets group search (x) and the setgid bit. The walk is depth first, children
 * before their directory, as the kubelet's walkDeep; symbolic links are left alone (chmod would
 * follow them, and the atomic writer's `..data` and key links are symlinks). Only volumes tspod has
 * just made for this pod, before any container runs, are walked, so nothing moves under the walk.
 * hostPath volumes are never changed.
 *
 * `fsGroupChangePolicy` (OnRootMismatch) only decides whether an existing volume whose root
 * already looks right may be skipped; the kubelet passes no policy for emptyDir, configMap,
 * secret, downwardAPI and projected volumes, all made fresh for the pod, so they are always
 * walked. tspod's volumes are all of that kind.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

const RW = 0o660;
const RO = 0o440;
const DIR_EXTRA = 0o2110; // setgid and group search

export interface OwnershipChange {
  /** the group that owns every entry afterwards */
  gid: number;
  /** group read only (configMap, secret) instead of read/write */
  readOnly: boolean;
}

/** The mode an entry gets: its own bits plus group access (and setgid for a directory). */
export function ownedMode(mode: number, isDir: boolean, readOnly: boolean): number {
  return (mode & 0o7777) | (readOnly ? RO : RW) | (isDir ? DIR_EXTRA : 0);
}

async function change(p: string, st: import('node:fs').Stats, o: OwnershipChange): Promise<void> {
  await fs.lchown(p, st.uid, o.gid);
  // chmod after chown: chown clears a file's set-user-ID and set-group-ID bits; the mode read
  // before it puts them back, as the kubelet does.
  await fs.chmod(p, ownedMode(st.mode, st.isDirectory(), o.readOnly));
}

async function walk(p: string, o: OwnershipChange): Promise<void> {
  const st = await fs.lstat(p);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    for (const name of await fs.readdir(p)) await walk(path.join(p, name), o);
  }
  await change(p, st, o);
}

/** Give the volume at `dir` to the group, as the kubelet does for fsGroup. */
export async function setVolumeOwnership(dir: string, o: OwnershipChange): Promise<void> {
  await walk(dir, o).catch((err) => {
    throw new Error(`setting the ownership of ${dir} to fsGroup ${o.gid}`, { cause: err });
  });
}
