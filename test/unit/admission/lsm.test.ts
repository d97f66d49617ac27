import { describe, expect, test } from 'vitest';
import { lsmRefusals } from '../../../src/admission/lsm.js';
import { validatePod } from '../../../src/manifest/index.js';
import { linesOf } from '../manifest/helpers.js';

const podOf = (spec: Record<string, unknown>, annotations?: Record<string, string>) =>
  validatePod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...(annotations ? { annotations } : {}) }, spec })
    .pod;
const c = (sc?: object) => ({ name: 'c', image: 'busybox', ...(sc ? { securityContext: sc } : {}) });
const none = { apparmor: false, selinux: false };
const both = { apparmor: true, selinux: true, lsms: ['capability', 'apparmor', 'selinux'] };
const reasons = (spec: Record<string, unknown>, lsm = none, ann?: Record<string, string>) =>
  lsmRefusals(podOf(spec, ann), lsm).map((r) => `${r.reason}: ${r.message}`);
const NOT_ENABLED = 'AppArmor: Cannot enforce AppArmor: AppArmor is not enabled on the host';

describe("AppArmor and SELinux on a host without them (the kubelet's decision)", () => {
  test('no profile, or Unconfined at either level or in the annotation, is admitted', () => {
    expect(reasons({ containers: [c()] })).toEqual([]);
    expect(
      reasons({
        securityContext: { appArmorProfile: { type: 'Unconfined' } },
        containers: [c({ appArmorProfile: { type: 'Unconfined' } })],
      }),
    ).toEqual([]);
    expect(
      reasons({ containers: [c()] }, none, { 'container.apparmor.security.beta.kubernetes.io/c': 'unconfined' }),
    ).toEqual([]);
  });

  test("RuntimeDefault or Localhost anywhere fails admission with the kubelet's reason and message", () => {
    expect(reasons({ securityContext: { appArmorProfile: { type: 'RuntimeDefault' } }, containers: [c()] })).toEqual([
      NOT_ENABLED,
    ]);
    expect(
      reasons({ containers: [c({ appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-deny-write' } })] }),
    ).toEqual([NOT_ENABLED]);
    expect(
      reasons({ containers: [c()] }, none, {
        'container.apparmor.security.beta.kubernetes.io/c': 'localhost/k8s-deny-write',
      }),
    ).toEqual([NOT_ENABLED]);
  });

  test('seLinuxOptions run where SELinux is off, as the runtime applies no label there', () => {
    expect(
      reasons({
        securityContext: { seLinuxOptions: { level: 's0:c123,c456' } },
        containers: [c({ seLinuxOptions: { type: 'spc_t' } })],
      }),
    ).toEqual([]);
  });

  test('where the module is active tspod refuses rather than run the pod unconfined', () => {
    expect(reasons({ containers: [c({ appArmorProfile: { type: 'RuntimeDefault' } })] }, both)).toEqual([
      'AppArmor: Cannot enforce AppArmor: tspod does not apply AppArmor profiles',
    ]);
    expect(reasons({ containers: [c({ seLinuxOptions: { level: 's0:c1' } })] }, both)).toEqual([
      'SELinux: Cannot apply seLinuxOptions: tspod does not label processes or files, and this host enforces SELinux',
    ]);
    expect(reasons({ containers: [c({ appArmorProfile: { type: 'Unconfined' } })] }, both)).toEqual([]);
  });
});

describe('AppArmor fields and annotations are validated as the API server does', () => {
  const pod = (sc: object, annotations?: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', ...(annotations ? { annotations } : {}) },
    spec: { containers: [c(sc)] },
  });
  test('Localhost needs a profile name; others may not have one', () => {
    expect(linesOf(pod({ appArmorProfile: { type: 'Localhost' } }))).toEqual([
      'spec.containers[0].securityContext.appArmorProfile.localhostProfile: must be set when type is Localhost',
    ]);
    expect(linesOf(pod({ appArmorProfile: { type: 'RuntimeDefault', localhostProfile: 'x' } }))).toEqual([
      'spec.containers[0].securityContext.appArmorProfile.localhostProfile: may only be set when type is Localhost',
    ]);
  });
  test('annotations: a known value, an existing container, agreeing with the field', () => {
    const key = 'container.apparmor.security.beta.kubernetes.io/';
    expect(linesOf(pod({}, { [`${key}c`]: 'strict' }))).toEqual([
      `metadata.annotations[${key}c]: must be runtime/default, unconfined or localhost/<profile>, not "strict"`,
    ]);
    expect(linesOf(pod({}, { [`${key}d`]: 'unconfined' }))).toEqual([
      `metadata.annotations[${key}d]: names no container "d"`,
    ]);
    expect(linesOf(pod({ appArmorProfile: { type: 'Unconfined' } }, { [`${key}c`]: 'runtime/default' }))).toEqual([
      `metadata.annotations[${key}c]: does not match container "c" securityContext.appArmorProfile`,
    ]);
  });
});
