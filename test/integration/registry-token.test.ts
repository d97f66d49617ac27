/**
 * Pulls against a registry that misbehaves on purpose (fake-registry.ts): the distribution token
 * flow with credentials, blob redirects that must not carry them, a corrupted blob, a connection
 * cut half-way and a retry, and two pulls of one image at once. Plain HTTP on loopback, as the
 * host configuration's `insecure` allows.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { newRoots, removeRoots, tspod, type TestRoots } from './helpers.js';
import { FAKE_CREDS, startFakeRegistry, type FakeRegistry } from './fake-registry.js';
import { deriveLayout } from './registry-helpers.js';

let roots: TestRoots;
let reg: FakeRegistry;
let n = 0;

beforeAll(async () => {
  roots = newRoots('token');
  reg = await startFakeRegistry();
  fs.writeFileSync(roots.env.TSPOD_REGISTRIES_CONFIG!, JSON.stringify({ registries: { [reg.host]: { insecure: true }, '*': { blocked: true } } }));
  const auth = path.join(roots.dir, 'config.json');
  fs.writeFileSync(auth, JSON.stringify({ auths: { [reg.host]: { username: FAKE_CREDS.user, password: FAKE_CREDS.password } } }));
  roots.env.DOCKER_CONFIG = roots.dir;
  roots.env.HOME = roots.dir;
  const save = await tspod(roots, ['image', 'save', 'busybox', '-o', path.join(roots.dir, 'busybox.tar'), '--format', 'oci']);
  expect(save.code, save.stderr).toBe(0);
  fs.mkdirSync(path.join(roots.dir, 'busybox'));
  execFileSync('tar', ['-C', path.join(roots.dir, 'busybox'), '-xf', path.join(roots.dir, 'busybox.tar')]);
});
afterAll(async () => {
  await reg?.close();
  removeRoots(roots);
});

/** A new repository with busybox plus one layer of its own; returns its name and that layer's digest. */
async function newImage(): Promise<{ ref: string; layer: string }> {
  const name = `tspod/img${n++}`;
  const dir = path.join(roots.dir, name.replace('/', '-'));
  await deriveLayout(path.join(roots.dir, 'busybox'), dir, [{ name: 'which.txt', data: `${name}\n` }]);
  reg.repos.set(name, dir);
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'));
  return { ref: `${reg.host}/${name}:latest`, layer: manifest.layers[manifest.layers.length - 1].digest };
}

function storeContents(): Record<string, string[]> {
  const images = path.join(roots.root, 'images');
  return Object.fromEntries(['sha256', 'blobs/sha256', 'tmp'].map((d) => [d, fs.readdirSync(path.join(images, d)).sort()]));
}

describe('the distribution token flow', () => {
  test('a token per scope, asked for with the credentials; redirected blobs never get them', async () => {
    const { ref } = await newImage();
    const res = await tspod(roots, ['image', 'pull', ref]);
    expect(res.code, res.stderr).toBe(0);
    const repo = ref.slice(reg.host.length + 1, -':latest'.length);
    expect(reg.tokenRequests).toContainEqual({ scope: `repository:${repo}:pull`, user: FAKE_CREDS.user });
    expect(reg.blobGets.size).toBeGreaterThan(0);
    expect(reg.storageAuth).toEqual([]);
    const details = JSON.parse((await tspod(roots, ['image', 'inspect', ref])).stdout);
    expect(fs.readFileSync(path.join(details.rootfs, 'which.txt'), 'utf8')).toBe(`${repo}\n`);
  });

  test('without credentials the token server refuses, and its message is shown', async () => {
    const { ref } = await newImage();
    const env = { ...roots.env, DOCKER_CONFIG: path.join(roots.dir, 'nowhere') };
    const res = await tspod({ ...roots, env }, ['image', 'pull', ref]);
    expect(res.code).toBe(125);
    expect(res.stderr).toMatch(/token from 127\.0\.0\.1:\d+: incorrect username or password \(UNAUTHORIZED\)/);
  });

  test('a manifest the registry does not have: its own words', async () => {
    const res = await tspod(roots, ['image', 'pull', `${reg.host}/tspod/absent:1`]);
    expect(res.code).toBe(125);
    expect(res.stderr).toMatch(/repository tspod\/absent: manifests 1: repository name not known to registry \(NAME_UNKNOWN\)/);
  });
});

describe('broken transfers leave nothing behind', () => {
  test('a corrupted blob is refused, naming its digest', async () => {
    const { ref, layer } = await newImage();
    const before = storeContents();
    reg.corrupt.add(layer);
    const res = await tspod(roots, ['image', 'pull', '-q', ref]);
    reg.corrupt.delete(layer);
    expect(res.code).toBe(125);
    expect(res.stderr).toContain(`layer blob ${layer}: digest mismatch`);
    expect(storeContents()).toEqual(before);
  });

  test('a connection cut half-way fails the pull; a retry completes', async () => {
    const { ref, layer } = await newImage();
    const before = storeContents();
    reg.cutOnce.add(layer);
    const cut = await tspod(roots, ['image', 'pull', '-q', ref]);
    expect(cut.code).toBe(125);
    expect(storeContents()).toEqual(before);
    const retry = await tspod(roots, ['image', 'pull', '-q', ref]);
    expect(retry.code, retry.stderr).toBe(0);
    expect((await tspod(roots, ['image', 'inspect', ref])).code).toBe(0);
  });

  test('two pulls of one image at once download each blob once', async () => {
    const { ref, layer } = await newImage();
    const [a, b] = await Promise.all([tspod(roots, ['image', 'pull', '-q', ref]), tspod(roots, ['image', 'pull', '-q', ref])]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(reg.blobGets.get(layer)).toBe(1);
  });
});
