/**
 * The OCI image configuration: what an image says about how to run it.
 *
 * An image is a root filesystem plus a small JSON document (the OCI image spec's "config", which
 * `docker inspect` shows): the default process (`Entrypoint` + `Cmd`), its environment, working
 * directory and user, the ports it listens on and the signal that stops it gracefully. The same
 * document lists the layers' *diff IDs* (sha256 of each uncompressed layer), which is how an
 * importer proves that the filesystem it unpacked is the one the config describes. The sha256 of
 * the config's exact bytes is the image's ID, as in Docker and containerd.
 *
 * Only the fields a pod uses are kept in `ImageConfig`; the whole document is stored untouched.
 * `Volumes`, `Healthcheck`, `Labels` and `OnBuild` are not used by tspod (a Kubernetes pod declares
 * its volumes and probes itself).
 */
import type { ImageConfig } from '../manifest/types.js';
import { groups } from '../checked.js';

export type { ImageConfig };

export interface ParsedImageConfig {
  config: ImageConfig;
  created?: string;
  architecture?: string;
  os?: string;
  /** `sha256:...` of each uncompressed layer, bottom first */
  diffIds: string[];
}

const STRING_LISTS = ['Entrypoint', 'Cmd', 'Env'] as const;
const STRINGS = ['WorkingDir', 'User', 'StopSignal'] as const;

/** Reads and checks an OCI image config; `what` names the document in errors. */
export function parseImageConfig(bytes: Buffer, what: string): ParsedImageConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new Error(`${what} is not valid JSON`, { cause });
  }
  if (!isObject(doc)) throw new Error(`${what} is not a JSON object`);
  const rootfs = doc.rootfs;
  if (rootfs !== undefined && !isObject(rootfs)) throw new Error(`${what}: "rootfs" is not an object`);
  const diffIds = rootfs?.diff_ids ?? [];
  if (!isStringList(diffIds)) throw new Error(`${what}: "rootfs.diff_ids" is not a list of digests`);
  const runConfig = doc.config ?? doc.container_config ?? {};
  if (!isObject(runConfig)) throw new Error(`${what}: "config" is not an object`);
  return {
    config: pickRunConfig(runConfig, what),
    created: optionalString(doc.created, `${what}: "created"`),
    architecture: optionalString(doc.architecture, `${what}: "architecture"`),
    os: optionalString(doc.os, `${what}: "os"`),
    diffIds,
  };
}

/** Keeps the fields tspod uses; Docker writes `null` for unset ones, which reads as unset here. */
export function pickRunConfig(raw: Record<string, unknown>, what: string): ImageConfig {
  const out: ImageConfig = {};
  for (const key of STRING_LISTS) {
    const v = raw[key];
    if (v === undefined || v === null) continue;
    if (!isStringList(v)) throw new Error(`${what}: "config.${key}" is not a list of strings`);
    out[key] = v;
  }
  for (const key of STRINGS) {
    const v = raw[key];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') throw new Error(`${what}: "config.${key}" is not a string`);
    out[key] = v;
  }
  const ports = raw.ExposedPorts;
  if (ports !== undefined && ports !== null) {
    if (!isObject(ports)) throw new Error(`${what}: "config.ExposedPorts" is not an object`);
    out.ExposedPorts = ports as Record<string, object>;
  }
  for (const env of out.Env ?? []) {
    if (!env.includes('=')) throw new Error(`${what}: environment entry "${env}" has no "="`);
  }
  return out;
}

/** The config of an image imported from a plain root filesystem tarball: one layer, no process. */
export function rootfsTarballConfig(diffId: string, created: string): Buffer {
  const doc = {
    created,
    architecture: hostArchitecture(),
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, created_by: 'tspod image import (root filesystem tarball)' }],
  };
  return Buffer.from(JSON.stringify(doc));
}

const ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};

/** The OCI name (GOARCH) of this host's architecture. */
export function hostArchitecture(): string {
  return ARCH[process.arch] ?? process.arch;
}

/** Refuses an image built for another OS or CPU: its programs could not run here. */
export function checkPlatform(parsed: ParsedImageConfig, what: string, wanted?: Platform): void {
  const os = wanted?.os ?? 'linux';
  if (parsed.os !== undefined && parsed.os !== os) throw new Error(`${what} is for os "${parsed.os}", not ${os}`);
  const arch = wanted?.architecture ?? hostArchitecture();
  if (parsed.architecture !== undefined && parsed.architecture !== arch) {
    throw new Error(
      `${what} is for architecture "${parsed.architecture}", ${wanted ? 'not' : 'this host is'} "${arch}"`,
    );
  }
}

/** An OS and CPU an image is built for, as OCI writes them (`linux`, `arm64`, variant `v8`). */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Parses `OS/ARCH[/VARIANT]` (`linux/arm64`, `linux/arm/v7`); `what` names it in errors. */
export function parsePlatform(text: string, what: string): Platform {
  const m = /^([a-z0-9]+)\/([a-z0-9_]+)(?:\/([a-z0-9]+))?$/.exec(text);
  if (!m) throw new Error(`${what}: "${text}" is not OS/ARCH or OS/ARCH/VARIANT (e.g. linux/amd64)`);
  const [os, architecture] = groups(m, 1, 2);
  return { os, architecture, ...(m[3] ? { variant: m[3] } : {}) };
}

/** This host's platform. */
export function hostPlatform(): Platform {
  return { os: 'linux', architecture: hostArchitecture() };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

function optionalString(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Error(`${what} is not a string`);
  return v;
}
