/**
 * One HTTP exchange with a registry server, on Node's own `http`/`https` modules (they take a CA
 * per request, which the built-in `fetch` does not).
 *
 * Redirects are followed here, by hand, because of what they carry: a registry often answers a blob
 * request with a redirect to object storage on another host, and the `Authorization` header meant
 * for the registry must not go there (it would hand the registry's token to a third party), so a
 * redirect to another origin drops it. A server that does not answer within the timeout, refuses
 * the connection or has no address is *unreachable* (`RegistryUnreachable`), which the pull policy
 * treats differently from a registry that answered "no".
 */
import type http from 'node:http';
import type https from 'node:https';

const MAX_REDIRECTS = 5;
const CONNECT_TIMEOUT_MS = Number(process.env.TSPOD_REGISTRY_TIMEOUT_MS ?? 15_000);
const UNREACHABLE = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
  'EPIPE',
  'EADDRNOTAVAIL',
]);

/** The registry could not be reached at all (as opposed to answering with an error). */
export class RegistryUnreachable extends Error {}

export interface Request {
  url: string;
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /**
   * Certificate authorities to trust for a server, besides the usual ones: by host, because a
   * redirect may lead to another server with trust of its own (none: the usual ones only).
   */
  trust?: (host: string) => Buffer | undefined;
  signal?: AbortSignal;
}

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** the URL that answered, after redirects */
  url: string;
  body: http.IncomingMessage;
}

export async function send(req: Request): Promise<Response> {
  let url = new URL(req.url);
  let headers = { ...req.headers };
  for (let hops = 0; ; hops++) {
    const res = await once({ ...req, url: url.href, headers });
    if (![301, 302, 303, 307, 308].includes(res.status) || !res.headers.location) return res;
    res.body.resume();
    if (hops >= MAX_REDIRECTS) throw new Error(`${req.url}: more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(res.headers.location, url);
    // Credentials are for the registry only, never for the storage it redirects to.
    if (next.origin !== url.origin)
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
    url = next;
  }
}

function once(req: Request): Promise<Response> {
  const url = new URL(req.url);
  // Loaded on the first request, not with every command that might pull (issue 15: a run whose
  // images are all in the store never loads Node's HTTP, TLS and HTTPS modules).
  const mod: typeof http | typeof https = process.getBuiltinModule(
    url.protocol === 'http:' ? 'node:http' : 'node:https',
  );
  const tls = process.getBuiltinModule('node:tls');
  return new Promise((resolve, reject) => {
    // A `ca` replaces Node's own roots, so they are given again beside the host's own authority.
    const ca = req.trust?.(url.host);
    const r = mod.request(
      url,
      {
        method: req.method ?? 'GET',
        headers: req.headers,
        ...(ca ? { ca: [...tls.rootCertificates, ca.toString('utf8')] } : {}),
        signal: req.signal,
      },
      (res) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, url: url.href, body: res });
      },
    );
    r.setTimeout(CONNECT_TIMEOUT_MS, () =>
      r.destroy(Object.assign(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' })),
    );
    r.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code && UNREACHABLE.has(err.code))
        reject(new RegistryUnreachable(`cannot reach ${url.host}: ${err.code} ${err.message}`, { cause: err }));
      else reject(new Error(`${url.host}: ${err.message}`, { cause: err }));
    });
    r.end(req.body);
  });
}

/** The whole body, refused past `limit` bytes (manifests, tokens, error documents). */
export async function readBody(res: Response, limit = 4 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.body.destroy();
      throw new Error(`${res.url}: the answer is larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
