/**
 * Pinning a pod's network namespace to a file.
 *
 * A namespace lives as long as something refers to it: a process in it, an open file descriptor of
 * its `/proc/<pid>/ns/net`, or a *bind mount* of that file. The pod's network namespace belongs to
 * its infra process, so it would vanish, veth and all, the moment the infra exits; the CNI plugins
 * then could no longer find the interface whose address and iptables rules they must release (the
 * bridge plugin finds the masquerade rules to delete from the addresses on the pod's interface).
 * Bind-mounting `/proc/<infra>/ns/net` onto `<run-root>/netns/<pod>` keeps the namespace alive
 * independently of any process, and gives the plugins a path (`CNI_NETNS`) that stays valid until
 * tspod unmounts it, after DEL. This is what `ip netns add` and the CRI runtimes do.
 *
 * The mount is made from tspod's own process: mount(2) does not change the caller's namespaces, so
 * it is safe in Node's multithreaded process (setns would not be, and is never used here).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { kernel, type Kernel } from '../kernel.js';
import { childDir } from '../paths.js';

/** statfs(2) f_type of nsfs, the filesystem of /proc/<pid>/ns/* files and of their bind mounts. */
export const NSFS_MAGIC = 0x6e736673;

/** The mount calls netns pinning needs (the Kernel's, lazily detaching); tests may record them. */
export type MountOps = Pick<Kernel, 'mount' | 'umount'>;

export function netnsPinPath(runRoot: string, podName: string): string {
  return childDir(path.join(runRoot, 'netns'), podName, 'netns pin');
}

/** Every pin file under the run root (mounted or not): for `tspod gc` to find pins without a pod. */
export async function listNetnsPins(runRoot: string): Promise<string[]> {
  const dir = path.join(runRoot, 'netns');
  try {
    return (await fs.readdir(dir)).sort().map((n) => path.join(dir, n));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`listing netns pins in "${dir}"`, { cause: err });
  }
}

/** True when `pin` is a bind mount of a namespace file (and not just the empty file under it). */
export async function isPinned(pin: string): Promise<boolean> {
  try {
    return Number((await fs.statfs(pin)).type) === NSFS_MAGIC;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new Error(`checking netns pin "${pin}"`, { cause: err });
  }
}

/** Bind-mounts the network namespace of process `pid` onto `pin` (created, empty, if missing). */
export async function pinNetns(pid: number, pin: string, ops: MountOps = kernel): Promise<void> {
  const source = `/proc/${pid}/ns/net`;
  try {
    await fs.mkdir(path.dirname(pin), { recursive: true, mode: 0o700 });
    // A bind mount needs a mount point of the same kind as its source: a file for a namespace file.
    await (await fs.open(pin, 'a', 0o444)).close();
    if (await isPinned(pin)) throw new Error('already pinned (is a pod of this name still running?)');
    ops.mount(source, pin, '', ['BIND']);
  } catch (err) {
    throw new Error(`pinning network namespace "${source}" at "${pin}"`, { cause: err });
  }
  if (await isHostNetns(pin)) {
    // A wrong pid (or one reused by a host process) would hand the host's own interfaces to the
    // plugins, and a DEL would then delete the host's eth0. Refuse before any plugin runs.
    await unpinNetns(pin, ops);
    throw new Error(`process ${pid} is in the host's network namespace: refusing to pin it at "${pin}"`);
  }
}

/** True when `pin` is a pin of the network namespace tspod itself runs in (the host's). */
export async function isHostNetns(pin: string): Promise<boolean> {
  const [own, pinned] = await Promise.all([fs.stat('/proc/self/ns/net'), fs.stat(pin)]);
  return own.ino === pinned.ino && own.dev === pinned.dev;
}

/** Unmounts and removes `pin`. Idempotent: a missing or unmounted pin is fine. */
export async function unpinNetns(pin: string, ops: MountOps = kernel): Promise<void> {
  try {
    // A pin mounted twice (a retried attach) has two mounts stacked on the file: remove them all.
    for (let i = 0; i < 16 && (await isPinned(pin)); i++) ops.umount(pin);
    await fs.rm(pin, { force: true });
  } catch (err) {
    throw new Error(`unpinning network namespace at "${pin}"`, { cause: err });
  }
}
