/**
 * A loopback front for the real registry (registry-helpers.ts), for what the registry itself cannot
 * be made to do: every request is passed through to it unchanged (TLS on both sides, the client's
 * own Authorization), while the front counts blob GETs and, on demand,
 *
 * - answers blob GETs with a redirect to "blob storage": a second server on another port (another
 *   origin, as S3 or a CDN is), reached by a one-use URL that stands for the request, as a
 *   presigned URL does; the storage server fetches the blob from the registry itself and records
 *   every Authorization header a client sends it (there must be none);
 * - answers a manifest request with another manifest, as a compromised registry or mirror might;
 * - delivers a blob slowly, so that a pull's progress can be watched;
 * - answers 429 Too Many Requests, as a registry enforcing a pull rate limit does;
 * - cuts a blob's transfer half-way once (the connection closed), or stalls it half-way (the bytes
 *   stop, the connection stays open) so that the test can kill the pulling process mid-transfer.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';

export interface Front {
  /** `127.0.0.1:PORT`: use it as the registry's name */
  host: string;
  /** the storage server's `127.0.0.1:PORT` */
  storageHost: string;
  /** GETs of `/v2/<repo>/blobs/<digest>`, per digest */
  blobGets: Map<string, number>;
  redirect: boolean;
  /** Authorization headers that reached the storage server */
  storageAuth: string[];
  /** digests delivered from the storage server */
  storageGets: string[];
  cutOnce: Set<string>;
  stall: Set<string>;
  /** digests delivered slowly: 16 KiB every 40 ms (so that progress can be watched) */
  slow: Set<string>;
  /** manifest references answered with another reference's manifest (a registry that lies) */
  manifestAs: Map<string, string>;
  /** answer every request 429 with this message, as a rate-limited registry does */
  rateLimit?: string;
  /** the most blob transfers in progress at once */
  maxInFlight: number;
  /** called when a stalled transfer has sent its first half */
  onStall?: (digest: string) => void;
  close: () => Promise<void>;
}

const BLOB = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/;
const MANIFEST = /^\/v2\/(.+)\/manifests\/([^/?]+)$/;

/** With `plain`, the front itself speaks plain HTTP (a registry the host configuration marks `insecure`). */
export async function startFront(
  upstream: string,
  ca: string,
  tls: { cert: string; key: string },
  o: { plain?: boolean } = {},
): Promise<Front> {
  const caPem = fs.readFileSync(ca);
  const opts = { cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) };
  const pending = new Map<string, { path: string; headers: http.IncomingHttpHeaders; digest: string }>();
  const sockets = new Set<net.Socket>();
  const front: Front = {
    host: '',
    storageHost: '',
    blobGets: new Map(),
    redirect: false,
    storageAuth: [],
    storageGets: [],
    cutOnce: new Set(),
    stall: new Set(),
    slow: new Set(),
    manifestAs: new Map(),
    maxInFlight: 0,
    close: async () => undefined,
  };
  const toRegistry = (path: string, method: string, headers: http.IncomingHttpHeaders) =>
    new Promise<http.IncomingMessage>((resolve, reject) => {
      const r = https.request(
        {
          host: '127.0.0.1',
          port: Number(upstream.split(':')[1]),
          path,
          method,
          ca: caPem,
          headers: { ...headers, host: upstream },
        },
        resolve,
      );
      r.on('error', reject);
      r.end();
    });
  let inFlight = 0;
  const deliver = (up: http.IncomingMessage, res: http.ServerResponse, digest: string | undefined) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    if (digest !== undefined) {
      front.maxInFlight = Math.max(front.maxInFlight, ++inFlight);
      res.on('close', () => inFlight--);
    }
    const cut = digest !== undefined && up.statusCode === 200 && front.cutOnce.delete(digest);
    const stall = digest !== undefined && up.statusCode === 200 && front.stall.has(digest);
    if (digest !== undefined && front.slow.has(digest)) return void trickle(up, res);
    if (!cut && !stall) return void up.pipe(res);
    const half = Number(up.headers['content-length'] ?? 0) >> 1;
    let sent = 0;
    up.on('data', (chunk: Buffer) => {
      if (sent >= half) return;
      const part = chunk.subarray(0, half - sent);
      sent += part.length;
      res.write(part);
      if (sent < half) return;
      up.destroy();
      if (cut) res.socket?.destroy();
      else front.onStall?.(digest as string);
    });
  };
  const storage = https.createServer(opts, (req, res) => {
    if (req.headers.authorization) front.storageAuth.push(req.headers.authorization);
    const id = /^\/storage\/([0-9a-f-]+)$/.exec(req.url ?? '')?.[1];
    const p = id ? pending.get(id) : undefined;
    if (!p) return void res.writeHead(404).end('no such object');
    pending.delete(id as string);
    front.storageGets.push(p.digest);
    toRegistry(p.path, 'GET', p.headers).then(
      (up) => deliver(up, res, p.digest),
      () => res.writeHead(502).end(),
    );
  });
  const api = (o.plain ? http.createServer : https.createServer)(opts, (req, res) => {
    if (front.rateLimit) {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '60' });
      return void res.end(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: front.rateLimit }] }));
    }
    const digest = req.method === 'GET' ? BLOB.exec((req.url ?? '').split('?')[0] as string)?.[2] : undefined;
    if (digest) front.blobGets.set(digest, (front.blobGets.get(digest) ?? 0) + 1);
    if (digest && front.redirect) {
      // What the registry would sign into a storage URL: which object, and that it may be read.
      const id = crypto.randomUUID();
      pending.set(id, { path: req.url as string, headers: { ...req.headers }, digest });
      res.writeHead(307, {
        location: `https://127.0.0.1:${(storage.address() as net.AddressInfo).port}/storage/${id}`,
      });
      return void res.end();
    }
    const m = MANIFEST.exec(req.url ?? '');
    const url =
      m && front.manifestAs.has(m[2] as string)
        ? `/v2/${m[1]}/manifests/${front.manifestAs.get(m[2] as string)}`
        : (req.url ?? '/');
    toRegistry(url, req.method ?? 'GET', req.headers).then(
      (up) => deliver(up, res, digest),
      () => res.writeHead(502).end(),
    );
  });
  for (const s of [api, storage]) s.on('connection', (c) => (sockets.add(c), c.on('close', () => sockets.delete(c))));
  await new Promise<void>((r) => storage.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  front.host = `127.0.0.1:${(api.address() as net.AddressInfo).port}`;
  front.storageHost = `127.0.0.1:${(storage.address() as net.AddressInfo).port}`;
  front.close = async () => {
    for (const c of sockets) c.destroy();
    await Promise.all([api, storage].map((s) => new Promise((r) => s.close(r))));
  };
  return front;
}

/** The whole answer, then 16 KiB every 40 ms. */
function trickle(up: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  up.on('data', (c: Buffer) => chunks.push(c));
  up.on('end', () => {
    const all = Buffer.concat(chunks);
    let at = 0;
    const next = () => {
      if (res.destroyed) return;
      res.write(all.subarray(at, at + 16384));
      at += 16384;
      if (at < all.length) setTimeout(next, 40);
      else res.end();
    };
    next();
  });
}
