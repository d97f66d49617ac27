import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freeSpaceLimit, parseSize, unpackBudget } from '../../../src/image/unpack-limit.js';
import { parseChallenge } from '../../../src/registry/client.js';
import { credentialCandidates, credentialsFor, parseDockerConfig } from '../../../src/registry/credentials.js';
import { HostConfig, parseHostConfig } from '../../../src/registry/hosts.js';
import { selectPlatform, type FetchedManifest } from '../../../src/registry/manifests.js';
import { effectivePolicy } from '../../../src/registry/policy.js';

describe('unpack limit', () => {
  it('parses sizes', () => {
    expect(parseSize('1024', 'x')).toBe(1024);
    expect(parseSize('32M', 'x')).toBe(32 << 20);
    expect(parseSize('1.5Gi', 'x')).toBe(1.5 * 2 ** 30);
    expect(() => parseSize('lots', '--unpack-limit')).toThrow('--unpack-limit: "lots" is not a size');
  });

  it('defaults to the free space of the store less a reserve', () => {
    const st = fs.statfsSync(os.tmpdir());
    const limit = freeSpaceLimit(os.tmpdir());
    expect(limit).toBeLessThan(st.bavail * st.bsize);
    expect(unpackBudget(os.tmpdir(), undefined, {}).source).toMatch(/free space of .* less a reserve/);
    expect(unpackBudget(os.tmpdir(), undefined, { TSPOD_UNPACK_LIMIT: '2G' }).limit).toBe(2 ** 31);
    expect(unpackBudget(os.tmpdir(), '1M', { TSPOD_UNPACK_LIMIT: '2G' }).limit).toBe(1 << 20);
  });
});

describe('registry authentication challenges', () => {
  it('parses Bearer and Basic', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull' },
    });
    expect(parseChallenge('Basic realm="x"')).toEqual({ scheme: 'basic', params: { realm: 'x' } });
  });
});

describe('credentials from docker config.json', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  it('finds a registry by host and Docker Hub by its legacy key', () => {
    const cfg = parseDockerConfig(
      JSON.stringify({
        auths: {
          'r.example:5000': { auth: b64('u:p:w') },
          'https://index.docker.io/v1/': { username: 'hub', password: 'pw' },
        },
      }),
      'c',
    );
    expect(credentialsFor('r.example:5000', [{ config: cfg, from: 'c' }])).toEqual({ username: 'u', password: 'p:w' });
    expect(credentialsFor('docker.io', [{ config: cfg, from: 'c' }])).toEqual({ username: 'hub', password: 'pw' });
    expect(credentialsFor('other.example', [{ config: cfg, from: 'c' }])).toBeUndefined();
  });

  it(
    'matches keys as the kubelet keyring does: ' + 'globs per host label, exact port, path prefix, most specific first',
    () => {
      const auths = {
        'quay.example': { username: 'host', password: '1' },
        'quay.example/team': { username: 'team', password: '2' },
        'https://quay.example/v2/': { username: 'v2', password: '3' },
        '*.mirror.example': { username: 'glob', password: '4' },
        'r.example:5000': { username: 'port', password: '5' },
      };
      const src = [{ config: parseDockerConfig(JSON.stringify({ auths }), 'c'), from: 'c' }];
      const users = (registry: string, repo: string) =>
        credentialCandidates(registry, repo, src).map((c) => c.creds.username);
      expect(users('quay.example', 'team/app')).toEqual(['team', 'host', 'v2']);
      expect(users('quay.example', 'other/app')).toEqual(['host', 'v2']);
      expect(users('eu.mirror.example', 'a')).toEqual(['glob']);
      expect(users('a.b.mirror.example', 'a')).toEqual([]); // a glob label is one label
      expect(users('mirror.example', 'a')).toEqual([]);
      expect(users('r.example:5000', 'a')).toEqual(['port']);
      expect(users('r.example', 'a')).toEqual([]);
      expect(users('r.example:5001', 'a')).toEqual([]);
    },
  );

  it('tries every source in order, each match a candidate; a bad auth field names its key', () => {
    const a = { config: { auths: { 'r.example': { username: 'pod', password: 'x' } } }, from: 'secret "default/a"' };
    const b = {
      config: { auths: { 'https://r.example': { auth: b64('host:y') } } },
      from: '/root/.docker/config.json',
    };
    expect(credentialCandidates('r.example', 'x', [a, b])).toEqual([
      { creds: { username: 'pod', password: 'x' }, from: 'secret "default/a"' },
      { creds: { username: 'host', password: 'y' }, from: '/root/.docker/config.json' },
    ]);
    const bad = { config: { auths: { 'r.example': { auth: b64('no-colon') } } }, from: 'f' };
    expect(() => credentialCandidates('r.example', 'x', [bad])).toThrow(
      'f: auths["r.example"].auth is not base64 of "user:password"',
    );
  });

  it('runs a credential helper', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-cred-'));
    fs.writeFileSync(
      path.join(dir, 'docker-credential-fake'),
      '#!/bin/sh\nread host\necho "{\\"Username\\":\\"h-$host\\",\\"Secret\\":\\"s\\"}"\n',
      { mode: 0o755 },
    );
    const old = process.env.PATH;
    process.env.PATH = `${dir}:${old}`;
    try {
      const cfg = parseDockerConfig(JSON.stringify({ credHelpers: { 'r.example': 'fake' } }), 'c');
      expect(credentialsFor('r.example', [{ config: cfg, from: 'c' }])).toEqual({
        username: 'h-r.example',
        password: 's',
      });
    } finally {
      process.env.PATH = old;
      fs.rmSync(dir, { recursive: true });
    }
  });
});

describe('host configuration', () => {
  it('mirrors first, Docker Hub at registry-1, plain HTTP when insecure, "*" for the rest', () => {
    const h = new HostConfig(
      parseHostConfig(
        JSON.stringify({
          registries: {
            'docker.io': { mirrors: ['https://m.example:5000'] },
            'localhost:5000': { insecure: true },
            '*': { blocked: true },
          },
        }),
        'f',
      ),
    );
    expect(h.endpoints('docker.io').map((e) => e.url)).toEqual([
      'https://m.example:5000',
      'https://registry-1.docker.io',
    ]);
    expect(h.endpoints('localhost:5000').map((e) => e.url)).toEqual(['http://localhost:5000']);
    expect(h.endpoints('quay.io')).toEqual([]);
  });

  it("trusts each server by its own entry: the registry's authority does not vouch for its token server", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tspod-hosts-'));
    try {
      fs.writeFileSync(path.join(dir, 'reg.pem'), 'REG');
      fs.writeFileSync(path.join(dir, 'auth.pem'), 'AUTH');
      const h = new HostConfig(
        parseHostConfig(
          JSON.stringify({
            registries: {
              'r.example:5000': { ca: path.join(dir, 'reg.pem') },
              'auth.example': { ca: path.join(dir, 'auth.pem') },
            },
          }),
          'f',
        ),
      );
      const [e] = h.endpoints('r.example:5000');
      expect(e!.trust('r.example:5000')?.toString()).toBe('REG');
      expect(e!.trust('auth.example')?.toString()).toBe('AUTH');
      expect(e!.trust('storage.example')).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('refuses what it does not know', () => {
    expect(() => parseHostConfig('{"registries":{"a":{"mirror":[]}}}', 'f')).toThrow(
      'f: registries["a"].mirror: unknown field',
    );
    expect(() => parseHostConfig('{"registries":{"a":{"mirrors":["ftp://x"]}}}', 'f')).toThrow(
      /mirrors must be a list of http/,
    );
  });
});

describe('platform selection and pull policy', () => {
  const index = {
    bytes: Buffer.alloc(0),
    mediaType: '',
    digest: '',
    doc: {
      manifests: [
        { mediaType: 'm', digest: 'sha256:att', size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
        { mediaType: 'm', digest: 'sha256:amd', size: 1, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: 'm', digest: 'sha256:v7', size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
        {
          mediaType: 'm',
          digest: 'sha256:a64',
          size: 1,
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
      ],
    },
  } as FetchedManifest;
  it('picks by os, architecture and variant, skipping attestations', () => {
    expect(selectPlatform(index, { os: 'linux', architecture: 'amd64' }, 'x').digest).toBe('sha256:amd');
    expect(selectPlatform(index, { os: 'linux', architecture: 'arm64' }, 'x').digest).toBe('sha256:a64');
    expect(selectPlatform(index, { os: 'linux', architecture: 'arm', variant: 'v7' }, 'x').digest).toBe('sha256:v7');
    expect(() => selectPlatform(index, { os: 'linux', architecture: 'arm', variant: 'v6' }, 'x')).toThrow(
      'x: no image for linux/arm/v6 (the index has linux/amd64, linux/arm/v7, linux/arm64/v8)',
    );
  });

  it('--pull overrides the policy', () => {
    expect(effectivePolicy('Always')).toBe('Always');
    expect(effectivePolicy('Always', 'never')).toBe('Never');
    expect(effectivePolicy('Never', 'missing')).toBe('IfNotPresent');
  });
});
