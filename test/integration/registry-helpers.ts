/**
 * A real registry on loopback for the pull tests: Debian's `docker-registry` (the reference
 * distribution registry) started by the test on 127.0.0.1 with TLS (a certificate authority and a
 * server certificate made here with openssl) and htpasswd authentication (htpasswd from
 * apache2-utils); images pushed into it with skopeo, from archives `tspod image save` writes.
 * Every tool is installed by `make setup`; a missing one fails the test.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { makeTar, type Entry } from '../unit/image/fixtures.js';
import { waitFor } from './helpers.js';

export const USER = 'tester';
export const PASSWORD = 'secret-pass';

export function needCommand(cmd: string, pkg: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`the registry tests need ${cmd} (Debian package ${pkg}, installed by "make setup")`);
  }
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A CA and a certificate for 127.0.0.1 signed by it, in `dir`: ca.pem, cert.pem, key.pem. */
export function makeCerts(dir: string): { ca: string; cert: string; key: string } {
  const f = (n: string) => path.join(dir, n);
  const ossl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  ossl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=tspod test CA',
  ]);
  ossl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('key.pem'),
    '-out',
    f('req.csr'),
    '-subj',
    '/CN=127.0.0.1',
  ]);
  fs.writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  ossl([
    'x509',
    '-req',
    '-in',
    f('req.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('cert.pem'),
    '-days',
    '1',
    '-extfile',
    f('ext.cnf'),
  ]);
  return { ca: f('ca.pem'), cert: f('cert.pem'), key: f('key.pem') };
}

export interface Registry {
  host: string;
  proc: ChildProcess;
  stop: () => Promise<void>;
  start: () => Promise<void>;
}

/** The registry's `auth: token` settings: the token server it sends clients to, and what it trusts. */
export interface TokenAuth {
  realm: string;
  service: string;
  issuer: string;
  /** PEM certificates whose keys may sign tokens */
  bundle: string;
}

/**
 * docker-registry on 127.0.0.1 with TLS, its storage in `dir`; htpasswd authentication (the test
 * user), or with `token` the distribution token scheme (token-server.ts).
 */
export async function startRegistry(
  dir: string,
  certs: { cert: string; key: string },
  token?: TokenAuth,
): Promise<Registry> {
  needCommand('docker-registry', 'docker-registry');
  needCommand('htpasswd', 'apache2-utils');
  const port = await freePort();
  const htpasswd = path.join(dir, 'htpasswd');
  fs.writeFileSync(htpasswd, execFileSync('htpasswd', ['-Bbn', USER, PASSWORD]));
  const auth = token
    ? [
        'auth:',
        '  token:',
        `    realm: ${token.realm}`,
        `    service: ${token.service}`,
        `    issuer: ${token.issuer}`,
        `    rootcertbundle: ${token.bundle}`,
      ]
    : ['auth:', '  htpasswd:', '    realm: tspod-test', `    path: ${htpasswd}`];
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${path.join(dir, 'storage')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '  tls:',
      `    certificate: ${certs.cert}`,
      `    key: ${certs.key}`,
      ...auth,
      '',
    ].join('\n'),
  );
  const reg: Registry = {
    host: `127.0.0.1:${port}`,
    proc: undefined as unknown as ChildProcess,
    start: async () => {
      reg.proc = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      reg.proc.stderr!.on('data', (d) => (err += d));
      await waitFor(`the registry on port ${port} (${err})`, () => canConnect(port), 20_000);
    },
    stop: async () => {
      if (reg.proc.exitCode !== null || reg.proc.signalCode !== null) return;
      const exited = new Promise((r) => reg.proc.once('exit', r));
      reg.proc.kill('SIGTERM');
      await exited;
    },
  };
  await reg.start();
  return reg;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

/** skopeo copy of an OCI archive into the registry (skopeo gzips uncompressed layers on the way). */
export function push(archive: string, reg: Registry, certDir: string, dest: string): void {
  needCommand('skopeo', 'skopeo');
  execFileSync('skopeo', pushArgs(archive, reg, certDir, dest, `${USER}:${PASSWORD}`), {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** The same, without blocking this process: for a registry whose token server runs in the test. */
export async function pushAsync(
  archive: string,
  reg: Registry,
  certDir: string,
  dest: string,
  creds: string,
): Promise<void> {
  needCommand('skopeo', 'skopeo');
  await promisify(execFile)('skopeo', pushArgs(archive, reg, certDir, dest, creds));
}

function pushArgs(archive: string, reg: Registry, certDir: string, dest: string, creds: string): string[] {
  return [
    'copy',
    '-q',
    '--dest-cert-dir',
    certDir,
    '--dest-creds',
    creds,
    `oci-archive:${archive}`,
    `docker://${reg.host}/${dest}`,
  ];
}

/** One request to the registry as the test user; resolves with the status, headers and body. */
function call(reg: Registry, ca: string, method: string, url: string, headers: Record<string, string>, body?: Buffer) {
  const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  return new Promise<{ status: number; location?: string; text: string }>((resolve, reject) => {
    const req = https.request(
      new URL(url, `https://${reg.host}`),
      { method, ca: fs.readFileSync(ca), headers: { ...headers, authorization: `Basic ${auth}` } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** PUT a manifest (an index, say) into the registry by hand, as the distribution API says. */
export async function putManifest(
  reg: Registry,
  ca: string,
  repo: string,
  ref: string,
  body: Buffer,
  mediaType: string,
): Promise<void> {
  const res = await call(reg, ca, 'PUT', `/v2/${repo}/manifests/${ref}`, { 'content-type': mediaType }, body);
  if (res.status !== 201) throw new Error(`PUT manifest: HTTP ${res.status}: ${res.text}`);
}

/** Uploads a blob in one piece: POST an upload, PUT its bytes with their digest. */
export async function putBlob(reg: Registry, ca: string, repo: string, bytes: Buffer): Promise<void> {
  const start = await call(reg, ca, 'POST', `/v2/${repo}/blobs/uploads/`, {});
  if (start.status !== 202 || !start.location) throw new Error(`POST upload: HTTP ${start.status}: ${start.text}`);
  const url = new URL(start.location, `https://${reg.host}`);
  url.searchParams.set('digest', sha256(bytes));
  const put = await call(reg, ca, 'PUT', url.href, { 'content-type': 'application/octet-stream' }, bytes);
  if (put.status !== 201) throw new Error(`PUT blob: HTTP ${put.status}: ${put.text}`);
}

/** The image of an OCI layout, its layers recompressed with the host's zstd, pushed by hand. */
export function pushZstd(reg: Registry, ca: string, layout: string, repo: string, tag: string): Promise<string> {
  return pushRecompressed(reg, ca, layout, repo, tag, 'zstd');
}

/**
 * The image of an OCI layout pushed by hand with its layers as `zstd` (the host's zstd) or `plain`
 * (uncompressed tar) blobs; returns the manifest's digest.
 */
export async function pushRecompressed(
  reg: Registry,
  ca: string,
  layout: string,
  repo: string,
  tag: string,
  as: 'zstd' | 'plain',
): Promise<string> {
  const blob = (d: string) => fs.readFileSync(path.join(layout, 'blobs/sha256', d.slice(7)));
  const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(blob(index.manifests[0].digest).toString('utf8'));
  const layers = [];
  for (const l of manifest.layers) {
    const raw = blob(l.digest);
    const plain = l.mediaType.endsWith('gzip') ? zlib.gunzipSync(raw) : raw;
    const bytes =
      as === 'zstd' ? execFileSync('zstd', ['-q', '-c', '-3'], { input: plain, maxBuffer: 1 << 30 }) : plain;
    await putBlob(reg, ca, repo, bytes);
    layers.push({
      mediaType: `application/vnd.oci.image.layer.v1.tar${as === 'zstd' ? '+zstd' : ''}`,
      digest: sha256(bytes),
      size: bytes.length,
    });
  }
  await putBlob(reg, ca, repo, blob(manifest.config.digest));
  const body = Buffer.from(JSON.stringify({ ...manifest, layers }));
  await putManifest(reg, ca, repo, tag, body, 'application/vnd.oci.image.manifest.v1+json');
  return sha256(body);
}

/** skopeo copy as Docker schema 2 (`--format v2s2`): the manifest and config media types docker's. */
export function pushDockerV2(archive: string, reg: Registry, certDir: string, dest: string): void {
  needCommand('skopeo', 'skopeo');
  const args = pushArgs(archive, reg, certDir, dest, `${USER}:${PASSWORD}`);
  execFileSync('skopeo', [args[0]!, '--format', 'v2s2', ...args.slice(1)], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** The manifest the registry has for `repo:ref`, its bytes and digest. */
export async function getManifest(
  reg: Registry,
  ca: string,
  repo: string,
  ref: string,
): Promise<{ bytes: Buffer; digest: string; doc: { layers: { mediaType: string }[] } }> {
  const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  const accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
  const bytes = await new Promise<Buffer>((resolve, reject) => {
    https
      .get(
        `https://${reg.host}/v2/${repo}/manifests/${ref}`,
        { ca: fs.readFileSync(ca), headers: { accept, authorization: `Basic ${auth}` } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(Buffer.concat(chunks))
              : reject(new Error(`GET manifest: HTTP ${res.statusCode}`)),
          );
        },
      )
      .on('error', reject);
  });
  return { bytes, digest: sha256(bytes), doc: JSON.parse(bytes.toString('utf8')) };
}

export const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * An OCI layout derived from an extracted one: the same layers plus one layer with `files`, and a
 * config saying `architecture` (the layers are this host's; only the config differs for arm64).
 */
export async function deriveLayout(
  from: string,
  to: string,
  files: Entry[],
  architecture?: string,
): Promise<{ manifest: Buffer; digest: string }> {
  fs.cpSync(from, to, { recursive: true });
  const blob = (d: string) => path.join(to, 'blobs/sha256', d.slice(7));
  const index = JSON.parse(fs.readFileSync(path.join(to, 'index.json'), 'utf8'));
  const manifest = JSON.parse(fs.readFileSync(blob(index.manifests[0].digest), 'utf8'));
  const config = JSON.parse(fs.readFileSync(blob(manifest.config.digest), 'utf8'));
  const layers = [...manifest.layers];
  const diffIds = [...config.rootfs.diff_ids];
  if (files.length > 0) {
    const tar = await makeTar(files);
    const gz = zlib.gzipSync(tar);
    fs.writeFileSync(blob(sha256(gz)), gz);
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(gz), size: gz.length });
    diffIds.push(sha256(tar));
  }
  const newConfig = Buffer.from(
    JSON.stringify({
      ...config,
      ...(architecture ? { architecture } : {}),
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  fs.writeFileSync(blob(sha256(newConfig)), newConfig);
  const newManifest = Buffer.from(
    JSON.stringify({
      ...manifest,
      config: { ...manifest.config, digest: sha256(newConfig), size: newConfig.length },
      layers,
    }),
  );
  fs.writeFileSync(blob(sha256(newManifest)), newManifest);
  const desc = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: sha256(newManifest),
    size: newManifest.length,
  };
  fs.writeFileSync(path.join(to, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [desc] }));
  return { manifest: newManifest, digest: desc.digest };
}

/** An OCI archive (tar) of a layout directory. */
export function archiveOf(layout: string, file: string): string {
  execFileSync('tar', ['-C', layout, '-cf', file, '.']);
  return file;
}
