/**
 * Image references, `[REGISTRY/]PATH[:TAG][@DIGEST]`, read exactly as containerd and docker read
 * them (the distribution project's reference grammar and its "normalised named" rules).
 *
 * A reference names a repository in a registry, and either a tag in it (a movable label) or a
 * digest (the sha256 of one manifest, so the content itself). What a user writes is short; the
 * name it stands for is not:
 *
 * - a first path component is a registry host when it contains `.` or `:`, is `localhost`, or has
 *   an upper-case letter; otherwise the registry is `docker.io` (and `index.docker.io` is
 *   `docker.io` too);
 * - on `docker.io` a single-component path is an official image under `library/`;
 * - no tag and no digest means the tag `latest`; a digest alone means no tag at all, and with both
 *   (`name:tag@sha256:...`) the digest decides what is pulled and the tag is only kept.
 *
 * So `nginx`, `library/nginx` and `docker.io/library/nginx:latest` are one image, and the store
 * keys images by the normalised form while showing what the manifest said next to it.
 */
import { parseDigest } from './digest.js';
import { nth } from '../checked.js';

export const DEFAULT_TAG = 'latest';
export const DEFAULT_REGISTRY = 'docker.io';
const LEGACY_REGISTRY = 'index.docker.io';
const OFFICIAL_NAMESPACE = 'library';

export interface ImageRef {
  /** registry host, with `:port` when given: `docker.io`, `localhost:5000` */
  registry: string;
  /** repository path within the registry: `library/nginx` */
  path: string;
  /** `registry/path`: the repository's full name */
  name: string;
  /** undefined only when a digest is given without a tag */
  tag?: string;
  /** `sha256:<hex>` of the manifest, when pinned */
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
// A host name (dot-separated labels) with an optional port, or a bracketed IPv6 address with an optional port.
const LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const DOMAIN = new RegExp(`^(?:${LABEL})(?:\\.${LABEL})*(?::[0-9]+)?$|^\\[[0-9a-fA-F:.]+\\](?::[0-9]+)?$`);

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const MAX_NAME = 255;

/** Parses and normalises a reference; throws an error that quotes it and says what is wrong. */
export function parseRef(ref: string): ImageRef {
  const bad = (why: string) => new Error(`invalid image reference "${ref}": ${why}`);
  if (ref === '') throw bad('the name is empty');
  const at = ref.indexOf('@');
  const digest = at >= 0 ? checkDigest(ref.slice(at + 1), bad) : undefined;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  const hasTag = colon > slash;
  const written = hasTag ? rest.slice(0, colon) : rest;
  const tag = hasTag ? rest.slice(colon + 1) : digest ? undefined : DEFAULT_TAG;
  if (tag !== undefined && !TAG.test(tag))
    throw bad(`tag "${tag}" must be 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"`);
  const { registry, path } = splitRegistry(written, bad);
  const name = `${registry}/${path}`;
  if (name.length > MAX_NAME) throw bad(`the name is longer than ${MAX_NAME} characters`);
  return { registry, path, name, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

function checkDigest(text: string, bad: (why: string) => Error): string {
  try {
    parseDigest(text, 'digest');
    return text;
  } catch {
    throw bad(`digest "${text}" must be sha256: and 64 hex digits (or sha512: and 128)`);
  }
}

function splitRegistry(written: string, bad: (why: string) => Error): { registry: string; path: string } {
  if (written === '') throw bad('the name is empty');
  const parts = written.split('/');
  const first = nth(parts, 0); // split gives at least one part
  const isRegistry = parts.length > 1 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase());
  let registry = isRegistry ? first : DEFAULT_REGISTRY;
  if (isRegistry && !DOMAIN.test(first)) throw bad(`"${first}" is not a valid registry host name`);
  if (registry === LEGACY_REGISTRY) registry = DEFAULT_REGISTRY;
  const pathParts = isRegistry ? parts.slice(1) : parts;
  for (const part of pathParts) {
    if (part !== part.toLowerCase() && COMPONENT.test(part.toLowerCase()))
      throw bad('repository name must be lowercase');
    if (!COMPONENT.test(part)) {
      throw bad(`name component "${part}" must be lower-case letters and digits, separated by ".", "_", "__" or "-"`);
    }
  }
  if (registry === DEFAULT_REGISTRY && pathParts.length === 1) pathParts.unshift(OFFICIAL_NAMESPACE);
  return { registry, path: pathParts.join('/') };
}

/** The normalised reference: `docker.io/library/nginx:latest`, `host/a@sha256:...`, both when both. */
export function formatRef(ref: ImageRef): string {
  return `${ref.name}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** `nginx` → `docker.io/library/nginx:latest`; throws on an invalid reference. */
export function normalizeRef(ref: string): string {
  return formatRef(parseRef(ref));
}

/** The reference of a tag: `name:tag`, without any digest (what the store keys tags by). */
export function tagRef(ref: ImageRef): string | undefined {
  return ref.tag !== undefined ? `${ref.name}:${ref.tag}` : undefined;
}

/** `name@digest`: how a manifest digest is recorded (a "repo digest"). */
export function digestRef(name: string, digest: string): string {
  return `${name}@${digest}`;
}

/**
 * The short form docker prints: `docker.io/library/nginx:1.25` → `nginx:1.25`,
 * `docker.io/user/app` → `user/app`; names on other registries are unchanged.
 */
export function familiarName(name: string): string {
  const prefix = `${DEFAULT_REGISTRY}/`;
  if (!name.startsWith(prefix)) return name;
  const p = name.slice(prefix.length);
  return p.startsWith(`${OFFICIAL_NAMESPACE}/`) && p.split('/').length === 2
    ? p.slice(OFFICIAL_NAMESPACE.length + 1)
    : p;
}
