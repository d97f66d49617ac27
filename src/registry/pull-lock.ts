/**
 * One pull of an image at a time: a lock file per manifest digest under the store's `locks/`.
 *
 * flock(2) locks die with their process, so a crashed pull never leaves a stale lock. The wait polls
 * the lock without blocking, because a blocking flock would stop Node's event loop (and with it
 * the other pull's progress bars in this process). The files stay: a lock file's name must not be
 * removed while another process may be about to open it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { kernel } from '../kernel.js';
import type { StorePaths } from '../image/store-files.js';

export async function holdPullLock(p: StorePaths, digest: string): Promise<{ release: () => void }> {
  const dir = path.join(p.dir, 'locks');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const fd = fs.openSync(
    path.join(dir, digest.replace(/^sha256:/, '')),
    fs.constants.O_RDWR | fs.constants.O_CREAT,
    0o600,
  );
  while (!kernel.flock(fd, 'ex', false)) await new Promise((r) => setTimeout(r, 100));
  return { release: () => fs.closeSync(fd) };
}
