/**
 * Where tspod keeps things on the host.
 *
 * Two trees, as container runtimes do: the *data root* (`/var/lib/tspod`) survives reboots and holds
 * images, pod volumes, container upper layers and logs; the *run root* (`/run/tspod`, a tmpfs on most
 * hosts) holds what only makes sense while pods run: state, locks, control sockets, netns pins. Tests
 * move both (`--root`, `--run-root`, or `TSPOD_ROOT`, `TSPOD_RUN_ROOT`) so they run isolated.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Roots {
  /** images, volumes, layers, logs */
  root: string;
  /** state, locks, sockets, netns pins */
  runRoot: string;
  /** user-namespace id-range claims: the host's own directory unless set (state/userns-ranges.ts) */
  idRangesDir?: string;
}

export const DEFAULT_ROOT = '/var/lib/tspod';
export const DEFAULT_RUN_ROOT = '/run/tspod';

export function resolveRoots(opts: { root?: string; runRoot?: string } = {}, env = process.env): Roots {
  return {
    root: path.resolve(opts.root ?? env.TSPOD_ROOT ?? DEFAULT_ROOT),
    runRoot: path.resolve(opts.runRoot ?? env.TSPOD_RUN_ROOT ?? DEFAULT_RUN_ROOT),
    ...(env.TSPOD_ID_RANGES_DIR ? { idRangesDir: path.resolve(env.TSPOD_ID_RANGES_DIR) } : {}),
  };
}

/**
 * The checkout (or installed package) tspod runs from: `dist/` and `native/build/` live under it.
 * The nearest directory above this module with a package.json: this module is `src/paths.ts`,
 * `dist/paths.js`, or a chunk of the CLI bundle in `dist/chunks/`.
 */
export const PACKAGE_DIR = packageDir(path.dirname(fileURLToPath(import.meta.url)));

function packageDir(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..');
  }
}

/** The static infra program built from native/pause.c. */
export const PAUSE_BINARY = process.env.TSPOD_PAUSE ?? path.join(PACKAGE_DIR, 'native', 'build', 'tspod-pause');
/** The static exec helper built from native/exec-helper.c; the addon runs a sealed memfd copy of it. */
export const EXEC_HELPER = path.join(PACKAGE_DIR, 'native', 'build', 'tspod-exec');
/** The log monitor built from native/monitor.c: one per container instance writes its CRI log. */
export const MONITOR_BINARY = path.join(PACKAGE_DIR, 'native', 'build', 'tspod-monitor');

export function imagesDir(roots: Roots): string {
  return path.join(roots.root, 'images');
}

/**
 * `parent/name`, refused unless it is a direct child of `parent`: never `parent` itself (`.`, the
 * empty name), never above it (`..`), never deeper (`/`), never a name the kernel would cut at a
 * NUL byte. A second wall behind the pod-name check (pods/pod-name.ts): every pod directory is
 * built here, and `tspod rm` removes what is built here recursively.
 */
export function childDir(parent: string, name: string, what = 'pod'): string {
  const refuse = (why: string) =>
    new Error(`refusing to build a ${what} directory for the name ${JSON.stringify(name)}: ${why}`);
  if (typeof name !== 'string' || name === '' || name === '.' || name === '..') throw refuse('not a name');
  if (name.includes('/') || name.includes('\0')) throw refuse('a name is one path component');
  const dir = path.join(parent, name);
  if (path.resolve(path.dirname(dir)) !== path.resolve(parent)) throw refuse(`not directly under ${parent}`);
  return dir;
}

/** `<root>/volumes/NAME/_data`: a named local volume (persistentVolumeClaim), as podman lays them out. */
export function claimDir(roots: Roots, name: string): string {
  return path.join(childDir(path.join(roots.root, 'volumes'), name, 'volume'), '_data');
}

export function podDataDir(roots: Roots, pod: string): string {
  return childDir(path.join(roots.root, 'pods'), pod);
}

export function podRunDir(roots: Roots, pod: string): string {
  return childDir(path.join(roots.runRoot, 'pods'), pod);
}
