/**
 * Where tspod keeps things on the host.
 *
 * Two trees, as container runtimes do: the *data root* (`/var/lib/tspod`) survives reboots and holds
 * images, pod volumes, container upper layers and logs; the *run root* (`/run/tspod`, a tmpfs on most
 * hosts) holds what only makes sense while pods run: state, locks, control sockets, netns pins. Tests
 * move both (`--root`, `--run-root`, or `TSPOD_ROOT`, `TSPOD_RUN_ROOT`) so they run isolated.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Roots {
  /** images, volumes, layers, logs */
  root: string;
  /** state, locks, sockets, netns pins */
  runRoot: string;
}

export const DEFAULT_ROOT = '/var/lib/tspod';
export const DEFAULT_RUN_ROOT = '/run/tspod';

export function resolveRoots(opts: { root?: string; runRoot?: string } = {}, env = process.env): Roots {
  return {
    root: path.resolve(opts.root ?? env.TSPOD_ROOT ?? DEFAULT_ROOT),
    runRoot: path.resolve(opts.runRoot ?? env.TSPOD_RUN_ROOT ?? DEFAULT_RUN_ROOT),
  };
}

/** The checkout (or installed package) tspod runs from: `dist/` and `native/build/` live under it. */
export const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The static infra program built from native/pause.c. */
export const PAUSE_BINARY = process.env.TSPOD_PAUSE ?? path.join(PACKAGE_DIR, 'native', 'build', 'tspod-pause');

export function imagesDir(roots: Roots): string {
  return path.join(roots.root, 'images');
}

export function podDataDir(roots: Roots, pod: string): string {
  return path.join(roots.root, 'pods', pod);
}

export function podRunDir(roots: Roots, pod: string): string {
  return path.join(roots.runRoot, 'pods', pod);
}
