/**
 * Registry credentials, from the files docker, podman and the kubelet already use, and which ones
 * apply to an image, as the kubelet's keyring decides.
 *
 * A docker-style `config.json` maps registry keys to credentials: `auths[key].auth` (base64 of
 * `user:password`) or `username`/`password`; `credHelpers[host]` or `credsStore` name a credential
 * helper, the program `docker-credential-<name>`, which answers `get` with the host on stdin and
 * `{"Username", "Secret"}` on stdout. A key is a host (`registry.example:5000`), a host and a path
 * (`registry.example/team`, for the repositories under it), a URL (`https://host/v1/`, Docker Hub's
 * legacy `https://index.docker.io/v1/`) or a glob of host labels (`*.example.com`).
 *
 * The sources, in the order they are tried: the pod's `imagePullSecrets` (registry/pull-secrets.ts),
 * then `REGISTRY_AUTH_FILE` (podman's variable), then `$DOCKER_CONFIG/config.json`, else
 * `$HOME/.docker/config.json`. Every key that matches the image gives a candidate, the more
 * specific key first within a source; a pull tries them in turn and moves to the next when the
 * registry refuses one (registry/pull.ts), as the kubelet tries each credential its keyring finds.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_REGISTRY } from '../image/ref.js';
import { groups } from '../checked.js';

export interface Credentials {
  username: string;
  password: string;
}

export type AuthEntry = { auth?: string; username?: string; password?: string };

export interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** Where credentials may come from, in order; each a parsed config.json and its origin. */
export type CredentialSources = { config: DockerConfig; from: string }[];

/** Credentials that apply to an image, and where they came from (for messages). */
export interface Candidate {
  creds: Credentials;
  from: string;
}

/** The config files of this host (REGISTRY_AUTH_FILE, DOCKER_CONFIG, ~/.docker), those that exist. */
export function hostCredentialSources(env = process.env): CredentialSources {
  const files = [
    env.REGISTRY_AUTH_FILE,
    path.join(env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker'), 'config.json'),
  ].filter((f): f is string => !!f);
  const out: CredentialSources = [];
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new Error(`reading registry credentials from ${file}`, { cause: err });
    }
    out.push({ config: parseDockerConfig(text, file), from: file });
  }
  return out;
}

export function parseDockerConfig(text: string, from: string): DockerConfig {
  try {
    const doc = JSON.parse(text) as DockerConfig;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not an object');
    return doc;
  } catch (cause) {
    throw new Error(`registry credentials in ${from} are not a valid docker config.json`, { cause });
  }
}

const DOCKER_HUB_KEY_HOSTS = ['index.docker.io', 'registry-1.docker.io', DEFAULT_REGISTRY];

/**
 * A key as the kubelet's keyring files it: scheme dropped, `/v1/` or `/v2/` meaning the host,
 * Docker Hub's hosts as `docker.io`. `https://index.docker.io/v1/` → `docker.io`.
 */
export function keyringKey(key: string): { host: string; path: string } | undefined {
  let url: URL;
  try {
    url = new URL(/^https?:\/\//.test(key) ? key : `https://${key}`);
  } catch {
    return undefined; // the kubelet ignores an entry it cannot parse
  }
  let p = decodeURIComponent(url.pathname);
  if (p.startsWith('/v1/') || p.startsWith('/v2/')) p = p.slice(3);
  if (p === '/') p = '';
  const host = DOCKER_HUB_KEY_HOSTS.includes(url.host) ? DEFAULT_REGISTRY : url.host;
  return { host, path: p };
}

/** Whether a key matches `registry/path` of an image: host labels as globs, the port exact, the path a prefix. */
export function keyMatches(key: { host: string; path: string }, registry: string, repoPath: string): boolean {
  const split = (h: string) => {
    const m = /^(.*?)(?::(\d+))?$/.exec(h) as RegExpExecArray;
    return { labels: groups(m, 1)[0].split('.'), port: m[2] ?? '' };
  };
  const g = split(key.host);
  const t = split(registry);
  if (g.port !== t.port || g.labels.length !== t.labels.length) return false;
  if (!`/${repoPath}`.startsWith(key.path)) return false;
  return g.labels.every((label, i) => globLabel(label).test(t.labels[i] as string));
}

/** A host label pattern as filepath.Match reads it: `*` any run, `?` one character, `[...]` a class. */
function globLabel(label: string): RegExp {
  const re = label
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '[^.]*')
    .replace(/\?/g, '[^.]');
  return new RegExp(`^${re}$`);
}

/** Every candidate for an image on `registry` at `repoPath`, in the order to try them. */
export function credentialCandidates(registry: string, repoPath: string, sources: CredentialSources): Candidate[] {
  const out: Candidate[] = [];
  for (const { config, from } of sources) {
    const helper = config.credHelpers?.[registry];
    if (helper) {
      out.push({
        creds: fromHelper(helper, registry, from) as Credentials,
        from: `${from} (credential helper ${helper})`,
      });
      continue;
    }
    const keys = Object.keys(config.auths ?? {})
      .map((k) => ({ k, key: keyringKey(k) }))
      .filter(
        (e): e is { k: string; key: { host: string; path: string } } =>
          !!e.key && keyMatches(e.key, registry, repoPath),
      )
      // more specific first, as the kubelet's reverse-sorted index; equal keys in the file's order
      .sort((a, b) => {
        const [x, y] = [`${a.key.host}${a.key.path}`, `${b.key.host}${b.key.path}`];
        return x === y ? 0 : x < y ? 1 : -1;
      });
    for (const { k } of keys)
      out.push({ creds: entryCredentials(config.auths![k] as AuthEntry, `${from}: auths["${k}"]`), from });
    if (keys.length === 0 && config.credsStore) {
      const c = fromHelper(config.credsStore, registry, from, true);
      if (c) out.push({ creds: c, from: `${from} (credential helper ${config.credsStore})` });
    }
  }
  return out;
}

/** The first candidate's credentials: what a single-credential pull uses. */
export function credentialsFor(registry: string, sources: CredentialSources, repoPath = ''): Credentials | undefined {
  return credentialCandidates(registry, repoPath, sources)[0]?.creds;
}

/** `auth` (base64 of `user:password`) wins over `username`/`password`, as the kubelet decodes it. */
function entryCredentials(a: AuthEntry, what: string): Credentials {
  if (typeof a !== 'object' || a === null) throw new Error(`${what} must be an object`);
  if (a.auth) return decodeAuth(a.auth, `${what}.auth`);
  return { username: a.username ?? '', password: a.password ?? '' };
}

function decodeAuth(auth: string, what: string): Credentials {
  const text = Buffer.from(auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) throw new Error(`${what} is not base64 of "user:password"`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Asks `docker-credential-<name> get`; a helper that knows nothing (`credsStore`) is not an error. */
function fromHelper(name: string, registry: string, from: string, optional = false): Credentials | undefined {
  const cmd = `docker-credential-${name}`;
  const res = spawnSync(cmd, ['get'], { input: registry, encoding: 'utf8', timeout: 30_000 });
  if (res.error || res.status !== 0) {
    if (optional) return undefined;
    const why = res.error ? res.error.message : (res.stdout || res.stderr).trim() || `exit status ${res.status}`;
    throw new Error(`credential helper ${cmd} (from ${from}) gave no credentials for ${registry}: ${why}`);
  }
  const doc = JSON.parse(res.stdout) as { Username?: string; Secret?: string };
  if (typeof doc.Secret !== 'string') throw new Error(`credential helper ${cmd} answered without a "Secret"`);
  return { username: doc.Username ?? '', password: doc.Secret };
}
