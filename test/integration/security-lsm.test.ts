/**
 * AppArmor and SELinux settings on this host, as the kubelet treats them: this VM has neither
 * module, so a confining AppArmor profile fails admission with the kubelet's reason, Unconfined
 * runs, and seLinuxOptions run unlabelled (as the runtime does where SELinux is off). The test
 * reads the host itself: on a host with AppArmor it expects tspod's refusal instead.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectClean, linesOf, newRoots, pod, removeRoots, runPod, type TestRoots } from './helpers.js';

let roots: TestRoots;
beforeAll(() => {
  roots = newRoots('lsm');
});
afterAll(() => removeRoots(roots));

const hostAppArmor = (() => {
  try {
    return fs.readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').startsWith('Y');
  } catch {
    return false;
  }
})();
const hostSELinux = fs.existsSync('/sys/fs/selinux/enforce');

async function run(sc: object, podSc: object = {}, annotations?: Record<string, string>) {
  const p = pod('lsm', {
    restartPolicy: 'Never',
    securityContext: podSc,
    containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo ran'], securityContext: sc }],
  }) as { metadata: object };
  if (annotations) p.metadata = { ...p.metadata, annotations };
  const res = await runPod(roots, p, ['--network', 'none']);
  expectClean(roots);
  return { code: res.code, out: linesOf(res.stdout, 'c'), stderr: res.stderr };
}

describe('AppArmor and SELinux settings', () => {
  const refusal = hostAppArmor
    ? 'AppArmor: Cannot enforce AppArmor: tspod does not apply AppArmor profiles'
    : 'AppArmor: Cannot enforce AppArmor: AppArmor is not enabled on the host';

  test("RuntimeDefault, Localhost or a localhost/ annotation fail admission with the kubelet's reason, before anything is made", async () => {
    for (const [sc, ann] of [
      [{ appArmorProfile: { type: 'RuntimeDefault' } }, undefined],
      [{ appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-deny-write' } }, undefined],
      [{}, { 'container.apparmor.security.beta.kubernetes.io/c': 'localhost/k8s-deny-write' }],
    ] as const) {
      const r = await run(sc, {}, ann);
      expect(r.code, r.stderr).toBe(125);
      expect(r.stderr).toContain('pod "lsm" was not admitted on node');
      expect(r.stderr).toContain(refusal);
      expect(r.out).toEqual([]);
    }
  });

  test('Unconfined runs; seLinuxOptions run where SELinux is off', async () => {
    const unconfined = await run(
      { appArmorProfile: { type: 'Unconfined' } },
      { appArmorProfile: { type: 'Unconfined' } },
    );
    expect(unconfined.code, unconfined.stderr).toBe(0);
    expect(unconfined.out).toEqual(['ran']);
    const selinux = await run(
      { seLinuxOptions: { type: 'spc_t' } },
      { seLinuxOptions: { level: 's0:c123,c456' }, seLinuxChangePolicy: 'Recursive' },
    );
    expect(selinux.code, selinux.stderr).toBe(hostSELinux ? 125 : 0);
    expect(selinux.out).toEqual(hostSELinux ? [] : ['ran']);
  });
});
