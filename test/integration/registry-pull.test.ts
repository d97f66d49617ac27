/**
 * Pulling from a real registry on loopback (registry-helpers.ts): TLS with the test's own CA,
 * htpasswd users, images pushed with skopeo from `tspod image save`, zstd layers, a multi-platform
 * index; then pods run from what was pulled, and the pull policies with the registry up and down.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectClean, linesOf, newRoots, pod, removeRoots, runPod, tspod, type TestRoots } from './helpers.js';
import { inspect } from './image-helpers.js';
import {
  archiveOf,
  deriveLayout,
  getManifest,
  makeCerts,
  pushDockerV2,
  pushRecompressed,
  pushZstd,
  PASSWORD,
  push,
  putManifest,
  startRegistry,
  USER,
  type Registry,
} from './registry-helpers.js';

let roots: TestRoots;
let reg: Registry;
let ca: string;
let busyboxId: string;
let busyboxDigest: string;
let arm64Digest: string;

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

beforeAll(async () => {
  roots = newRoots('registry');
  const d = (n: string) => path.join(roots.dir, n);
  fs.mkdirSync(d('certs'));
  const certs = makeCerts(d('certs'));
  ca = certs.ca;
  fs.mkdirSync(d('skopeo-certs'));
  fs.copyFileSync(ca, d('skopeo-certs/ca.crt'));
  fs.mkdirSync(d('registry'));
  reg = await startRegistry(d('registry'), certs);
  // tspod trusts the test CA for this registry only; every other registry stays blocked
  // and the registry "localhost:1" (nothing listens there) has two mirrors: one down, then this registry
  const mirrors = { mirrors: ['https://127.0.0.1:1', `https://${reg.host}`] };
  fs.writeFileSync(
    roots.env.TSPOD_REGISTRIES_CONFIG!,
    JSON.stringify({ registries: { [reg.host]: { ca }, 'localhost:1': mirrors, '*': { blocked: true } } }),
  );
  const auth = { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') };
  fs.writeFileSync(d('auth.json'), JSON.stringify({ auths: { [reg.host]: auth, 'localhost:1': auth } }));
  roots.env.REGISTRY_AUTH_FILE = d('auth.json');
  roots.env.HOME = roots.dir;

  const save = await tspod(roots, ['image', 'save', 'busybox', '-o', d('busybox.tar'), '--format', 'oci']);
  expect(save.code, save.stderr).toBe(0);
  fs.mkdirSync(d('busybox'));
  execFileSync('tar', ['-C', d('busybox'), '-xf', d('busybox.tar')]);
  busyboxId = (await inspect(roots, 'busybox')).id;
  push(d('busybox.tar'), reg, d('skopeo-certs'), 'tspod/busybox:1.0');
  // zstd: an image of its own (a config no other image has), so that its layers are downloaded
  await deriveLayout(d('busybox'), d('zapp'), [{ name: 'zstd.txt', data: 'unpacked from zstd\n' }]);
  await pushZstd(reg, ca, d('zapp'), 'tspod/zapp', 'zstd');
  // uncompressed layers, and Docker schema 2 media types
  await deriveLayout(d('busybox'), d('plainapp'), [{ name: 'plain.txt', data: 'unpacked from a plain tar\n' }]);
  await pushRecompressed(reg, ca, d('plainapp'), 'tspod/plainapp', 'tar', 'plain');
  pushDockerV2(d('busybox.tar'), reg, d('skopeo-certs'), 'tspod/busybox:v2s2');
  // skopeo compresses layers on the way: the registry's manifests are not the saved ones
  const pushed = await getManifest(reg, ca, 'tspod/busybox', '1.0');
  busyboxDigest = pushed.digest;
  const zstd = await getManifest(reg, ca, 'tspod/zapp', 'zstd');
  expect(zstd.doc.layers.map((l) => l.mediaType)).toEqual([
    'application/vnd.oci.image.layer.v1.tar+zstd',
    'application/vnd.oci.image.layer.v1.tar+zstd',
  ]);
  const app = { name: 'hello.txt', data: 'hello from a pulled layer\n' };
  await deriveLayout(d('busybox'), d('app'), [app]);
  push(archiveOf(d('app'), d('app.tar')), reg, d('skopeo-certs'), 'tspod/app:1.0');
  // a multi-platform index: this host's busybox, an "arm64" image, and an attestation manifest
  await deriveLayout(d('busybox'), d('arm64'), [], 'arm64');
  push(archiveOf(d('arm64'), d('arm64.tar')), reg, d('skopeo-certs'), 'tspod/busybox:arm64');
  const arm = await getManifest(reg, ca, 'tspod/busybox', 'arm64');
  arm64Digest = arm.digest;
  const size = () => pushed.bytes.length;
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: arm.digest,
        size: arm.bytes.length,
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      },
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: busyboxDigest,
        size: size(),
        platform: { os: 'unknown', architecture: 'unknown' },
        annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
      },
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: busyboxDigest,
        size: size(),
        platform: { os: 'linux', architecture: 'amd64' },
      },
    ],
  };
  await putManifest(reg, ca, 'tspod/busybox', 'multi', Buffer.from(JSON.stringify(index)), OCI_INDEX);
}, 180_000);

afterAll(async () => {
  await reg?.stop();
  removeRoots(roots);
});

const pull = (args: string[], env = roots.env) => tspod({ ...roots, env }, ['image', 'pull', ...args]);

describe('tspod image pull from a registry with TLS and htpasswd', () => {
  test("no credentials, or a wrong password: refused with the registry's own message", async () => {
    const anonymous = await pull([`${reg.host}/tspod/busybox:1.0`], { ...roots.env, REGISTRY_AUTH_FILE: '' });
    expect(anonymous.code).toBe(125);
    expect(anonymous.stderr).toMatch(/authentication required \(UNAUTHORIZED\)|unauthorized/i);
    const wrongFile = path.join(roots.dir, 'wrong.json');
    fs.writeFileSync(wrongFile, JSON.stringify({ auths: { [reg.host]: { username: USER, password: 'not-it' } } }));
    const wrong = await pull([`${reg.host}/tspod/busybox:1.0`], { ...roots.env, REGISTRY_AUTH_FILE: wrongFile });
    expect(wrong.code).toBe(125);
    expect(wrong.stderr).toMatch(/UNAUTHORIZED/);
    expect((await tspod(roots, ['image', 'inspect', `${reg.host}/tspod/busybox:1.0`])).code).toBe(125);
  });

  test('by tag: the same image ID as the image pushed, its digest recorded and listed', async () => {
    const res = await pull([`${reg.host}/tspod/busybox:1.0`]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe(`${reg.host}/tspod/busybox:1.0 ${busyboxId}\n`);
    const details = JSON.parse((await tspod(roots, ['image', 'inspect', `${reg.host}/tspod/busybox:1.0`])).stdout);
    expect(details.id).toBe(busyboxId);
    expect(details.repoDigests).toContain(`${reg.host}/tspod/busybox@${busyboxDigest}`);
    const ls = (await tspod(roots, ['image', 'ls'])).stdout;
    expect(ls).toMatch(
      new RegExp(`^${reg.host}/tspod/busybox\\s+1\\.0\\s+${busyboxDigest}\\s+${busyboxId.slice(7, 19)}`, 'm'),
    );
  });

  test('by digest, and a digest the registry does not have', async () => {
    const res = await pull(['--quiet', `${reg.host}/tspod/busybox@${busyboxDigest}`]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe(`${busyboxId}\n`);
    expect(res.stderr).toBe('');
    const missing = await pull([`${reg.host}/tspod/busybox@sha256:${'0'.repeat(64)}`]);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toMatch(/manifest unknown \(MANIFEST_UNKNOWN\)/);
  });

  test("a multi-platform index: this host's image by default, another with --platform, attestations skipped", async () => {
    const host = await pull(['-q', `${reg.host}/tspod/busybox:multi`]);
    expect(host.stdout.trim(), host.stderr).toBe(busyboxId);
    const arm = await pull(['-q', '--platform', 'linux/arm64', `${reg.host}/tspod/busybox:multi`]);
    expect(arm.code, arm.stderr).toBe(0);
    expect(arm.stdout.trim()).not.toBe(busyboxId);
    const details = await inspect(roots, `${reg.host}/tspod/busybox:multi`);
    expect((details as unknown as { imageConfig: { architecture: string } }).imageConfig.architecture).toBe('arm64');
    const none = await pull(['--platform', 'linux/s390x', `${reg.host}/tspod/busybox:multi`]);
    expect(none.code).toBe(125);
    expect(none.stderr).toMatch(/no image for linux\/s390x \(the index has linux\/arm64\/v8, linux\/amd64\)/);
    expect(arm64Digest).toMatch(/^sha256:/);
  });

  test('Docker schema 2 and uncompressed layers', async () => {
    const v2 = await getManifest(reg, ca, 'tspod/busybox', 'v2s2');
    expect((v2.doc as unknown as { mediaType: string }).mediaType).toBe(
      'application/vnd.docker.distribution.manifest.v2+json',
    );
    const docker = await pull(['-q', `${reg.host}/tspod/busybox:v2s2`]);
    expect(docker.code, docker.stderr).toBe(0);
    expect(docker.stdout.trim()).toBe(busyboxId);
    const plain = await getManifest(reg, ca, 'tspod/plainapp', 'tar');
    expect(plain.doc.layers.map((l) => l.mediaType)).toEqual([
      'application/vnd.oci.image.layer.v1.tar',
      'application/vnd.oci.image.layer.v1.tar',
    ]);
    const res = await pull([`${reg.host}/tspod/plainapp:tar`]);
    expect(res.code, res.stderr).toBe(0);
    const details = await inspect(roots, `${reg.host}/tspod/plainapp:tar`);
    const dirs = details.lowerDirs;
    expect(fs.readFileSync(path.join(dirs[0]!, 'plain.txt'), 'utf8')).toBe('unpacked from a plain tar\n');
  });

  test("mirrors: tried in order, one that is down skipped, with the registry's name and credentials", async () => {
    const res = await pull(['-q', 'localhost:1/tspod/busybox:1.0']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.trim()).toBe(busyboxId);
    const details = JSON.parse((await tspod(roots, ['image', 'inspect', 'localhost:1/tspod/busybox:1.0'])).stdout);
    expect(details.repoDigests).toContain(`localhost:1/tspod/busybox@${busyboxDigest}`);
  });

  test('layer sharing: an image on the same base downloads only its own layer', async () => {
    const res = await pull([`${reg.host}/tspod/app:1.0`]);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stderr.split('\n');
    expect(lines.filter((l) => / already in the store$/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /^Copying blob [0-9a-f]{12} done$/.test(l))).toHaveLength(1);
  });
});

describe('pods from a registry, and the pull policies', () => {
  const app = (policy?: string) => ({
    name: 'c',
    image: `${reg.host}/tspod/app:1.0`,
    command: ['cat', '/hello.txt'],
    ...(policy ? { imagePullPolicy: policy } : {}),
  });

  test('a pod runs from a pulled zstd image, pulled when the policy asks', async () => {
    const image = `${reg.host}/tspod/zapp:zstd`;
    const res = await runPod(
      roots,
      pod('zstd', {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image, command: ['sh', '-c', 'busybox | head -1; cat /zstd.txt'] }],
      }),
      ['--network', 'none'],
    );
    expect(res.code, res.stderr).toBe(0);
    const out = linesOf(res.stdout, 'c');
    expect(out[0]).toMatch(/^BusyBox v/);
    expect(out[1]).toBe('unpacked from zstd');
    // its own layer came over the wire, zstd (the tag is not latest: IfNotPresent, and it was not
    // present); its busybox layer did not: the layer store has that diff ID, from another blob
    const lines = res.stderr.split('\n');
    expect(lines.filter((l) => /^Copying blob [0-9a-f]{12} done$/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => / already in the store$/.test(l))).toHaveLength(1);
    expectClean(roots);
  });

  test('a pinned digest beside :latest defaults to Always (as the API server reads it), and the digest decides', async () => {
    // the registry has no tag latest in this repository: only the digest can be what is pulled
    const image = `${reg.host}/tspod/busybox:latest@${busyboxDigest}`;
    const res = await runPod(
      roots,
      pod('pinned', { restartPolicy: 'Never', containers: [{ name: 'c', image, command: ['true'] }] }),
      ['--network', 'none', '--keep'],
    );
    try {
      expect(res.code, res.stderr).toBe(0);
      // asked the registry (Always), by the digest
      expect(res.stderr).toContain(`${image}: manifest ${busyboxDigest}`);
      const inspected = JSON.parse((await tspod(roots, ['inspect', 'pinned', '-o', 'json'])).stdout);
      expect(inspected.spec.containers[0].imagePullPolicy).toBe('Always');
      expect(inspected.status.containerStatuses[0].imageID).toContain(busyboxId.slice(7));
    } finally {
      expect((await tspod(roots, ['rm', 'pinned'])).code).toBe(0);
    }
    expectClean(roots);
  });

  test('Always follows a moved tag; IfNotPresent and Never use the store', async () => {
    const first = await runPod(roots, pod('always', { restartPolicy: 'Never', containers: [app('Always')] }), [
      '--network',
      'none',
    ]);
    expect(first.code, first.stderr).toBe(0);
    expect(linesOf(first.stdout, 'c')).toEqual(['hello from a pulled layer']);
    const d = (n: string) => path.join(roots.dir, n);
    await deriveLayout(d('busybox'), d('app2'), [{ name: 'hello.txt', data: 'the tag moved\n' }]);
    push(archiveOf(d('app2'), d('app2.tar')), reg, d('skopeo-certs'), 'tspod/app:1.0');
    const kept = await runPod(
      roots,
      pod('ifnotpresent', { restartPolicy: 'Never', containers: [app('IfNotPresent')] }),
      ['--network', 'none'],
    );
    expect(linesOf(kept.stdout, 'c'), kept.stderr).toEqual(['hello from a pulled layer']);
    const never = await runPod(roots, pod('never', { restartPolicy: 'Never', containers: [app()] }), [
      '--network',
      'none',
      '--pull=never',
    ]);
    expect(linesOf(never.stdout, 'c'), never.stderr).toEqual(['hello from a pulled layer']);
    const moved = await runPod(roots, pod('moved', { restartPolicy: 'Never', containers: [app('IfNotPresent')] }), [
      '--network',
      'none',
      '--pull=always',
    ]);
    expect(linesOf(moved.stdout, 'c'), moved.stderr).toEqual(['the tag moved']);
    expectClean(roots);
  });

  test('the registry down: Always runs the stored image with a warning, a missing image fails', async () => {
    await reg.stop();
    try {
      const res = await runPod(roots, pod('offline', { restartPolicy: 'Never', containers: [app('Always')] }), [
        '--network',
        'none',
        '--keep',
      ]);
      expect(res.code, res.stderr).toBe(0);
      expect(linesOf(res.stdout, 'c')).toEqual(['the tag moved']);
      expect(res.stderr).toMatch(
        new RegExp(
          `warning: image "${reg.host}/tspod/app:1.0": cannot reach ${reg.host}: ECONNREFUSED.*running the image in the store`,
        ),
      );
      // and the pod's events say so, as a warning
      const events = (await tspod(roots, ['events', 'offline'])).stdout;
      expect(events).toMatch(
        /Warning\s+Failed\s.*Failed to pull image ".*tspod\/app:1.0": cannot reach .*ECONNREFUSED.*running the image present on machine/,
      );
      expect((await tspod(roots, ['rm', 'offline'])).code).toBe(0);
      const missing = await runPod(
        roots,
        pod('missing', {
          restartPolicy: 'Never',
          containers: [{ ...app('Always'), image: `${reg.host}/tspod/nothing:1` }],
        }),
        ['--network', 'none'],
      );
      expect(missing.code).toBe(125);
      expect(missing.stderr).toMatch(/ErrImagePull: image ".*tspod\/nothing:1" is not in the store .*ECONNREFUSED/);
      const never = await runPod(
        roots,
        pod('never2', {
          restartPolicy: 'Never',
          containers: [{ ...app('Never'), image: `${reg.host}/tspod/nothing:1` }],
        }),
        ['--network', 'none'],
      );
      expect(never.code).toBe(125);
      expect(never.stderr).toMatch(
        /ErrImageNeverPull: image ".*tspod\/nothing:1" is not present with pull policy of Never/,
      );
      expectClean(roots);
    } finally {
      await reg.start();
    }
  });
});

describe("a pod's imagePullSecrets", () => {
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  const image = () => `${reg.host}/tspod/busybox:1.0`;
  const dockerconfigjson = (name: string, password: string) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { [reg.host]: { auth: b64(`${USER}:${password}`) } } })) },
  });
  const dockercfg = (name: string, password: string) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    type: 'kubernetes.io/dockercfg',
    data: {
      '.dockercfg': b64(
        JSON.stringify({ [`https://${reg.host}`]: { username: USER, password, email: 't@example.com' } }),
      ),
    },
  });
  /** A pod that asks the registry every time (Always), with these pull secrets, in one List with the Secrets. */
  const run = (name: string, secrets: string[], objects: object[], env: NodeJS.ProcessEnv) => {
    const p = pod(name, {
      restartPolicy: 'Never',
      imagePullSecrets: secrets.map((n) => ({ name: n })),
      containers: [{ name: 'c', image: image(), imagePullPolicy: 'Always', command: ['echo', 'pulled'] }],
    });
    return runPod({ ...roots, env }, { apiVersion: 'v1', kind: 'List', items: [p, ...objects] }, ['--network', 'none']);
  };
  const noHostCreds = () => ({ ...roots.env, REGISTRY_AUTH_FILE: '' });
  const wrongHostCreds = () => {
    const f = path.join(roots.dir, 'wrong-host.json');
    fs.writeFileSync(f, JSON.stringify({ auths: { [reg.host]: { username: USER, password: 'not-it' } } }));
    return { ...roots.env, REGISTRY_AUTH_FILE: f };
  };

  test('without them the pull is refused; a dockerconfigjson or a legacy dockercfg Secret lets it through', async () => {
    const none = await run('nosecret', [], [], noHostCreds());
    expect(none.code).toBe(125);
    expect(none.stderr).toMatch(
      /ErrImagePull: .*the registry asks for a user and password \(unauthorized\); give credentials /,
    );
    const json = await run('json', ['regcred'], [dockerconfigjson('regcred', PASSWORD)], noHostCreds());
    expect(json.code, json.stderr).toBe(0);
    expect(linesOf(json.stdout, 'c')).toEqual(['pulled']);
    const legacy = await run('legacy', ['old'], [dockercfg('old', PASSWORD)], noHostCreds());
    expect(legacy.code, legacy.stderr).toBe(0);
    expect(linesOf(legacy.stdout, 'c')).toEqual(['pulled']);
    expectClean(roots);
  });

  test("the pod's credentials are tried before the host's, and a refused one gives way to the next", async () => {
    const podFirst = await run('podfirst', ['regcred'], [dockerconfigjson('regcred', PASSWORD)], wrongHostCreds());
    expect(podFirst.code, podFirst.stderr).toBe(0);
    const hostNext = await run('hostnext', ['stale'], [dockerconfigjson('stale', 'expired')], roots.env);
    expect(hostNext.code, hostNext.stderr).toBe(0);
    const allWrong = await run('allwrong', ['stale'], [dockerconfigjson('stale', 'expired')], wrongHostCreds());
    expect(allWrong.code).toBe(125);
    expect(allWrong.stderr).toMatch(
      /UNAUTHORIZED.*\(credentials tried, in order: secret "default\/stale", .*wrong-host\.json\)/,
    );
    expectClean(roots);
  });

  test("a Secret the files do not carry: the kubelet's warning, and the pull goes on with the host's", async () => {
    const res = await run('absent', ['nowhere'], [], roots.env);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(
      'tspod: warning: pod "absent": Unable to retrieve some image pull secrets (nowhere); attempting to pull the image may not succeed.',
    );
    expectClean(roots);
  });
});
