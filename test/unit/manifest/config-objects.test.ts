/**
 * Files of several objects (documents, kind: List), ConfigMaps and Secrets as the API server reads
 * them, configMap/secret volume payloads and env from them, as the kubelet computes them.
 */
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  checkEnvRefs,
  ConfigRefError,
  loadObjects,
  resolveProcess,
  type ConfigObjects,
} from '../../../src/manifest/index.js';
import { configPayload } from '../../../src/runtime/config-volumes.js';
import { writeAtomic } from '../../../src/runtime/atomic-writer.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tspod-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const facts = { podName: 'p', namespace: 'default', uid: 'u', nodeName: 'n', serviceAccountName: 'default' };

async function load(text: string) {
  const file = path.join(dir, `f${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return loadObjects([{ source: file, role: 'any' }]);
}
const pod = (name: string, containers = '[{name: c, image: busybox}]') =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec: {containers: ${containers}}\n`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('files of objects', () => {
  test('several documents and a kind: List, pods and config objects', async () => {
    const text =
      `${pod('a')}---\napiVersion: v1\nkind: List\nitems:\n` +
      `- {apiVersion: v1, kind: ConfigMap, metadata: {name: cm}, data: {k: v}, ` +
      `binaryData: {b: ${b64('\x00\x01')}}}\n- ` +
      `${pod('b')
        .replace(/\n/g, ' ')
        .replace(
          'apiVersion: v1 kind: Pod metadata: {name: b} spec:',
          '{apiVersion: v1, kind: Pod, metadata: {name: b}, spec:',
        )}}\n---\n`;

    const got = await load(text);
    expect(got.pods.map((p) => p.pod.metadata.name)).toEqual(['a', 'b']);
    expect(got.config.configMaps['default/cm']).toEqual({ b: b64('\x00\x01'), k: b64('v') });
  });

  test('a Secret: data is base64, stringData wins for the same key', async () => {
    const got = await load(
      `apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: prod}\n` +
        `data: {user: ${b64('admin')}, pass: ${b64('old')}}\nstringData: {pass: new}\n---\n${pod('a')}`,
    );
    expect(got.config.secrets['prod/s']).toEqual({ user: b64('admin'), pass: b64('new') });
  });

  test('every issue of every object, with the file and object number', async () => {
    const err = await load(
      'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: "not base64!"}\n---\napiVersion: apps/v1\n' +
        'kind: Frobnicator\nmetadata: {name: x}\n',
    ).catch((e) => e);
    expect(err.message).toMatch(/#1: data\[k\]: is not valid base64/);
    expect(err.message).toMatch(/#2: kind: kind "Frobnicator" is not supported/);
  });

  test('a ConfigMap key in both data and binaryData, and a bad key', async () => {
    const err = await load(
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: a, "a/b": x}\nbinaryData: {k: ${b64('b')}}\n`,
    ).catch((e) => e);
    expect(err.message).toMatch(/data\[k\]: duplicate of a key in binaryData/);
    expect(err.message).toMatch(/invalid key "a\/b"/);
  });
});

const config: ConfigObjects = {
  configMaps: {
    'default/cm': {
      'game.properties': b64('lives=3\n'),
      'ui.properties': b64('color=blue\n'),
      '1st': b64('x'),
      LEVEL: b64('$(HOME)'),
    },
  },
  secrets: { 'default/s': { password: b64('hunter2') } },
};

describe('volume payloads', () => {
  const cm = (spec: object) => ({
    kind: 'configmap' as const,
    name: 'cm',
    spec: { name: 'cm', defaultMode: 0o644, ...spec },
  });
  test('every key with defaultMode, or the items at their paths with their modes', () => {
    expect(
      configPayload('v', cm({ defaultMode: 0o400 }), config.configMaps['default/cm']).map((f) => [f.path, f.mode]),
    ).toEqual([
      ['1st', 0o400],
      ['LEVEL', 0o400],
      ['game.properties', 0o400],
      ['ui.properties', 0o400],
    ]);
    const items = configPayload(
      'v',
      cm({
        items: [
          { key: 'game.properties', path: 'conf/game', mode: 0o600 },
          { key: 'ui.properties', path: 'ui' },
        ],
      }),
      config.configMaps['default/cm'],
    );
    expect(items.map((f) => [f.path, f.mode, f.content.toString()])).toEqual([
      ['conf/game', 0o600, 'lives=3\n'],
      ['ui', 0o644, 'color=blue\n'],
    ]);
  });

  test('a missing object or key fails unless optional', () => {
    expect(() => configPayload('v', cm({}), undefined)).toThrow('volume "v": configmap "cm" not found');
    expect(configPayload('v', cm({ optional: true }), undefined)).toEqual([]);
    expect(() => configPayload('v', cm({ items: [{ key: 'nope', path: 'x' }] }), {})).toThrow(
      'references non-existent config key: nope',
    );
    expect(configPayload('v', cm({ optional: true, items: [{ key: 'nope', path: 'x' }] }), {})).toEqual([]);
  });
});

describe('env from ConfigMaps and Secrets', () => {
  const container = (more: object) =>
    ({
      name: 'c',
      image: 'busybox',
      command: ['true'],
      env: [],
      envFrom: [],
      ports: [],
      volumeMounts: [],
      resources: {},
      imagePullPolicy: 'Always',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      ...more,
    }) as never;
  // The kubelet's order of envFrom variables is a Go map's: only the set is compared.
  const envOf = (more: object) => resolveProcess(container(more), {}, facts, config).env.slice(1).sort();

  test('envFrom with a prefix, env overrides it, keys that are not names skipped', () => {
    expect(
      envOf({ envFrom: [{ configMapRef: { name: 'cm' } }], env: [{ name: 'LEVEL', value: 'mine $(ui.properties)' }] }),
    ).toEqual(['LEVEL=mine color=blue\n', 'game.properties=lives=3\n', 'ui.properties=color=blue\n']);
    expect(envOf({ envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'CM_' }] })).toEqual([
      'CM_1st=x',
      'CM_LEVEL=$(HOME)',
      'CM_game.properties=lives=3\n',
      'CM_ui.properties=color=blue\n',
    ]);
    const pod = {
      metadata: { namespace: 'default' },
      spec: { initContainers: [], containers: [container({ envFrom: [{ configMapRef: { name: 'cm' } }] })] },
    };
    expect(checkEnvRefs(pod, config)).toEqual([
      'container "c": keys [1st] from the EnvFrom configmap default/cm were skipped since they are considered ' +
        'invalid environment variable names',
    ]);
  });

  test('key refs are read as they are (never expanded); a missing optional one leaves the variable out', () => {
    expect(
      envOf({
        env: [
          { name: 'L', valueFrom: { configMapKeyRef: { name: 'cm', key: 'LEVEL' } } },
          { name: 'P', valueFrom: { secretKeyRef: { name: 's', key: 'password' } } },
          { name: 'O', valueFrom: { secretKeyRef: { name: 'gone', key: 'k', optional: true } } },
        ],
      }),
    ).toEqual(['L=$(HOME)', 'P=hunter2']);
    expect(() => envOf({ env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'nope' } } }] })).toThrow(
      "couldn't find key nope in ConfigMap default/cm",
    );
    expect(() => envOf({ envFrom: [{ secretRef: { name: 'gone' } }] })).toThrow(
      'secret "gone" not found in namespace "default"',
    );
  });

  test(
    'a value with a NUL (a binary Secret key) cannot be made a variable or, through $(VAR), an argument: ' +
      'execve would cut it short',
    () => {
      const binary: ConfigObjects = {
        configMaps: {},
        secrets: { 'default/bin': { key: b64('abc\0; rm -rf /'), ok: b64('fine') } },
      };
      const run = (more: object) => resolveProcess(container(more), {}, facts, binary);
      const refused = (more: object) => {
        try {
          run(more);
        } catch (err) {
          return err instanceof ConfigRefError ? err.detail : String(err);
        }
        return 'made';
      };
      expect(refused({ env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'bin', key: 'key' } } }] })).toBe(
        'environment variable K contains a NUL character, which execve cannot pass',
      );
      expect(refused({ envFrom: [{ secretRef: { name: 'bin' } }] })).toBe(
        'environment variable key contains a NUL character, which execve cannot pass',
      );
      expect(
        refused({
          command: ['echo', '$(K)'],
          env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'bin', key: 'key' } } }],
        }),
      ).toBe('argument 1 of the command contains a NUL character, which execve cannot pass');
      expect(run({ env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'bin', key: 'ok' } } }] }).env).toContain(
        'K=fine',
      );
    },
  );
});

test(
  'the atomic writer: ' + 'a timestamped directory, ..data pointing at it, each top-level name through ..data',
  async () => {
    const vol = mkdtempSync(path.join(dir, 'vol-'));
    const ts = await writeAtomic(
      vol,
      [
        { path: 'a', content: Buffer.from('A'), mode: 0o400 },
        { path: 'sub/b', content: Buffer.from('B'), mode: 0o644 },
      ],
      {},
      new Date(Date.UTC(2026, 11, 1, 22, 30, 46)),
    );
    expect(ts).toMatch(/^\.\.2026_12_01_22_30_46\./);
    expect(readdirSync(vol).sort()).toEqual(['..data', ts, 'a', 'sub'].sort());
    expect(readlinkSync(path.join(vol, '..data'))).toBe(ts);
    expect(readlinkSync(path.join(vol, 'a'))).toBe('..data/a');
    expect(readlinkSync(path.join(vol, 'sub'))).toBe('..data/sub');
    expect(readFileSync(path.join(vol, 'sub/b'), 'utf8')).toBe('B');
    expect(statSync(path.join(vol, 'a')).mode & 0o777).toBe(0o400);
  },
);
