/**
 * Properties: random mutations of valid manifests either validate or fail with a ManifestError
 * whose every issue has a path and a message; nothing ever crashes. The parser and the expansion
 * get random text too.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  expandVars,
  ManifestError,
  parseManifest,
  POD_SCHEMA,
  resolveProcess,
  validatePod,
} from '../../../src/manifest/index.js';
import type { Node } from '../../../src/manifest/schema.js';
import { basePod, type Json } from './helpers.js';

/** A manifest that uses most of what tspod implements, so mutations reach deep. */
function fullPod(): Json {
  const pod = basePod();
  Object.assign(pod.metadata, { namespace: 'team', uid: 'u-1', annotations: { 'example.com/a': 'b' } });
  Object.assign(pod.spec, {
    restartPolicy: 'OnFailure',
    terminationGracePeriodSeconds: 5,
    activeDeadlineSeconds: 600,
    shareProcessNamespace: true,
    hostname: 'front',
    subdomain: 'web',
    hostAliases: [{ ip: '10.0.0.2', hostnames: ['db.local'] }],
    dnsPolicy: 'None',
    dnsConfig: { nameservers: ['10.0.0.10'], searches: ['local'], options: [{ name: 'ndots', value: '1' }] },
    securityContext: {
      runAsUser: 1000,
      runAsGroup: 1000,
      supplementalGroups: [5],
      sysctls: [{ name: 'net.ipv4.ping_group_range', value: '0 1000' }],
    },
    initContainers: [
      {
        name: 'init',
        image: 'busybox',
        command: ['true'],
        volumeMounts: [{ name: 'cache', mountPath: '/cache', subPath: 'x' }],
      },
    ],
  });
  pod.spec.volumes.push(
    { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
    { name: 'host', hostPath: { path: '/srv', type: 'DirectoryOrCreate' } },
  );
  Object.assign(pod.spec.containers[0], {
    env: [
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'URL', value: 'http://$(POD)' },
    ],
    resources: { limits: { cpu: '1', memory: '128Mi' }, requests: { cpu: '100m' } },
    securityContext: {
      capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
    },
    lifecycle: { preStop: { exec: { command: ['nginx', '-s', 'quit'] } } },
    workingDir: '/srv',
    terminationMessagePolicy: 'FallbackToLogsOnError',
  });
  pod.spec.containers[0].ports.push({ containerPort: 8443, hostPort: 8443, hostIP: '127.0.0.1', protocol: 'TCP' });
  pod.spec.containers[1].volumeMounts.push({ name: 'host', mountPath: '/host', readOnly: true });
  return pod;
}

function fieldNames(node: Node, out = new Set<string>()): Set<string> {
  if (node.kind === 'object') {
    for (const [name, child] of Object.entries(node.fields)) {
      out.add(name);
      fieldNames(child, out);
    }
  } else if (node.kind === 'list') fieldNames(node.items, out);
  return out;
}

const knownNames = [...fieldNames(POD_SCHEMA)];

/** Every [container, key] position in a JSON tree, in a fixed order. */
function positions(value: Json, out: [Json, string | number][] = []): [Json, string | number][] {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push([value, i]);
      positions(v, out);
    });
  } else if (value && typeof value === 'object') {
    for (const k of Object.keys(value)) {
      out.push([value, k]);
      positions(value[k], out);
    }
  }
  return out;
}

const interesting = fc.constantFrom(
  '',
  null,
  0,
  -1,
  1.5,
  65536,
  2 ** 53,
  '64Mi',
  '500m',
  '/proc/x',
  '../x',
  'ALL',
  '$(',
  'None',
  'Memory',
  [],
  {},
  true,
  'a'.repeat(300),
);
const anyValue = fc.oneof(interesting, fc.jsonValue({ maxDepth: 3 }), fc.string());
const anyKey = fc.oneof(
  fc.constantFrom(...knownNames),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('__proto__', 'constructor', 'toString'),
);

const mutation = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('set', 'delete', 'add', 'duplicate'),
  key: anyKey,
  value: anyValue,
});

function mutate(pod: Json, m: { at: number; op: string; key: string; value: unknown }): void {
  const all = positions(pod);
  if (all.length === 0) return;
  const [parent, key] = all[m.at % all.length]!;
  const target = parent[key];
  // Values go in as copies: the generator's own value must never become part of the tree, or a
  // later mutation could add the tree into it and make it cyclic (then no manifest file exists).
  if (m.op === 'set') parent[key] = structuredClone(m.value);
  else if (m.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else if (m.op === 'add' && target && typeof target === 'object' && !Array.isArray(target))
    Object.defineProperty(target, m.key, {
      value: structuredClone(m.value),
      enumerable: true,
      configurable: true,
      writable: true,
    });
  else if (m.op === 'add' && Array.isArray(target)) target.push(structuredClone(m.value));
  else if (m.op === 'duplicate' && Array.isArray(parent)) parent.push(structuredClone(target));
}

function checkOutcome(manifest: unknown, ignoreUnsupported: boolean): void {
  try {
    const { pod, warnings } = validatePod(manifest, { ignoreUnsupported });
    expect(Array.isArray(pod.spec.containers) && pod.spec.containers.length > 0).toBe(true);
    expect(warnings.every((w) => /^\S[^:]*: /.test(w))).toBe(true);
    const facts = { podName: 'p', namespace: 'n', uid: 'u', nodeName: 'h', serviceAccountName: 's' };
    for (const c of pod.spec.containers) resolveProcess(c, { Cmd: ['sh'] }, facts);
  } catch (err) {
    if (!(err instanceof ManifestError)) throw err;
    expect(err.issues.length).toBeGreaterThan(0);
    for (const { path, message } of err.issues) {
      expect(path.length).toBeGreaterThan(0);
      expect(message.length).toBeGreaterThan(0);
    }
    expect(err.message).toBe(err.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  }
}

describe('random mutations of a valid manifest', () => {
  test.each([
    ['the small pod', basePod],
    ['the full pod', fullPod],
  ])('of %s validate or fail with path-bearing issues, never crash', (_name, make) => {
    expect(() => validatePod(make())).not.toThrow();
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 5 }), fc.boolean(), (mutations, ignore) => {
        const pod = make();
        for (const m of mutations) mutate(pod, m);
        checkOutcome(pod, ignore);
      }),
      { numRuns: 1500 },
    );
  });

  test('whole random values never crash', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => checkOutcome(value, false)),
      { numRuns: 500 },
    );
  });
});

describe('random text', () => {
  test('parses or fails with source:line:column', () => {
    const text = fc.oneof(
      fc.string(),
      fc.string({
        unit: fc.constantFrom(
          'a',
          ':',
          ' ',
          '\n',
          '-',
          '[',
          ']',
          '{',
          '}',
          '"',
          "'",
          '&',
          '*',
          '#',
          '!',
          '|',
          '>',
          '\t',
          '0',
        ),
      }),
    );
    fc.assert(
      fc.property(text, (t) => {
        try {
          parseManifest(t, 'p.yaml');
        } catch (err) {
          expect(err).toBeInstanceOf(ManifestError);
          expect((err as Error).message).toMatch(/^p\.yaml:\d+:\d+: \S/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('expansion without defined variables changes nothing but $$', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('$', '(', ')', 'A', ' ') }), (s) => {
        const out = expandVars(s, () => undefined);
        if (!s.includes('$$')) expect(out).toBe(s);
        expect(out.length).toBeLessThanOrEqual(s.length);
      }),
      { numRuns: 2000 },
    );
  });
});
