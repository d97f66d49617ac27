/**
 * The termination message: what a container leaves in `terminationMessagePath` (a host file
 * bind-mounted into it) is reported in its terminated state, at most 4096 bytes. With
 * `FallbackToLogsOnError`, an empty file and a non-zero exit take the end of its log instead
 * (the last 80 lines, at most 2048 bytes), as the kubelet does.
 */
import fs from 'node:fs/promises';
import type { Container } from '../manifest/types.js';
import { parseLog } from '../logs/cri-log.js';
import type { Exit } from './status.js';

const MAX_FILE = 4096;
const MAX_LOG_BYTES = 2048;
const MAX_LOG_LINES = 80;

/**
 * The first `max` bytes of the file (empty when it cannot be read). Never the whole file: the
 * container writes it, as much as it likes, and the supervisor (one for every detached pod) would
 * hold all of it in memory, or lose the message to ERR_FS_FILE_TOO_LARGE past 2 GiB.
 */
async function readStart(file: string, max: number): Promise<Buffer> {
  const fh = await fs
    .open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW)
    .catch(() => undefined);
  if (!fh) return Buffer.alloc(0);
  try {
    const buf = Buffer.alloc(max);
    let got = 0;
    for (let n = -1; n !== 0 && got < max; got += n) n = (await fh.read(buf, got, max - got, got)).bytesRead;
    return buf.subarray(0, got);
  } catch {
    return Buffer.alloc(0);
  } finally {
    await fh.close();
  }
}

export async function readTerminationMessage(
  c: Container,
  proc: { terminationLog: string },
  exit: Exit,
  logFile: string,
): Promise<string | undefined> {
  const fromFile = await readStart(proc.terminationLog, MAX_FILE);
  if (fromFile.length > 0) return fromFile.toString('utf8');
  const failed = exit.code !== 0;
  if (c.terminationMessagePolicy !== 'FallbackToLogsOnError' || !failed) return undefined;
  const log = await fs.readFile(logFile).catch(() => Buffer.alloc(0));
  // The output as the container wrote it (P pieces joined), then its last lines and bytes. (A
  // status message is text: bytes that are not UTF-8 become U+FFFD here, never in the log.)
  const output = Buffer.concat(parseLog(log).flatMap((l) => (l.partial ? [l.content] : [l.content, NEWLINE])));
  const tail = Buffer.from(output.toString('utf8').replace(/\n$/, '').split('\n').slice(-MAX_LOG_LINES).join('\n'));
  const text = tail.subarray(Math.max(0, tail.length - MAX_LOG_BYTES)).toString('utf8');
  return text || undefined;
}

const NEWLINE = Buffer.from('\n');
