/**
 * Registry credentials, from the files docker, podman and the kubelet already use.
 *
 * A docker-style `config.json` maps registry hosts to credentials: `auths[host].auth` (base64 of
 * `user:password`) or `username`/`password`; `credHelpers[host]` or `credsStore` name a credential
 * helper, the program `docker-credential-<name>`, which answers `get` with the host on stdin and
 * `{"Username", "Secret"}` on stdout. Docker Hub's key is `https://index.docker.io/v1/`. The files
 * read, first match wins: the pod's `imagePullSecrets` (Secrets of type
 * `kubernetes.io/dockerconfigjson`, whose `.dockerconfigjson` is such a file), then
 * `REGISTRY_AUTH_FILE` (podman's variable), then `$DOCKER_CONFIG/config.json`, else
 * `$HOME/.docker/config.json`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_REGISTRY } from '../image/ref.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** Where credentials may come from, in order; each a parsed config.json and its origin. */
export type CredentialSources = { config: DockerConfig; from: string }[];

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
    if (typeof doc !== 'object' || doc === null) throw new Error('not an object');
    return doc;
  } catch (cause) {
    throw new Error(`registry credentials in ${from} are not a valid docker config.json`, { cause });
  }
}

/** The keys a registry may be found under: `host`, `https://host`, `https://host/v1/`, Docker Hub's. */
function keysFor(registry: string): string[] {
  const keys = [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
  if (registry === DEFAULT_REGISTRY) keys.unshift('https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io');
  return keys;
}

/** The credentials for `registry`, or undefined for an anonymous pull. */
export function credentialsFor(registry: string, sources: CredentialSources): Credentials | undefined {
  for (const { config, from } of sources) {
    const helper = config.credHelpers?.[registry] ?? config.credsStore;
    if (config.credHelpers?.[registry]) return fromHelper(helper as string, registry, from);
    for (const key of keysFor(registry)) {
      const a = config.auths?.[key];
      if (!a) continue;
      if (a.username !== undefined && a.password !== undefined) return { username: a.username, password: a.password };
      if (a.auth) return decodeAuth(a.auth, `${from}: auths["${key}"].auth`);
    }
    if (config.credsStore) {
      const c = fromHelper(config.credsStore, registry, from, true);
      if (c) return c;
    }
  }
  return undefined;
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
