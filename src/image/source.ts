/**
 * What a file given to `tspod image import` is: an OCI layout directory, an OCI archive, a
 * `docker save` archive, or a plain root filesystem tarball.
 *
 * The content decides, not the file name: a directory must be an OCI layout; a file is
 * decompressed if its first bytes say so (into the import's scratch directory, so it can then be
 * read by byte ranges), indexed, and recognised by its top-level files: `oci-layout` + `index.json`
 * (OCI), a `manifest.json` listing configs and layers (`docker save`), anything else is taken as a
 * root filesystem (`mmdebstrap ... out.tar`, `docker export`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DirFiles, TarFiles, type ArchiveFiles } from './archive-files.js';
import { decompressor, detectCompression } from './compression.js';
import { isDockerArchive } from './docker.js';
import { BudgetStream, type UnpackBudget } from './unpack-limit.js';

export type SourceKind = 'oci-layout' | 'oci-archive' | 'docker-archive' | 'rootfs-tarball';

export interface ImageSource {
  kind: SourceKind;
  files: ArchiveFiles;
  /** the uncompressed tar, for a root filesystem tarball */
  tarFile?: string;
}

/** Opens `file` for import; `work` is an empty scratch directory the import owns. */
export async function openSource(file: string, work: string, budget: UnpackBudget): Promise<ImageSource> {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (cause) {
    throw new Error(`cannot read "${file}"`, { cause });
  }
  if (st.isDirectory()) {
    const files = new DirFiles(path.resolve(file));
    if (!files.has('oci-layout'))
      throw new Error(`the directory "${file}" is not an OCI image layout (it has no "oci-layout" file)`);
    return { kind: 'oci-layout', files };
  }
  if (!st.isFile()) throw new Error(`"${file}" is neither a file nor a directory`);
  const tarFile = await uncompressed(file, work, budget);
  const files = await TarFiles.index(tarFile, `"${file}"`);
  if (files.has('oci-layout') && files.has('index.json')) return { kind: 'oci-archive', files };
  if (await isDockerArchive(files)) return { kind: 'docker-archive', files };
  return { kind: 'rootfs-tarball', files, tarFile };
}

/** `file` itself when it is not compressed, else its decompressed copy in `work`. */
async function uncompressed(file: string, work: string, budget: UnpackBudget): Promise<string> {
  const head = Buffer.alloc(6);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  const kind = detectCompression(head);
  if (kind === 'none') return file;
  const out = path.join(work, 'archive.tar');
  const what = `"${file}"`;
  await pipeline(
    fs.createReadStream(file),
    decompressor(kind, what),
    new BudgetStream(budget, what),
    fs.createWriteStream(out, { mode: 0o600 }),
  );
  return out;
}
