/**
 * Pod volumes on the host (ARCHITECTURE.md section 7).
 *
 * A volume belongs to the pod, not to a container: it is made once, before any container starts,
 * and each container that lists it in `volumeMounts` gets a bind mount of the same directory, so
 * what one container writes the others read. `emptyDir` is a fresh directory under the pod's data
 * directory (or, with `medium: Memory`, a tmpfs there, capped at `sizeLimit`); `hostPath` is a path
 * of the host, checked against its `type` the way the kubelet checks it. An untyped hostPath that
 * does not exist is created as a directory (0755): the kubelet checks nothing then, and containerd's
 * and CRI-O's CRI make the missing directory before the bind, so `hostPath: {path: /data}` runs.
 *
 * An `image` volume (Kubernetes 1.31+) is an image of the store, pulled by its `pullPolicy` as a
 * container's image is (cli/run.ts resolveImages), an overlay of its layers as a container's root
 * is (without an upper directory), mounted read-only and noexec (KEP-4639: "mounted as read-only (ro) and non-executable files
 * (noexec)"), nosuid and nodev too: its files are data to read, never programs of the pod. It is
 * mounted once for the pod, on the host under the pod's directory (recorded first, as every host
 * mount is), and each container binds it from there; a bind keeps those attributes, with `subPath`
 * too, and a `subPath` the image lacks cannot be made in a read-only tree: the container fails.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ImageRecord } from '../image/store.js';
import type { HostPathType, HostPathVolumeSource, Pod, Volume } from '../manifest/types.js';
import { isPayloadVolume, makePayloadVolume, type PayloadVolumeContext } from './config-volumes.js';
import { setVolumeOwnership } from './ownership.js';
import { parseQuantity } from '../manifest/index.js';

/** What preparing the pod's volumes needs of the pod being built: a payload volume's, and the images. */
export type VolumeContext = PayloadVolumeContext & {
  /** the pod's images: its containers' by name, its image volumes' by imageVolumeKey */
  images?: Record<string, ImageRecord>;
};

/** Where an image volume's image is in a pod's images (container names cannot hold a colon). */
export const imageVolumeKey = (volume: string) => `volume:${volume}`;

/**
 * The read-only directories an image is made of, uppermost first: what a container's overlay has
 * as its lower directories.
 */
export function imageLayers(img: ImageRecord): string[] {
  return img.lowerDirs;
}

const IMAGE_VOLUME_ATTRS = ['RDONLY', 'NOSUID', 'NODEV', 'NOEXEC'];

/**
 * The overlay of an image volume: the image's layers, with no upper directory (so read-only),
 * merged as a container's root is merged: whiteouts hide, opaque directories (marked with
 * user.overlay.opaque, hence "userxattr") hide what is below. Overlayfs takes no fewer than two
 * lower directories without an upper one: an image of one layer gets an empty one below it.
 */
export function imageVolumeOptions(layers: string[], empty: string): string {
  const escape = (p: string) => p.replace(/[\\:,]/g, (ch) => `\\${ch}`);
  const lowers = layers.length === 1 ? [...layers, empty] : layers;
  const data = `lowerdir=${lowers.map(escape).join(':')},userxattr`;
  // mount(2) takes one page of options.
  if (data.length >= 4096)
    throw new Error(
      `the image has ${layers.length} layers, too many to mount as a volume (the options exceed one page)`,
    );
  return data;
}

async function makeImageVolume(ctx: VolumeContext, v: Volume): Promise<void> {
  const img = ctx.images?.[imageVolumeKey(v.name)];
  if (!img)
    throw new Error(`image volume "${v.name}": image "${v.image!.reference}" was not resolved before the pod started`);
  const dir = ctx.layout.volume(v.name);
  // A volume name is a DNS label, without dots: this name is no other volume's.
  const empty = `${dir}.empty`;
  const data = imageVolumeOptions(imageLayers(img), empty);
  await ctx.host.mkdir(dir, 0o755);
  await ctx.host.mkdir(empty, 0o755);
  ctx.explain(
    `volume "${v.name}": image ${img.ref} (${img.id.slice(0, 19)}), an overlay of its layers, read-only, noexec, at ${dir}`,
  );
  await ctx.recordMount(dir);
  ctx.host.mount('overlay', dir, 'overlay', IMAGE_VOLUME_ATTRS, data);
}

const TYPE_CHECK: Record<
  Exclude<HostPathType, ''>,
  { test: (st: import('node:fs').Stats) => boolean; what: string }
> = {
  Directory: { test: (st) => st.isDirectory(), what: 'a directory' },
  DirectoryOrCreate: { test: (st) => st.isDirectory(), what: 'a directory' },
  File: { test: (st) => st.isFile(), what: 'a file' },
  FileOrCreate: { test: (st) => st.isFile(), what: 'a file' },
  Socket: { test: (st) => st.isSocket(), what: 'a socket' },
  CharDevice: { test: (st) => st.isCharacterDevice(), what: 'a character device' },
  BlockDevice: { test: (st) => st.isBlockDevice(), what: 'a block device' },
};

async function createHostPath(src: HostPathVolumeSource): Promise<void> {
  if (src.type === 'DirectoryOrCreate' || !src.type) {
    await fs.mkdir(src.path, { recursive: true, mode: 0o755 });
  } else if (src.type === 'FileOrCreate') {
    const fh = await fs.open(src.path, 'a', 0o644);
    await fh.close();
  }
}

/** The kubelet's hostPath type checks; *OrCreate make what is missing (and nothing else). */
export async function checkHostPath(name: string, src: HostPathVolumeSource): Promise<void> {
  const where = `hostPath volume "${name}" (${src.path})`;
  if (!src.type) {
    if (!(await fs.lstat(src.path).catch(() => undefined))) {
      await createHostPath(src).catch((err) => {
        throw new Error(`${where}: cannot create it`, { cause: err });
      });
    }
    return;
  }
  const check = TYPE_CHECK[src.type];
  let st = await fs.stat(src.path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw new Error(`${where}: cannot check its type`, { cause: err });
    return undefined;
  });
  if (!st && src.type.endsWith('OrCreate')) {
    await createHostPath(src).catch((err) => {
      throw new Error(`${where}: cannot create it`, { cause: err });
    });
    st = await fs.stat(src.path);
  }
  if (!st) throw new Error(`${where}: does not exist (type ${src.type})`);
  if (!check.test(st)) throw new Error(`${where}: is not ${check.what} (type ${src.type})`);
}

async function makeEmptyDir(ctx: VolumeContext, v: Volume): Promise<void> {
  const dir = ctx.layout.volume(v.name);
  // 0777 like the kubelet's emptyDir: containers running as any user can write to it.
  await ctx.host.mkdir(dir, 0o777);
  if (v.emptyDir?.medium !== 'Memory') {
    ctx.explain(`volume "${v.name}": emptyDir at ${dir}`);
    return;
  }
  const size = v.emptyDir.sizeLimit ? `,size=${Math.ceil(parseQuantity(v.emptyDir.sizeLimit))}` : '';
  ctx.explain(`volume "${v.name}": tmpfs at ${dir}${size ? ` (${v.emptyDir.sizeLimit})` : ''}, memory-backed emptyDir`);
  await ctx.recordMount(dir);
  ctx.host.mount('tmpfs', dir, 'tmpfs', ['NOSUID', 'NODEV'], `mode=0777${size}`);
}

/**
 * The volume types whose ownership the kubelet manages (fsGroup), and whether it mounts them
 * read-only (their plugins' ReadOnly attribute). hostPath is the host's: never changed.
 */
const OWNERSHIP: Record<string, { readOnly: boolean }> = {
  emptyDir: { readOnly: false },
  configMap: { readOnly: true },
  secret: { readOnly: true },
  downwardAPI: { readOnly: true },
  projected: { readOnly: true },
};

export function managedOwnership(v: Volume): { readOnly: boolean } | undefined {
  const type = Object.keys(OWNERSHIP).find((t) => (v as unknown as Record<string, unknown>)[t]);
  return type ? OWNERSHIP[type] : undefined;
}

/* After the volume's content is written: the walk covers what the volume type put there. */
async function applyOwnership(ctx: VolumeContext, pod: Pod, v: Volume): Promise<void> {
  const fsGroup = pod.spec.securityContext.fsGroup;
  const managed = managedOwnership(v);
  if (fsGroup === undefined || !managed) return;
  ctx.explain(
    `volume "${v.name}": group ${fsGroup} (fsGroup), setgid directories, group ${managed.readOnly ? 'read' : 'read/write'}`,
  );
  await setVolumeOwnership(ctx.layout.volume(v.name), { gid: fsGroup, readOnly: managed.readOnly });
}

/**
 * A named volume's `_data` (0755, the mount's root as the containers see it) inside a directory
 * that is root's alone (0700, made so again if an older tspod left it open): what a container
 * writes there as root, or as the pod's root through an idmapped mount, is host root's on disk and
 * may be set-user-ID, so no host user may reach it (as Docker's volumes directory is closed).
 */
async function makeClaimDir(data: string): Promise<void> {
  await fs.mkdir(path.dirname(data), { recursive: true, mode: 0o700 });
  await fs.chmod(path.dirname(data), 0o700);
  await fs.mkdir(data, { recursive: true, mode: 0o755 });
}

/**
 * Make one volume of the pod: a host step of its own (plan/host-steps.ts), whose undo unmounts
 * what it recorded through `ctx.recordMount`; its directory goes with the pod's volumes directory.
 */
export async function prepareVolume(ctx: VolumeContext, pod: Pod, v: Volume): Promise<void> {
  if (v.hostPath) {
    ctx.explain(
      `volume "${v.name}": hostPath ${v.hostPath.path}${v.hostPath.type ? ` (type ${v.hostPath.type})` : ''}`,
    );
    await checkHostPath(v.name, v.hostPath);
  } else if (v.persistentVolumeClaim) {
    // Not undone: a claim's volume outlives the pod, until `tspod volume rm`.
    const dir = ctx.layout.claim(v.persistentVolumeClaim.claimName);
    ctx.explain(
      `volume "${v.name}": persistentVolumeClaim "${v.persistentVolumeClaim.claimName}", the named volume at ${dir} (made on first use, kept)`,
    );
    await makeClaimDir(dir);
  } else if (v.image) {
    await makeImageVolume(ctx, v);
  } else if (isPayloadVolume(v)) {
    await makePayloadVolume(ctx, pod, v);
  } else {
    await makeEmptyDir(ctx, v);
  }
  await applyOwnership(ctx, pod, v);
}
