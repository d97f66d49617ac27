/**
 * Reading a tar stream entry by entry (the parsing is tar-stream's: ustar, pax and GNU long names).
 *
 * A tar archive is a sequence of 512-byte headers, each followed by the entry's data padded to
 * 512 bytes. `readTar` hands each header and its data to a handler, one at a time and in order,
 * and turns a broken stream (truncated, not a tar, bad compression) into one error naming the
 * archive. `unpackTar` is the common use: apply every entry onto a directory.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { Unpacker, type TarHeader, type UnpackOptions } from './unpack.js';

/** A header as tar-stream gives it, plus where the entry's data starts in the uncompressed stream. */
export type IndexedHeader = TarHeader & { byteOffset?: number };

export type EntryHandler = (header: IndexedHeader, body: AsyncIterable<Buffer>) => Promise<void>;

/** Feeds every entry of the tar on `input` to `handle`; `what` names the archive in errors. */
export async function readTar(input: Readable, what: string, handle: EntryHandler): Promise<void> {
  const extract = tar.extract();
  const feeding = pipeline(input, extract);
  feeding.catch(() => undefined); // awaited below; this only marks it handled meanwhile
  try {
    for await (const entry of extract) {
      await handle(entry.header as IndexedHeader, entry as unknown as AsyncIterable<Buffer>);
    }
    await feeding;
  } catch (err) {
    input.destroy();
    extract.destroy();
    await feeding.catch(() => undefined);
    if (err instanceof Error && err.message.startsWith(what)) throw err;
    throw new Error(`${what}: cannot read the tar archive`, { cause: err });
  }
}

/** Unpacks the tar on `input` onto `root` (see unpack.ts for the rules). */
export async function unpackTar(input: Readable, root: string, opts: UnpackOptions): Promise<Unpacker> {
  const unpacker = new Unpacker(root, opts);
  await readTar(input, opts.what, (header, body) => unpacker.entry(header, body));
  unpacker.finish();
  return unpacker;
}
