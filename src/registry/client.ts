/**
 * Talking to one repository on a registry, as the OCI distribution specification says.
 *
 * Everything is a GET under `/v2/<repository>/`: `manifests/<tag or digest>` and
 * `blobs/<digest>`. Authentication is a challenge: a request without credentials is answered
 * `401` with `WWW-Authenticate`, either `Basic realm=...` (send the user and password) or
 * `Bearer realm=...,service=...,scope=...` (the token flow: ask the `realm` URL for a token for
 * that `service` and `scope` — `repository:<name>:pull` —, anonymously or with the user and
 * password as Basic auth, and send it as `Authorization: Bearer <token>`). Tokens are per scope,
 * kept for this client's repository, and fetched again when a request is refused with one.
 * An error answer carries `{"errors":[{"code","message"}]}`, which is shown as the registry wrote it.
 */
import type { Credentials } from './credentials.js';
import type { Endpoint } from './hosts.js';
import { readBody, send, type Response } from './http.js';
import { groups } from '../checked.js';

export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

export class RepositoryClient {
  private authorization?: string;

  constructor(
    readonly endpoint: Endpoint,
    readonly repository: string,
    private readonly creds?: Credentials,
    private readonly signal?: AbortSignal,
  ) {}

  /** GET `/v2/<repository>/<kind>/<reference>`; an error status is thrown as a RegistryError. */
  async get(kind: 'manifests' | 'blobs', reference: string, accept?: string[]): Promise<Response> {
    const url = `${this.endpoint.url}/v2/${this.repository}/${kind}/${reference}`;
    const headers: Record<string, string> = accept ? { accept: accept.join(', ') } : {};
    let res = await this.send(url, headers);
    if (res.status === 401) {
      const challenge = parseChallenge(String(res.headers['www-authenticate'] ?? ''));
      const body = await readBody(res).catch(() => Buffer.alloc(0));
      if (!challenge) throw this.error(res, body, `${kind} ${reference}`);
      this.authorization = await this.authorize(challenge);
      res = await this.send(url, headers);
    }
    if (res.status >= 400)
      throw this.error(res, await readBody(res).catch(() => Buffer.alloc(0)), `${kind} ${reference}`);
    return res;
  }

  private send(url: string, headers: Record<string, string>): Promise<Response> {
    const all: Record<string, string> = { 'user-agent': 'tspod', ...headers };
    if (this.authorization) all.authorization = this.authorization;
    return send({ url, headers: all, trust: this.endpoint.trust, signal: this.signal });
  }

  private async authorize(c: Challenge): Promise<string> {
    const basic = this.creds
      ? `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}`
      : undefined;
    if (c.scheme === 'basic') {
      if (!basic)
        throw new RegistryError(
          `${this.where()}: the registry asks for a user and password (unauthorized); ` +
            "give credentials (a docker-style config.json, or the pod's imagePullSecrets)",
          401,
          'UNAUTHORIZED',
        );
      return basic;
    }
    if (c.scheme !== 'bearer' || !c.params.realm)
      throw new RegistryError(`${this.where()}: unsupported authentication "${c.scheme}"`, 401);
    const realm = new URL(c.params.realm);
    if (c.params.service) realm.searchParams.set('service', c.params.service);
    realm.searchParams.set('scope', c.params.scope ?? `repository:${this.repository}:pull`);
    const headers: Record<string, string> = { 'user-agent': 'tspod' };
    if (basic) headers.authorization = basic;
    const res = await send({ url: realm.href, headers, trust: this.endpoint.trust, signal: this.signal });
    const body = await readBody(res);
    if (res.status >= 400) throw this.error(res, body, `token from ${realm.host}`);
    let token: unknown;
    try {
      const doc = JSON.parse(body.toString('utf8')) as { token?: unknown; access_token?: unknown };
      token = doc.token ?? doc.access_token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || token === '')
      throw new RegistryError(`${this.where()}: the token server ${realm.host} answered without a token`, res.status);
    return `Bearer ${token}`;
  }

  private where(): string {
    return (
      `registry ${this.endpoint.registry}${this.endpoint.mirror ? ` (mirror ${this.endpoint.url})` : ''}, ` +
      `repository ${this.repository}`
    );
  }

  /** The registry's own words: `manifest unknown (MANIFEST_UNKNOWN)`, else the HTTP status. */
  private error(res: Response, body: Buffer, what: string): RegistryError {
    let code: string | undefined;
    let message = `HTTP ${res.status}`;
    try {
      const doc = JSON.parse(body.toString('utf8')) as {
        errors?: { code?: string; message?: string; detail?: unknown }[];
        details?: string;
      };
      const first = doc.errors?.[0];
      if (first) {
        code = first.code;
        message = `${first.message ?? first.code}${first.code ? ` (${first.code})` : ''}`;
      } else if (doc.details) message = doc.details;
    } catch {
      const text = body.toString('utf8').trim().split('\n')[0];
      if (text && text.length < 200) message = `${message}: ${text}`;
    }
    if (res.status === 429 && !code) message = `too many requests (rate limited): ${message}`;
    return new RegistryError(`${this.where()}: ${what}: ${message}`, res.status, code);
  }
}

/** `Bearer realm="https://auth",service="registry",scope="repository:a:pull"` → its parts. */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*(\w+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const [scheme, rest] = groups(m, 1, 2);
  const params: Record<string, string> = {};
  const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (let p = re.exec(rest); p; p = re.exec(rest))
    params[groups(p, 1)[0].toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme: scheme.toLowerCase(), params };
}
