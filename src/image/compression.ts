/**
 * Compressed tarballs, recognised by their first bytes rather than by a file name or media type.
 *
 * Layers are usually gzip (`tar+gzip`), sometimes plain tar; root filesystem tarballs come as
 * whatever `mmdebstrap` or the user chose (`.tar`, `.tar.gz`, `.tar.xz`, `.tar.zst`). The magic
 * number decides: gzip is decompressed in-process (zlib); xz, zstd and bzip2 through the host's
 * own `xz`, `zstd` or `bzip2` program when it is installed (Node 20 has no decoder for them).
 */
import { spawn } from 'node:child_process';
import { Duplex, PassThrough } from 'node:stream';
import zlib from 'node:zlib';

export type Compression = 'none' | 'gzip' | 'xz' | 'zstd' | 'bzip2';

const MAGIC: [Compression, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['bzip2', [0x42, 0x5a, 0x68]],
];

/** The compression of a stream, from (at least) its first 6 bytes. */
export function detectCompression(head: Buffer): Compression {
  for (const [name, magic] of MAGIC) {
    if (magic.every((b, i) => head[i] === b)) return name;
  }
  return 'none';
}

const PROGRAM: Record<'xz' | 'zstd' | 'bzip2', { cmd: string; pkg: string }> = {
  xz: { cmd: 'xz', pkg: 'xz-utils' },
  zstd: { cmd: 'zstd', pkg: 'zstd' },
  bzip2: { cmd: 'bzip2', pkg: 'bzip2' },
};

/** A stream that decompresses `kind`; `what` names the data in errors. */
export function decompressor(kind: Compression, what: string): Duplex {
  if (kind === 'none') return new PassThrough();
  if (kind === 'gzip') return zlib.createGunzip();
  const { cmd, pkg } = PROGRAM[kind];
  const child = spawn(cmd, ['-d', '-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const duplex = Duplex.from({ writable: child.stdin, readable: child.stdout });
  child.on('error', (cause: NodeJS.ErrnoException) => {
    const hint = cause.code === 'ENOENT' ? `: "${cmd}" is not installed (apt-get install ${pkg})` : '';
    duplex.destroy(new Error(`cannot decompress ${what} (${kind})${hint}`, { cause }));
  });
  child.on('close', (code) => {
    if (code)
      duplex.destroy(new Error(`${cmd} failed decompressing ${what}: ${stderr.trim() || `exit status ${code}`}`));
  });
  return duplex;
}
