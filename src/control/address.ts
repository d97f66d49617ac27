/**
 * A unix socket's path must fit in `sockaddr_un.sun_path` (108 bytes with the NUL), and a pod's
 * control socket can be deeper than that (a long run root, a pod name of up to 253 characters).
 * Past the limit, the socket is reached through its directory instead: an open fd of the directory,
 * named as `/proc/self/fd/<fd>/control.sock`, resolves to the same place in a few bytes.
 */
import fs from 'node:fs';
import path from 'node:path';

const SUN_PATH_MAX = 107;

export interface SocketAddress {
  address: string;
  /** close what the address needed (call once the bind or connect is done) */
  release(): void;
}

export function socketAddress(socketPath: string): SocketAddress {
  if (Buffer.byteLength(socketPath) <= SUN_PATH_MAX) return { address: socketPath, release: () => undefined };
  const fd = fs.openSync(path.dirname(socketPath), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  return { address: `/proc/self/fd/${fd}/${path.basename(socketPath)}`, release: () => fs.closeSync(fd) };
}
