/**
 * hostUsers and procMount as the API server validates them: hostUsers: false refuses the host's
 * network, PID and IPC namespaces; procMount Unmasked needs hostUsers: false; any other procMount
 * value is not one Kubernetes knows.
 */
import { describe, expect, test } from 'vitest';
import { validatePod } from '../../../src/manifest/index.js';
import { basePod, linesAfter } from './helpers.js';

describe('hostUsers', () => {
  test('false is accepted, with every volume type (the runtime gives each the right owners)', () => {
    const pod = basePod();
    pod.spec.hostUsers = false;
    pod.spec.volumes.push({ name: 'host', hostPath: { path: '/srv' } }, { name: 'cfg', configMap: { name: 'c' } });
    expect(validatePod(pod).pod.spec.hostUsers).toBe(false);
  });

  test('false with a host namespace is refused, naming each field', () => {
    expect(
      linesAfter((p) => Object.assign(p.spec, { hostUsers: false, hostNetwork: true, hostPID: true, hostIPC: true })),
    ).toEqual([
      'spec.hostNetwork: Forbidden: when `hostUsers` is false',
      'spec.hostPID: Forbidden: when `hostUsers` is false',
      'spec.hostIPC: Forbidden: when `hostUsers` is false',
    ]);
  });

  test("true with the host namespaces is fine (the host's users anyway)", () => {
    expect(linesAfter((p) => Object.assign(p.spec, { hostUsers: true, hostPID: true }))).toEqual([]);
  });

  test('must be a boolean', () => {
    expect(linesAfter((p) => (p.spec.hostUsers = 'no'))[0]).toMatch(/^spec\.hostUsers: /);
  });
});

describe('procMount', () => {
  test('Unmasked without hostUsers: false is refused as the API server words it', () => {
    expect(linesAfter((p) => (p.spec.containers[1].securityContext = { procMount: 'Unmasked' }))).toEqual([
      'spec.containers[1].securityContext.procMount: Invalid value: "Unmasked": ' +
        '`hostUsers` must be false to use `Unmasked`',
    ]);
    expect(
      linesAfter((p) => {
        p.spec.hostUsers = true;
        p.spec.initContainers = [{ name: 'init', image: 'busybox', securityContext: { procMount: 'Unmasked' } }];
      }),
    ).toEqual([
      'spec.initContainers[0].securityContext.procMount: Invalid value: "Unmasked": ' +
        '`hostUsers` must be false to use `Unmasked`',
    ]);
  });

  test('Unmasked with hostUsers: false, and Default anywhere, are accepted', () => {
    expect(
      linesAfter((p) => {
        p.spec.hostUsers = false;
        p.spec.containers[0].securityContext = { procMount: 'Unmasked' };
        p.spec.containers[1].securityContext = { procMount: 'Default' };
      }),
    ).toEqual([]);
  });

  test('another value is not supported', () => {
    expect(linesAfter((p) => (p.spec.containers[0].securityContext = { procMount: 'Masked' }))[0]).toMatch(
      /^spec\.containers\[0\]\.securityContext\.procMount: .*"Default".*"Unmasked"/,
    );
  });
});
