/**
 * A pod's imagePullSecrets: Secrets of the docker-config types as the API server validates them,
 * carried with the pod, and read into credential sources the pull tries before the host's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadObjects } from '../../../src/manifest/index.js';
import { referencedConfig } from '../../../src/runtime/config-volumes.js';
import { credentialCandidates } from '../../../src/registry/credentials.js';
import { missingSecretsMessage, podCredentialSources } from '../../../src/registry/pull-secrets.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tspod-pullsecrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const b64 = (s: string) => Buffer.from(s).toString('base64');

async function load(docs: object[]) {
  const file = path.join(dir, `f${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs }));
  return loadObjects([{ source: file, role: 'any' }]);
}
const pod = (pullSecrets: unknown) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'team' },
  spec: { imagePullSecrets: pullSecrets, containers: [{ name: 'c', image: 'r.example/app:1' }] },
});
const secret = (name: string, type: string | undefined, data: Record<string, string>, namespace = 'team') => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace },
  ...(type ? { type } : {}),
  data,
});
const json = (v: unknown) => b64(JSON.stringify(v));

describe('Secrets of the docker-config types', () => {
  test('the API server requires their key, holding JSON', async () => {
    const missing = await load([secret('a', 'kubernetes.io/dockerconfigjson', { other: b64('x') })]).catch((e) => e);
    expect(missing.message).toMatch(/data\[\.dockerconfigjson\]: required/);
    const bad = await load([secret('b', 'kubernetes.io/dockercfg', { '.dockercfg': b64('{not json') })]).catch(
      (e) => e,
    );
    expect(bad.message).toMatch(/data\[\.dockercfg\]: invalid value "<secret contents redacted>"/);
    expect(bad.message).not.toContain('{not json');
  });

  test('imagePullSecrets takes only names (an empty one is allowed)', async () => {
    const extra = await load([pod([{ name: 'a', key: 'k' }])]).catch((e) => e);
    expect(extra.message).toMatch(/spec\.imagePullSecrets\[0\]\.key: unknown field/);
    const ok = await load([pod([{}, { name: 'a' }])]);
    expect(ok.pods[0]!.pod.spec.imagePullSecrets).toEqual([{}, { name: 'a' }]);
  });
});

describe("the pod's credential sources", () => {
  test(
    "dockerconfigjson and the legacy dockercfg, in the pod's order; " + 'other types and other namespaces passed over',
    async () => {
      const loaded = await load([
        pod([
          { name: 'legacy' },
          { name: 'json' },
          { name: 'opaque' },
          { name: 'absent' },
          { name: '' },
          { name: 'elsewhere' },
        ]),
        secret('json', 'kubernetes.io/dockerconfigjson', {
          '.dockerconfigjson': json({ auths: { 'r.example': { auth: b64('jsonuser:pw1') } } }),
        }),
        secret('legacy', 'kubernetes.io/dockercfg', {
          '.dockercfg': json({ 'https://r.example': { username: 'cfguser', password: 'pw2', email: 'a@b' } }),
        }),
        secret('opaque', undefined, {
          '.dockerconfigjson': json({ auths: { 'r.example': { username: 'no', password: 'no' } } }),
        }),
        secret(
          'elsewhere',
          'kubernetes.io/dockerconfigjson',
          { '.dockerconfigjson': json({ auths: { 'r.example': { username: 'no', password: 'no' } } }) },
          'default',
        ),
      ]);
      const p = loaded.pods[0]!.pod;
      // only what the pod names travels with it, with its type
      const config = referencedConfig(p, loaded.config);
      expect(Object.keys(config.secrets).sort()).toEqual(['team/json', 'team/legacy', 'team/opaque']);
      expect(config.secretTypes).toEqual({
        'team/json': 'kubernetes.io/dockerconfigjson',
        'team/legacy': 'kubernetes.io/dockercfg',
      });
      const own = podCredentialSources(p, config);
      expect(own.missing).toEqual(['absent', 'elsewhere']);
      expect(credentialCandidates('r.example', 'app', own.sources)).toEqual([
        { creds: { username: 'cfguser', password: 'pw2' }, from: 'secret "team/legacy"' },
        { creds: { username: 'jsonuser', password: 'pw1' }, from: 'secret "team/json"' },
      ]);
      expect(credentialCandidates('other.example', 'app', own.sources)).toEqual([]);
      expect(missingSecretsMessage(own.missing)).toBe(
        'Unable to retrieve some image pull secrets (absent, elsewhere); attempting to pull the image may not succeed.',
      );
    },
  );

  test('auths that is not an object is refused naming the secret', async () => {
    const loaded = await load([
      pod([{ name: 's' }]),
      secret('s', 'kubernetes.io/dockerconfigjson', { '.dockerconfigjson': json({ auths: ['r.example'] }) }),
    ]);
    const p = loaded.pods[0]!.pod;
    expect(() => podCredentialSources(p, referencedConfig(p, loaded.config))).toThrow(
      'imagePullSecrets: secret "team/s": data[.dockerconfigjson].auths must be an object of registry keys',
    );
  });
});
