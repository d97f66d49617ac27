/**
 * Image references: the `image:` of a container, `NAME[:TAG]`.
 *
 * A reference is a local label in tspod's store, nothing more: tspod never pulls, so a name is not
 * a promise about where an image came from. The grammar follows the distribution reference rules
 * that Kubernetes users already write (lower-case path components separated by `/`, an optional
 * first component that looks like a host, `[:port]` included; a tag of up to 128 word characters,
 * dots and dashes; `latest` when none is given), so every name that works in a manifest elsewhere
 * parses here. Names are taken literally: `docker.io/library/nginx` and `nginx` are two different
 * names (there is no registry whose defaults could make them equal). Digest references
 * (`name@sha256:...`) name content in a registry, which tspod does not have, and are refused.
 */

export const DEFAULT_TAG = 'latest';

export interface ImageRef {
  name: string;
  tag: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const MAX_NAME = 255;

/** Parses `NAME[:TAG]`; throws an error that quotes the reference and says what is wrong. */
export function parseRef(ref: string): ImageRef {
  const bad = (why: string) => new Error(`invalid image reference "${ref}": ${why}`);
  if (ref.includes('@')) throw bad('digest references are not supported; use NAME[:TAG]');
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const hasTag = colon > slash;
  const name = hasTag ? ref.slice(0, colon) : ref;
  const tag = hasTag ? ref.slice(colon + 1) : DEFAULT_TAG;
  if (!TAG.test(tag)) throw bad(`tag "${tag}" must be 1 to 128 letters, digits, "_", "." or "-", not starting with "." or "-"`);
  checkName(name, bad);
  return { name, tag };
}

function checkName(name: string, bad: (why: string) => Error): void {
  if (name === '') throw bad('the name is empty');
  if (name.length > MAX_NAME) throw bad(`the name is longer than ${MAX_NAME} characters`);
  const parts = name.split('/');
  const first = parts[0];
  const firstIsDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (firstIsDomain && !DOMAIN.test(first)) throw bad(`"${first}" is not a valid host name`);
  for (const part of firstIsDomain ? parts.slice(1) : parts) {
    if (!COMPONENT.test(part)) {
      throw bad(`name component "${part}" must be lower-case letters and digits, separated by ".", "_", "__" or "-"`);
    }
  }
}

export function formatRef(ref: ImageRef): string {
  return `${ref.name}:${ref.tag}`;
}

/** `nginx` → `nginx:latest`; throws on an invalid reference. */
export function normalizeRef(ref: string): string {
  return formatRef(parseRef(ref));
}
