/**
 * Which servers a registry name stands for, and how to talk to them: the host configuration.
 *
 * A reference names a registry (`docker.io`, `registry.k8s.io`, `127.0.0.1:5000`); the server
 * behind it is `https://<name>` except for Docker Hub, whose API lives at
 * `https://registry-1.docker.io`. A host may change that in `/etc/tspod/registries.json` (or the
 * file `TSPOD_REGISTRIES_CONFIG` names), one entry per registry, `"*"` for every other one:
 *
 * ```json
 * { "registries": {
 *     "docker.io":      { "mirrors": ["https://mirror.internal:5000"] },
 *     "127.0.0.1:5443": { "ca": "/etc/tspod/certs/local-ca.pem" },
 *     "localhost:5000": { "insecure": true },
 *     "*":              { "blocked": true } } }
 * ```
 *
 * - `mirrors`: servers tried first, in order, with the same repository paths (as containerd's
 *   `hosts.toml`); the registry itself is tried last. A mirror's own entry gives its `ca`.
 * - `insecure`: plain HTTP instead of HTTPS (a registry on a trusted loopback or lab network).
 * - `ca`: a PEM file of certificate authorities to trust for this server, besides the usual ones;
 *   a token server or blob storage a registry sends tspod to is trusted by its own entry (`host:port`).
 * - `blocked`: never contact this registry. A pull that needs it fails as an unreachable registry
 *   does, so a pod whose image is in the store still runs (ARCHITECTURE §13); an offline host or a
 *   test run blocks `"*"`.
 */
import fs from 'node:fs';
import { DEFAULT_REGISTRY } from '../image/ref.js';

export const DEFAULT_CONFIG = '/etc/tspod/registries.json';
const DOCKER_HUB_API = 'registry-1.docker.io';

export interface RegistryHost {
  registry: string;
  mirrors: string[];
  insecure: boolean;
  ca?: string;
  blocked: boolean;
}

/** One server to try: its base URL and how to trust it. */
export interface Endpoint {
  /** `https://registry-1.docker.io` */
  url: string;
  /** the registry this endpoint serves (for credentials and messages) */
  registry: string;
  /**
   * The authority to trust, besides the usual ones, for a host this endpoint leads to: itself, its
   * token server, the storage it redirects to. Each host's own `ca` entry (by `host:port`), so a
   * registry's private authority is never what vouches for a public token server or the reverse.
   */
  trust: (host: string) => Buffer | undefined;
  mirror: boolean;
}

type Entry = Partial<Omit<RegistryHost, 'registry'>>;

export class HostConfig {
  constructor(
    private readonly entries: Record<string, Entry>,
    readonly file?: string,
  ) {}

  /** Reads the configuration file (`TSPOD_REGISTRIES_CONFIG`, else /etc/tspod/registries.json). */
  static load(env = process.env): HostConfig {
    const file = env.TSPOD_REGISTRIES_CONFIG || DEFAULT_CONFIG;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !env.TSPOD_REGISTRIES_CONFIG) return new HostConfig({});
      throw new Error(`reading the registry configuration ${file}`, { cause: err });
    }
    return new HostConfig(parseHostConfig(text, file), file);
  }

  host(registry: string): RegistryHost {
    const e = this.entries[registry] ?? this.entries['*'] ?? {};
    return { registry, mirrors: e.mirrors ?? [], insecure: e.insecure ?? false, ca: e.ca, blocked: e.blocked ?? false };
  }

  /** The servers to try for `registry`, mirrors first; empty when the registry is blocked. */
  endpoints(registry: string): Endpoint[] {
    const h = this.host(registry);
    if (h.blocked) return [];
    const read = new Map<string, Buffer | undefined>();
    const trust = (host: string) => {
      if (!read.has(host)) read.set(host, this.caOf(this.host(host)));
      return read.get(host);
    };
    const mirrors = h.mirrors.map((url) => ({ url: url.replace(/\/+$/, ''), registry, trust, mirror: true }));
    const server = registry === DEFAULT_REGISTRY ? DOCKER_HUB_API : registry;
    return [...mirrors, { url: `${h.insecure ? 'http' : 'https'}://${server}`, registry, trust, mirror: false }];
  }

  private caOf(h: RegistryHost): Buffer | undefined {
    if (!h.ca) return undefined;
    try {
      return fs.readFileSync(h.ca);
    } catch (cause) {
      throw new Error(
        `registry "${h.registry}": cannot read its ca file ${h.ca}${this.file ? ` (from ${this.file})` : ''}`,
        { cause },
      );
    }
  }
}

/** Validates the file's content: each field named by its path when wrong. */
export function parseHostConfig(text: string, file: string): Record<string, Entry> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    throw new Error(`the registry configuration ${file} is not valid JSON`, { cause });
  }
  const regs = (doc as { registries?: unknown })?.registries;
  if (typeof regs !== 'object' || regs === null || Array.isArray(regs))
    throw new Error(`${file}: "registries" must be an object`);
  const out: Record<string, Entry> = {};
  for (const [name, v] of Object.entries(regs as Record<string, unknown>)) {
    const at = `${file}: registries["${name}"]`;
    if (typeof v !== 'object' || v === null) throw new Error(`${at} must be an object`);
    const e = v as Record<string, unknown>;
    for (const k of Object.keys(e))
      if (!['mirrors', 'insecure', 'ca', 'blocked'].includes(k)) throw new Error(`${at}.${k}: unknown field`);
    if (
      e.mirrors !== undefined &&
      !(Array.isArray(e.mirrors) && e.mirrors.every((m) => typeof m === 'string' && /^https?:\/\/[^/]+\/?$/.test(m)))
    ) {
      throw new Error(`${at}.mirrors must be a list of http:// or https:// server URLs`);
    }
    for (const k of ['insecure', 'blocked'])
      if (e[k] !== undefined && typeof e[k] !== 'boolean') throw new Error(`${at}.${k} must be true or false`);
    if (e.ca !== undefined && typeof e.ca !== 'string') throw new Error(`${at}.ca must be a file path`);
    out[name] = e as Entry;
  }
  return out;
}
