import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { validatePod } from '../../../src/manifest/index.js';
import { seccompChoice } from '../../../src/manifest/seccomp.js';
import { withSeccomp } from '../../../src/plan/container.js';
import type { NativeOp } from '../../../src/plan/types.js';
import {
  allowedCount,
  parseProfile,
  resolveFilter,
  type SeccompFilter,
  type Target,
} from '../../../src/seccomp/profile.js';

const DEFAULT = parseProfile(
  JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../../src/seccomp/runtime-default.json'), 'utf8')),
  'RuntimeDefault',
);
const target = (caps: string[] = [], known: (n: string) => boolean = () => true): Target => ({
  capabilities: caps,
  arch: 'SCMP_ARCH_X86_64',
  kernel: '6.1.0',
  known,
});
const rulesFor = (f: SeccompFilter, name: string) => f.rules.filter((r) => r.names.includes(name));

describe('the RuntimeDefault profile, resolved', () => {
  test('denies with EPERM by default, for x86_64 and its 32-bit ABIs', () => {
    const f = resolveFilter(DEFAULT, target(), 'd');
    expect([f.defaultAction, f.defaultErrno]).toEqual(['SCMP_ACT_ERRNO', 1]);
    expect(f.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    expect(allowedCount(f)).toBeGreaterThan(300);
  });

  test('never allows the keyring calls', () => {
    for (const caps of [[], ['CAP_SYS_ADMIN']]) {
      const f = resolveFilter(DEFAULT, target(caps), 'd');
      for (const n of ['add_key', 'request_key', 'keyctl']) expect(rulesFor(f, n), n).toEqual([]);
    }
  });

  test('without CAP_SYS_ADMIN: no unshare/mount/setns, clone only without namespace flags, clone3 ENOSYS', () => {
    const f = resolveFilter(DEFAULT, target(['CAP_CHOWN']), 'd');
    for (const n of ['unshare', 'mount', 'setns', 'umount2', 'bpf', 'chroot']) expect(rulesFor(f, n), n).toEqual([]);
    expect(rulesFor(f, 'clone')).toEqual([
      {
        names: ['clone'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      },
    ]);
    expect(rulesFor(f, 'clone3')).toEqual([{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errno: 38, args: [] }]);
  });

  test('with CAP_SYS_ADMIN: unshare, mount and clone (any flags) are allowed, clone3 too', () => {
    const f = resolveFilter(DEFAULT, target(['CAP_SYS_ADMIN']), 'd');
    for (const n of ['unshare', 'mount', 'setns', 'clone', 'clone3'])
      expect(
        rulesFor(f, n).map((r) => [r.action, r.args]),
        n,
      ).toEqual([['SCMP_ACT_ALLOW', []]]);
  });

  test('each other capability unlocks its own calls only', () => {
    expect(rulesFor(resolveFilter(DEFAULT, target(['CAP_SYS_CHROOT']), 'd'), 'chroot')).toHaveLength(1);
    expect(rulesFor(resolveFilter(DEFAULT, target(['CAP_SYS_TIME']), 'd'), 'settimeofday')).toHaveLength(1);
    expect(rulesFor(resolveFilter(DEFAULT, target(['CAP_SYS_TIME']), 'd'), 'mount')).toEqual([]);
  });

  test('comparisons on one argument become one rule each (any of): personality', () => {
    const p = rulesFor(resolveFilter(DEFAULT, target(), 'd'), 'personality');
    expect(p.map((r) => r.args.map((a) => a.value))).toEqual([[0], [8], [0x20000], [0x20008], [0xffffffff]]);
  });

  test('architecture-conditional rules follow the host', () => {
    expect(rulesFor(resolveFilter(DEFAULT, target(), 'd'), 'arch_prctl')).toHaveLength(1);
    expect(rulesFor(resolveFilter(DEFAULT, { ...target(), arch: 'SCMP_ARCH_AARCH64' }, 'd'), 'arch_prctl')).toEqual([]);
  });

  test('allowed names the host libseccomp does not know are left out (they stay denied)', () => {
    const f = resolveFilter(
      DEFAULT,
      target([], (n) => n !== 'cachestat'),
      'd',
    );
    expect(rulesFor(f, 'cachestat')).toEqual([]);
    expect(rulesFor(f, 'openat')).toHaveLength(1);
  });
});

describe('Localhost profiles', () => {
  const profile = (json: object) => parseProfile(json, 'p');

  test('a deny rule under a permissive default keeps its errno; rules equal to the default are dropped', () => {
    const f = resolveFilter(
      profile({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [
          { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 122 },
          { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        ],
      }),
      target(),
      'p',
    );
    expect(f.rules).toEqual([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errno: 122, args: [] }]);
    expect(f.architectures).toEqual(['SCMP_ARCH_X86_64']);
  });

  test('a deny rule for a call libseccomp does not know is refused, not silently dropped', () => {
    const p = profile({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['brand_new_call'], action: 'SCMP_ACT_ERRNO' }],
    });
    expect(() =>
      resolveFilter(
        p,
        target([], (n) => n !== 'brand_new_call'),
        'p',
      ),
    ).toThrow(/"brand_new_call" is unknown to this host's libseccomp/);
  });

  test('bad profiles are refused with the place named', () => {
    expect(() => profile({ defaultAction: 'SCMP_ACT_NOTIFY' })).toThrow(
      /p.defaultAction: SCMP_ACT_NOTIFY needs a seccomp agent/,
    );
    expect(() => profile({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock' })).toThrow(/listenerPath/);
    expect(() =>
      profile({
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, op: 'SCMP_CMP_EQ', value: 1 }] }],
      }),
    ).toThrow(/p.syscalls\[0\].args\[0\].index/);
    expect(() => profile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ action: 'SCMP_ACT_ERRNO' }] })).toThrow(
      /p.syscalls\[0\]: names a system call/,
    );
    expect(() => profile({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_TSYNC'] })).toThrow(
      /unsupported flag/,
    );
  });
});

describe('which profile a container gets', () => {
  const podWith = (spec: object, annotations?: Record<string, string>) =>
    validatePod({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', ...(annotations ? { annotations } : {}) },
      spec: {
        containers: [
          { name: 'c', image: 'busybox' },
          { name: 'd', image: 'busybox' },
        ],
        ...spec,
      },
    }).pod;

  test('RuntimeDefault unless asked; container over pod; fields over annotations', () => {
    expect(seccompChoice(podWith({}), 'c').profile).toEqual({ type: 'RuntimeDefault' });
    expect(
      seccompChoice(podWith({}, { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' }), 'c').profile,
    ).toEqual({ type: 'Unconfined' });
    const p = podWith(
      { securityContext: { seccompProfile: { type: 'Unconfined' } } },
      { 'container.seccomp.security.alpha.kubernetes.io/d': 'localhost/x.json' },
    );
    expect(seccompChoice(p, 'c').profile).toEqual({ type: 'Unconfined' });
    expect(seccompChoice(p, 'd').profile).toEqual({ type: 'Localhost', localhostProfile: 'x.json' });
  });

  test('invalid fields and annotations are refused by name', () => {
    const bad = (spec: object, ann?: Record<string, string>) => () => podWith(spec, ann);
    expect(bad({ securityContext: { seccompProfile: { type: 'Localhost' } } })).toThrow(
      /spec.securityContext.seccompProfile.localhostProfile: must be set when type is Localhost/,
    );
    expect(bad({ securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: '../x' } } })).toThrow(
      /localhostProfile/,
    );
    expect(bad({}, { 'seccomp.security.alpha.kubernetes.io/pod': 'bogus' })).toThrow(
      /metadata.annotations\[seccomp.security.alpha.kubernetes.io\/pod\]: must be runtime\/default/,
    );
    expect(
      bad(
        { securityContext: { seccompProfile: { type: 'RuntimeDefault' } } },
        { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' },
      ),
    ).toThrow(/does not match spec.securityContext.seccompProfile/);
    expect(bad({}, { 'container.seccomp.security.alpha.kubernetes.io/zz': 'unconfined' })).toThrow(
      /names no container "zz"/,
    );
  });
});

describe('where the seccomp step goes', () => {
  const ops: NativeOp[] = [
    { op: 'closeFds' },
    { op: 'credentials', bounding: [], effective: [], permitted: [], inheritable: [] },
    { op: 'noNewPrivs' },
    { op: 'exec', target: 'sh', argv: ['sh'], env: [] },
  ];
  const step = {
    profile: 'RuntimeDefault',
    filter: { defaultAction: 'SCMP_ACT_ERRNO' as const, defaultErrno: 1, architectures: [], flags: [], rules: [] },
  };
  test('right before exec with no_new_privs; before the credentials (while CAP_SYS_ADMIN is held) without', () => {
    expect(withSeccomp(ops, step, true).map((o) => o.op)).toEqual([
      'closeFds',
      'credentials',
      'noNewPrivs',
      'seccomp',
      'exec',
    ]);
    const noNnp = ops.filter((o) => o.op !== 'noNewPrivs');
    expect(withSeccomp(noNnp, step, false).map((o) => o.op)).toEqual(['closeFds', 'seccomp', 'credentials', 'exec']);
    expect(withSeccomp(noNnp, undefined, false)).toEqual(noNnp);
  });
});
