/**
 * The real registry in the distribution token scheme (`auth: token`), with a token server written
 * in the test as the token specification describes (token-server.ts), and a loopback front
 * (registry-front.ts) for what a registry in production does and a test registry does not:
 * redirecting blobs to storage on another origin, and transfers that break half-way. Through
 * them: anonymous and authenticated tokens per scope, refusals in the registry's and the token
 * server's own words, redirected blobs that never receive the credentials, a corrupted blob in the
 * registry's own storage, a transfer cut off, a pull killed mid-transfer, and two pulls at once.
 */
import { execFile, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { newRoots, removeRoots, start, TSPOD, tspod, waitFor, type TestRoots } from './helpers.js';
import { startFront, type Front } from './registry-front.js';
import { deriveLayout, makeCerts, pushAsync, startRegistry, type Registry } from './registry-helpers.js';
import type { Entry } from '../unit/image/fixtures.js';
import {
  startTokenServer,
  TOKEN_ISSUER,
  TOKEN_PASSWORD,
  TOKEN_SERVICE,
  TOKEN_USER,
  type TokenServer,
} from './token-server.js';

let roots: TestRoots;
let reg: Registry;
let tokens: TokenServer;
let front: Front;
let plainFront: Front;
let skopeoCerts: string;
let n = 0;
const CREDS = `${TOKEN_USER}:${TOKEN_PASSWORD}`;

beforeAll(async () => {
  roots = newRoots('token');
  const d = (name: string) => path.join(roots.dir, name);
  fs.mkdirSync(d('certs'));
  const certs = makeCerts(d('certs'));
  skopeoCerts = d('skopeo-certs');
  fs.mkdirSync(skopeoCerts);
  fs.copyFileSync(certs.ca, path.join(skopeoCerts, 'ca.crt'));
  tokens = await startTokenServer(d('certs'), certs);
  fs.mkdirSync(d('registry'));
  reg = await startRegistry(d('registry'), certs, {
    realm: tokens.realm,
    service: TOKEN_SERVICE,
    issuer: TOKEN_ISSUER,
    bundle: tokens.bundle,
  });
  front = await startFront(reg.host, certs.ca, certs);
  plainFront = await startFront(reg.host, certs.ca, certs, { plain: true });
  fs.writeFileSync(
    roots.env.TSPOD_REGISTRIES_CONFIG!,
    JSON.stringify({
      registries: {
        [reg.host]: { ca: certs.ca },
        [front.host]: { ca: certs.ca },
        [plainFront.host]: { insecure: true },
        // the token server and the blob storage are servers of their own, trusted by their own entries
        [new URL(tokens.realm).host]: { ca: certs.ca },
        [front.storageHost]: { ca: certs.ca },
        [plainFront.storageHost]: { ca: certs.ca },
        '*': { blocked: true },
      },
    }),
  );
  const auth = { username: TOKEN_USER, password: TOKEN_PASSWORD };
  fs.writeFileSync(d('config.json'), JSON.stringify({ auths: { [reg.host]: auth, [front.host]: auth } }));
  roots.env.DOCKER_CONFIG = roots.dir;
  roots.env.HOME = roots.dir;
  const save = await tspod(roots, ['image', 'save', 'busybox', '-o', d('busybox.tar'), '--format', 'oci']);
  expect(save.code, save.stderr).toBe(0);
  await pushAsync(d('busybox.tar'), reg, skopeoCerts, 'public/busybox:1.0', CREDS);
  fs.mkdirSync(d('busybox'));
  execFileSync('tar', ['-C', d('busybox'), '-xf', d('busybox.tar')]);
}, 180_000);

afterAll(async () => {
  await front?.close();
  await plainFront?.close();
  await reg?.stop();
  await tokens?.close();
  removeRoots(roots);
});

/** A new private repository: busybox plus one layer of its own; its reference (on `host`) and that layer's digest. */
async function newImage(
  host: string,
  more: Entry[] = [],
  another?: Entry[],
): Promise<{ ref: string; repo: string; layer: string }> {
  const repo = `private/img${n++}`;
  let dir = path.join(roots.dir, repo.replace('/', '-'));
  await deriveLayout(path.join(roots.dir, 'busybox'), dir, [{ name: 'which.txt', data: `${repo}\n` }, ...more]);
  if (another) {
    await deriveLayout(dir, `${dir}-2`, another);
    dir = `${dir}-2`;
  }
  execFileSync('tar', ['-C', dir, '-cf', `${dir}.tar`, '.']);
  await pushAsync(`${dir}.tar`, reg, skopeoCerts, `${repo}:1.0`, CREDS);
  // skopeo recompresses on the way: the layer's digest is the registry's
  const m = await getManifestAs(repo);
  return { ref: `${host}/${repo}:1.0`, repo, layer: m.layers[m.layers.length - 1]!.digest };
}

/** The registry's manifest, read with a token from the token server as any client would. */
async function getManifestAs(repo: string): Promise<{ layers: { digest: string }[] }> {
  const { stdout } = await promisify(execFile)(
    'skopeo',
    ['inspect', '--raw', '--cert-dir', skopeoCerts, '--creds', CREDS, `docker://${reg.host}/${repo}:1.0`],
    { encoding: 'utf8' },
  );
  return JSON.parse(stdout);
}

const pull = (args: string[], env = roots.env) => tspod({ ...roots, env }, ['image', 'pull', ...args]);
const anonymous = () => ({ ...roots.env, DOCKER_CONFIG: path.join(roots.dir, 'nowhere') });

/** What a pull may leave in the store when it fails: nothing in tmp/, no partial blob anywhere. */
function leftovers(): string[] {
  const images = path.join(roots.root, 'images');
  const out: string[] = [];
  const tmp = path.join(images, 'tmp');
  if (fs.existsSync(tmp)) out.push(...fs.readdirSync(tmp).map((e) => `tmp/${e}`));
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && path.join(dir, e.name) !== tmp) walk(path.join(dir, e.name));
      else if (e.name.endsWith('.part')) out.push(path.relative(images, path.join(dir, e.name)));
    }
  };
  walk(images);
  return out;
}

/** Every image the store lists, with its names: a failed pull must add none. */
function storeNames(): string {
  return execFileSync(TSPOD, ['image', 'ls', '--json'], { env: roots.env, encoding: 'utf8' });
}

describe('the distribution token flow, against the real registry', () => {
  test('anonymous: a token for the pull scope asked for without credentials, and the pull completes', async () => {
    const before = tokens.requests.length;
    const res = await pull(['-q', `${reg.host}/public/busybox:1.0`], anonymous());
    expect(res.code, res.stderr).toBe(0);
    const asked = tokens.requests.slice(before);
    expect(asked).toEqual([{ scopes: ['repository:public/busybox:pull'], user: undefined, service: TOKEN_SERVICE }]);
  });

  test("with credentials: one token for the repository's scope, asked for as the user, serves the whole pull", async () => {
    const { ref, repo } = await newImage(reg.host);
    const before = tokens.requests.length;
    const res = await pull([ref]);
    expect(res.code, res.stderr).toBe(0);
    expect(tokens.requests.slice(before)).toEqual([
      { scopes: [`repository:${repo}:pull`], user: TOKEN_USER, service: TOKEN_SERVICE },
    ]);
    const details = JSON.parse((await tspod(roots, ['image', 'inspect', ref])).stdout);
    expect(fs.readFileSync(path.join(details.lowerDirs[0], 'which.txt'), 'utf8')).toBe(`${repo}\n`);
  });

  test('anonymous on a private repository: the token grants nothing, and the registry says so', async () => {
    const { ref } = await newImage(reg.host);
    const res = await pull([ref], anonymous());
    expect(res.code).toBe(125);
    expect(res.stderr).toMatch(/repository private\/img\d+: manifests 1\.0: authentication required \(UNAUTHORIZED\)/);
  });

  test("a wrong password: the token server's own refusal", async () => {
    const { ref } = await newImage(reg.host);
    const wrong = path.join(roots.dir, 'wrong');
    fs.mkdirSync(wrong, { recursive: true });
    fs.writeFileSync(
      path.join(wrong, 'config.json'),
      JSON.stringify({ auths: { [reg.host]: { username: TOKEN_USER, password: 'not-it' } } }),
    );
    const res = await pull([ref], { ...roots.env, DOCKER_CONFIG: wrong });
    expect(res.code).toBe(125);
    expect(res.stderr).toMatch(/token from 127\.0\.0\.1:\d+: incorrect username or password \(UNAUTHORIZED\)/);
  });
});

describe('plain HTTP', () => {
  test('to a registry the host configuration marks insecure; never to one it does not', async () => {
    const res = await pull(['-q', `${plainFront.host}/public/busybox:1.0`], anonymous());
    expect(res.code, res.stderr).toBe(0);
    const config = JSON.parse(fs.readFileSync(roots.env.TSPOD_REGISTRIES_CONFIG!, 'utf8'));
    delete config.registries[plainFront.host].insecure;
    const strict = path.join(roots.dir, 'strict.json');
    fs.writeFileSync(strict, JSON.stringify(config));
    const refused = await pull(['-q', `${plainFront.host}/public/busybox:1.0`], {
      ...anonymous(),
      TSPOD_REGISTRIES_CONFIG: strict,
    });
    expect(refused.code).toBe(125);
    expect(refused.stderr).toMatch(/127\.0\.0\.1:\d+: .*(wrong version number|EPROTO|SSL)/i);
  });
});

describe('a rate-limited registry', () => {
  test('its own message (TOOMANYREQUESTS), shown as the registry wrote it', async () => {
    const { ref } = await newImage(front.host);
    front.rateLimit =
      'You have reached your pull rate limit. You may increase the limit by authenticating and upgrading';
    try {
      const res = await pull([ref]);
      expect(res.code).toBe(125);
      expect(res.stderr).toMatch(/manifests 1\.0: You have reached your pull rate limit\. .* \(TOOMANYREQUESTS\)/);
    } finally {
      front.rateLimit = undefined;
    }
  });
});

describe('blobs redirected to storage on another origin', () => {
  test("followed, and the registry's token never reaches the storage", async () => {
    const { ref, layer } = await newImage(front.host);
    front.redirect = true;
    try {
      const res = await pull([ref]);
      expect(res.code, res.stderr).toBe(0);
    } finally {
      front.redirect = false;
    }
    // the config and the new layer came from storage (the base layer is in the store already)
    expect(front.storageGets).toContain(layer);
    expect(front.storageGets.length).toBeGreaterThanOrEqual(2);
    expect(front.storageAuth).toEqual([]);
    const details = JSON.parse((await tspod(roots, ['image', 'inspect', ref])).stdout);
    expect(fs.readFileSync(path.join(details.lowerDirs[0], 'which.txt'), 'utf8')).toMatch(/^private\/img\d+\n$/);
  });
});

describe('broken transfers leave nothing behind, and a retry completes', () => {
  test("a blob corrupted in the registry's storage is refused, naming its digest", async () => {
    const { ref, layer } = await newImage(reg.host);
    const data = path.join(
      roots.dir,
      'registry/storage/docker/registry/v2/blobs/sha256',
      layer.slice(7, 9),
      layer.slice(7),
      'data',
    );
    const good = fs.readFileSync(data);
    const bad = Buffer.from(good);
    bad[bad.length >> 1]! ^= 0xff;
    const names = storeNames();
    fs.writeFileSync(data, bad);
    try {
      const res = await pull(['-q', ref]);
      expect(res.code).toBe(125);
      expect(res.stderr).toContain(`layer blob ${layer}: digest mismatch`);
    } finally {
      fs.writeFileSync(data, good);
    }
    expect(storeNames()).toBe(names);
    expect(leftovers()).toEqual([]);
  });

  test('a pinned digest is verified: a registry answering with another manifest is refused', async () => {
    const { ref } = await newImage(front.host);
    const pinned = `sha256:${'5'.repeat(64)}`;
    const names = storeNames();
    front.manifestAs.set(pinned, '1.0');
    try {
      const res = await pull(['-q', `${ref.slice(0, -':1.0'.length)}@${pinned}`]);
      expect(res.code).toBe(125);
      expect(res.stderr).toMatch(new RegExp(`manifest: digest mismatch: expected ${pinned}, got sha256:[0-9a-f]{64}`));
    } finally {
      front.manifestAs.delete(pinned);
    }
    expect(storeNames()).toBe(names);
  });

  test('a connection cut half-way fails the pull; a retry completes', async () => {
    const { ref, layer } = await newImage(front.host);
    const names = storeNames();
    front.cutOnce.add(layer);
    const cut = await pull(['-q', ref]);
    expect(cut.code).toBe(125);
    expect(cut.stderr).toMatch(/ECONNRESET|aborted|premature|socket hang up/i);
    expect(storeNames()).toBe(names);
    expect(leftovers()).toEqual([]);
    const retry = await pull(['-q', ref]);
    expect(retry.code, retry.stderr).toBe(0);
    expect((await tspod(roots, ['image', 'inspect', ref])).code).toBe(0);
  });

  test('a pull killed mid-transfer leaves no image; the retry completes and sweeps what it left', async () => {
    const { ref, layer } = await newImage(front.host);
    const names = storeNames();
    let stalled = false;
    front.onStall = () => (stalled = true);
    front.stall.add(layer);
    const p = start(roots, ['image', 'pull', '-q', ref]);
    try {
      await waitFor('the layer transfer to stall half-way', () => stalled, 20_000);
    } finally {
      front.stall.delete(layer);
      front.onStall = undefined;
    }
    p.child.kill('SIGKILL');
    const killed = await p.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(storeNames()).toBe(names);
    expect((await tspod(roots, ['image', 'inspect', ref])).code).toBe(125);
    const retry = await pull(['-q', ref]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(leftovers()).toEqual([]);
  });

  test('two pulls of one image at once: each blob fetched from the registry once', async () => {
    const { ref, layer } = await newImage(front.host);
    const gets = new Map(front.blobGets);
    const [a, b] = await Promise.all([pull(['-q', ref]), pull(['-q', ref])]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect((front.blobGets.get(layer) ?? 0) - (gets.get(layer) ?? 0)).toBe(1);
  });
});

describe('progress', () => {
  const PTY = path.join(import.meta.dirname, 'pty-run.py');
  /** A new image whose own layer (512 KiB that do not compress) the front delivers slowly. */
  const slowImage = async () => {
    const img = await newImage(front.host, [{ name: 'noise.bin', data: crypto.randomBytes(512 * 1024) }]);
    front.slow.add(img.layer);
    return img;
  };
  const onTerminal = (args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile(
        'python3',
        [PTY, TSPOD, ...args],
        { env: roots.env, encoding: 'utf8', maxBuffer: 16 << 20 },
        (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout }),
      );
    });

  test('on a terminal: a bar per layer, redrawn in place, with bytes, total and rate', async () => {
    const { ref, layer } = await slowImage();
    const res = await onTerminal(['image', 'pull', ref]);
    expect(res.code, res.out).toBe(0);
    const short = layer.slice(7, 19);
    expect(res.out).toMatch(/\x1b\[\d+A/); // the cursor goes back up to redraw
    expect(res.out).toContain('\x1b[2K');
    // mid-transfer: part of the bar filled, bytes of the total, a rate
    const bar = new RegExp(
      `Copying blob ${short} \\[=*>? *\\] (\\d+(\\.\\d)? (B|KiB)) / 512\\.\\d KiB \\| \\d+(\\.\\d)? (B|KiB|MiB)/s`,
      'g',
    );
    const partial = [...res.out.matchAll(bar)]
      .map((m) => m[1])
      .filter((got) => got !== '0 B' && !got!.startsWith('512'));
    expect(partial.length, res.out).toBeGreaterThan(2);
    expect(res.out).toContain(`Copying blob ${short} done`);
    // the base layer has a bar too, which ends as a download or as found in the store
    expect(res.out).toMatch(new RegExp(`Copying blob (?!${short})[0-9a-f]{12} (done|already in the store)`));
  });

  test('layers are fetched in parallel', async () => {
    const noise = (name: string) => [{ name, data: crypto.randomBytes(256 * 1024) }];
    const { ref } = await newImage(front.host, noise('a.bin'), noise('b.bin'));
    const m = await getManifestAs(ref.slice(front.host.length + 1, -':1.0'.length));
    for (const l of m.layers.slice(-2)) front.slow.add(l.digest);
    front.maxInFlight = 0;
    const res = await pull(['-q', ref]);
    expect(res.code, res.stderr).toBe(0);
    expect(front.maxInFlight).toBeGreaterThanOrEqual(2);
  });

  test('not a terminal: one plain line per event, no control characters', async () => {
    const { ref, layer } = await slowImage();
    const res = await pull([ref]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).not.toMatch(/\x1b/);
    const short = layer.slice(7, 19);
    const lines = res.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^127\.0\.0\.1:\d+\/private\/img\d+:1\.0: manifest sha256:[0-9a-f]{64}$/);
    expect(lines.filter((l) => new RegExp(`^Copying blob ${short} \\(512\\.\\d KiB\\)$`).test(l))).toHaveLength(1);
    expect(lines).toContain(`Copying blob ${short} done`);
    // two layers, each announced once and ended once
    expect(lines.filter((l) => /^Copying blob [0-9a-f]{12} \(.*\)$/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => /^Copying blob [0-9a-f]{12} (done|already in the store)$/.test(l))).toHaveLength(2);
    expect(lines.at(-2)).toMatch(/: unpacking 2 layers$/);
    expect(lines.at(-1)).toMatch(/: stored as sha256:[0-9a-f]{64}$/);
  });

  test('--quiet: nothing on the terminal but the image ID', async () => {
    const { ref } = await slowImage();
    const res = await onTerminal(['image', 'pull', '--quiet', ref]);
    expect(res.code, res.out).toBe(0);
    expect(res.out).toMatch(/^sha256:[0-9a-f]{64}\r?\n$/);
  });
});
