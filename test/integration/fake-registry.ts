/**
 * A registry written for the tests, in Node, where the real one cannot be made to misbehave: the
 * distribution token flow (a `/token` endpoint that issues a token per scope, to a user with a
 * password), blobs redirected to a separate "storage" server that records what headers reach it,
 * and blobs served corrupted or cut off half-way on purpose. It serves OCI layout directories
 * (one per repository) over plain HTTP on 127.0.0.1.
 */
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';

export interface FakeRegistry {
  host: string;
  repos: Map<string, string>;
  /** digests served with one byte flipped */
  corrupt: Set<string>;
  /** digests whose next GET is cut off half-way (then served normally) */
  cutOnce: Set<string>;
  /** GET count per blob digest */
  blobGets: Map<string, number>;
  /** Authorization headers the storage server received */
  storageAuth: string[];
  /** scopes and Basic users the token endpoint was asked for */
  tokenRequests: { scope: string; user?: string }[];
  close: () => Promise<void>;
}

const USER = 'token-user';
const PASSWORD = 'token-pass';
export const FAKE_CREDS = { user: USER, password: PASSWORD };

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

export async function startFakeRegistry(): Promise<FakeRegistry> {
  const reg: FakeRegistry = {
    host: '', repos: new Map(), corrupt: new Set(), cutOnce: new Set(), blobGets: new Map(), storageAuth: [], tokenRequests: [],
    close: async () => undefined,
  };
  const blobFile = (repo: string, digest: string) => path.join(reg.repos.get(repo) ?? '/nonexistent', 'blobs/sha256', digest.replace(/^sha256:/, ''));
  const storage = http.createServer((req, res) => {
    if (req.headers.authorization) reg.storageAuth.push(req.headers.authorization);
    const [, repo, digest] = /^\/blob\/(.+)\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? '') ?? [];
    serveBlob(reg, res, blobFile(repo ?? '', digest ?? ''), digest ?? '');
  });
  const storagePort = await listen(storage);
  const api = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/token') return token(reg, req, res, url);
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (!m) return error(res, 404, 'NAME_UNKNOWN', 'repository name not known to registry');
    const [, repo, kind, ref] = m;
    if (req.headers.authorization !== `Bearer token-for-repository:${repo}:pull`) {
      res.setHeader('www-authenticate', `Bearer realm="http://${reg.host}/token",service="fake-registry",scope="repository:${repo}:pull"`);
      return error(res, 401, 'UNAUTHORIZED', 'authentication required');
    }
    if (kind === 'manifests') return manifest(res, reg.repos.get(repo), ref);
    reg.blobGets.set(ref, (reg.blobGets.get(ref) ?? 0) + 1);
    if (!fs.existsSync(blobFile(repo, ref))) return error(res, 404, 'BLOB_UNKNOWN', 'blob unknown to registry');
    res.writeHead(307, { location: `http://127.0.0.1:${storagePort}/blob/${repo}/${ref}` });
    res.end();
  });
  reg.host = `127.0.0.1:${await listen(api)}`;
  reg.close = async () => {
    for (const s of [api, storage]) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  };
  return reg;
}

function error(res: http.ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ errors: [{ code, message }] }));
}

function token(reg: FakeRegistry, req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
  const scope = url.searchParams.get('scope') ?? '';
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const [user, password] = basic ? Buffer.from(basic, 'base64').toString().split(':') : [];
  reg.tokenRequests.push({ scope, user });
  if (user !== USER || password !== PASSWORD || url.searchParams.get('service') !== 'fake-registry') {
    return error(res, 401, 'UNAUTHORIZED', 'incorrect username or password');
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ token: `token-for-${scope}`, expires_in: 300 }));
}

function manifest(res: http.ServerResponse, layout: string | undefined, ref: string): void {
  if (!layout) return error(res, 404, 'NAME_UNKNOWN', 'repository name not known to registry');
  const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8'));
  const digest = ref.startsWith('sha256:') ? ref : index.manifests[0].digest;
  const file = path.join(layout, 'blobs/sha256', digest.slice(7));
  if (!fs.existsSync(file) || (!ref.startsWith('sha256:') && ref !== 'latest')) return error(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown');
  res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': digest });
  res.end(fs.readFileSync(file));
}

function serveBlob(reg: FakeRegistry, res: http.ServerResponse, file: string, digest: string): void {
  if (!fs.existsSync(file)) return error(res, 404, 'BLOB_UNKNOWN', 'blob unknown');
  const bytes = Buffer.from(fs.readFileSync(file));
  if (reg.corrupt.has(digest)) bytes[bytes.length >> 1] ^= 0xff;
  res.writeHead(200, { 'content-length': bytes.length, 'content-type': 'application/octet-stream' });
  if (reg.cutOnce.delete(digest)) {
    res.write(bytes.subarray(0, bytes.length >> 1), () => res.socket?.destroy());
    return;
  }
  res.end(bytes);
}
