/**
 * Validation of what shapes a container's process and its privileges (environment, security
 * contexts) and of the pod-level rules, with the exact `path: message` lines.
 */
import { describe, expect, test } from 'vitest';
import { linesAfter } from './helpers.js';
import { dottedSysctl } from '../../../src/manifest/security.js';

describe('environment', () => {
  const env = (list: unknown) => linesAfter((p) => (p.spec.containers[1].env = list));

  test('names are valid environment variable names', () => {
    expect(env([{ name: 'MY_VAR.1-x', value: 'v' }, { name: '_X' }])).toEqual([]);
    expect(env([{ name: '1VAR', value: 'v' }])).toEqual([
      'spec.containers[1].env[0].name: invalid environment variable name "1VAR": must be letters, digits, ' +
        "'_', '-' and '.', not starting with a digit",
    ]);
    expect(env([{ name: 'A=B', value: 'v' }])[0]).toMatch(
      /^spec\.containers\[1\]\.env\[0\]\.name: invalid environment variable name "A=B"/,
    );
    expect(env([{ value: 'v' }])).toEqual(['spec.containers[1].env[0].name: required']);
  });

  test(
    'a NUL in a string execve gets (command, args, env value, exec handler) is refused: ' +
      'the kernel would cut the string there',
    () => {
      const nul = (set: (c: Record<string, unknown>) => void) => linesAfter((p) => set(p.spec.containers[1]));
      const says = (at: number, s: string) =>
        `may not contain a NUL character (at ${at} of ${JSON.stringify(s)}): execve would end the string there`;
      expect(nul((c) => (c.command = ['sh', '-c', 'echo hi\0; rm -rf /']))).toEqual([
        `spec.containers[1].command[2]: ${says(7, 'echo hi\0; rm -rf /')}`,
      ]);
      expect(nul((c) => (c.args = ['\0']))).toEqual([`spec.containers[1].args[0]: ${says(0, '\0')}`]);
      expect(nul((c) => (c.env = [{ name: 'A', value: 'x\0y' }]))).toEqual([
        `spec.containers[1].env[0].value: ${says(1, 'x\0y')}`,
      ]);
      expect(nul((c) => (c.livenessProbe = { exec: { command: ['cat', '/x\0'] } }))).toEqual([
        `spec.containers[1].livenessProbe.exec.command[1]: ${says(2, '/x\0')}`,
      ]);
      expect(nul((c) => (c.lifecycle = { preStop: { exec: { command: ['a\0'] } } }))).toEqual([
        `spec.containers[1].lifecycle.preStop.exec.command[0]: ${says(1, 'a\0')}`,
      ]);
      expect(nul((c) => (c.command = ['sh', '-c', 'echo \u2028 \x01 ok']))).toEqual([]);
    },
  );

  test('value and valueFrom exclude each other', () => {
    expect(env([{ name: 'A', value: 'v', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }])).toEqual([
      'spec.containers[1].env[0].valueFrom: may not be specified when value is not empty',
    ]);
    expect(env([{ name: 'A', value: '', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }])).toEqual([]);
  });

  test('fieldRef reads the supported downward API fields', () => {
    for (const fieldPath of [
      'metadata.name',
      'metadata.namespace',
      'metadata.uid',
      'status.podIP',
      'status.hostIP',
      'spec.nodeName',
      'spec.serviceAccountName',
    ]) {
      expect(env([{ name: 'A', valueFrom: { fieldRef: { fieldPath } } }])).toEqual([]);
    }
    for (const fieldPath of [
      "metadata.labels['app']",
      "metadata.annotations['a.b/c']",
      'status.podIPs',
      'status.hostIPs',
    ]) {
      expect(env([{ name: 'A', valueFrom: { fieldRef: { fieldPath } } }])).toEqual([]);
    }
    expect(env([{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.color' } } }])[0]).toMatch(
      new RegExp(
        String.raw`^spec\.containers\[1\]\.env\[0\]\.valueFrom\.fieldRef\.fieldPath: ` +
          String.raw`invalid field path "metadata\.color": must be one of metadata\.name, `,
      ),
    );
    expect(env([{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v2' } } }])).toEqual([
      'spec.containers[1].env[0].valueFrom.fieldRef.apiVersion: invalid value "v2": must be "v1"',
    ]);
  });

  test('valueFrom needs exactly one source', () => {
    expect(env([{ name: 'A', valueFrom: {} }])).toEqual(['spec.containers[1].env[0].valueFrom: must specify a source']);
    expect(
      env([
        { name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' }, configMapKeyRef: { name: 'c', key: 'k' } } },
      ]),
    ).toEqual([
      'spec.containers[1].env[0].valueFrom.secretKeyRef: may not be set together with configMapKeyRef: ' +
        'specify only one source',
    ]);
    expect(env([{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'bad/key' } } }])).toEqual([
      'spec.containers[1].env[0].valueFrom.secretKeyRef.key: invalid key "bad/key": must consist of letters, ' +
        "digits, '-', '_' or '.'",
    ]);
  });
});

describe('security context', () => {
  test('user and group ids are 0-2147483647', () => {
    expect(
      linesAfter((p) => (p.spec.securityContext = { runAsUser: 1000, runAsGroup: 0, supplementalGroups: [5, 6] })),
    ).toEqual([]);
    expect(linesAfter((p) => (p.spec.securityContext = { supplementalGroups: [-1] }))).toEqual([
      'spec.securityContext.supplementalGroups[0]: must be between 0 and 2147483647, got -1',
    ]);
  });

  test('capabilities are known names', () => {
    const caps = (capabilities: unknown) =>
      linesAfter((p) => (p.spec.containers[0].securityContext = { capabilities }));
    expect(caps({ add: ['NET_ADMIN', 'cap_sys_time'], drop: ['ALL'] })).toEqual([]);
    expect(caps({ add: ['NET_MAGIC'] })).toEqual([
      'spec.containers[0].securityContext.capabilities.add[0]: unknown capability "NET_MAGIC"',
    ]);
  });

  test('allowPrivilegeEscalation false contradicts privileged and SYS_ADMIN', () => {
    expect(
      linesAfter((p) => (p.spec.containers[0].securityContext = { privileged: true, allowPrivilegeEscalation: false })),
    ).toEqual([
      'spec.containers[0].securityContext.allowPrivilegeEscalation: may not be false when privileged is true',
    ]);
    expect(
      linesAfter(
        (p) =>
          (p.spec.containers[0].securityContext = {
            allowPrivilegeEscalation: false,
            capabilities: { add: ['CAP_SYS_ADMIN'] },
          }),
      ),
    ).toEqual([
      'spec.containers[0].securityContext.allowPrivilegeEscalation: ' +
        'may not be false when capabilities.add includes SYS_ADMIN',
    ]);
  });

  test('runAsNonRoot with runAsUser 0 can never start', () => {
    expect(linesAfter((p) => (p.spec.securityContext = { runAsNonRoot: true, runAsUser: 0 }))).toEqual([
      'spec.securityContext.runAsUser: is 0 (root) but runAsNonRoot is true for container "server"',
      'spec.securityContext.runAsUser: is 0 (root) but runAsNonRoot is true for container "writer"',
    ]);
    expect(
      linesAfter((p) => {
        p.spec.securityContext = { runAsNonRoot: true, runAsUser: 0 };
        p.spec.containers.forEach((c: { securityContext: object }) => (c.securityContext = { runAsUser: 1000 }));
      }),
    ).toEqual([]);
    expect(linesAfter((p) => (p.spec.containers[1].securityContext = { runAsNonRoot: true, runAsUser: 0 }))).toEqual([
      'spec.containers[1].securityContext.runAsUser: is 0 (root) but runAsNonRoot is true for container "writer"',
    ]);
  });

  test('sysctls: only the safe set, not against the host namespaces', () => {
    const sysctls = (list: unknown, edit: (p: Record<string, unknown>) => void = () => {}) =>
      linesAfter((p) => {
        p.spec.securityContext = { sysctls: list };
        edit(p.spec);
      });
    expect(sysctls([{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }])).toEqual([]);
    // The `/` spelling means the dotted name: accepted, checked and de-duplicated as that name.
    expect(sysctls([{ name: 'kernel/shm_rmid_forced', value: '1' }])).toEqual([]);
    expect(
      sysctls([
        { name: 'kernel/shm_rmid_forced', value: '1' },
        { name: 'kernel.shm_rmid_forced', value: '0' },
      ]),
    ).toEqual([
      'spec.securityContext.sysctls[1].name: duplicate sysctl name "kernel.shm_rmid_forced": ' +
        'already used by spec.securityContext.sysctls[0]',
    ]);
    expect(dottedSysctl('net/ipv4/conf/eth0.100/forwarding')).toBe('net.ipv4.conf.eth0/100.forwarding');
    expect(dottedSysctl('net.ipv4.tcp_syncookies')).toBe('net.ipv4.tcp_syncookies');
    expect(sysctls([{ name: 'kernel.msgmax', value: '1' }])[0]).toMatch(
      new RegExp(
        String.raw`^spec\.securityContext\.sysctls\[0\]\.name: sysctl "kernel\.msgmax" ` +
          String.raw`is not in the safe set \(kernel\.shm_rmid_forced, `,
      ),
    );
    expect(sysctls([{ name: 'net.ipv4.tcp_syncookies', value: '1' }], (s) => (s.hostNetwork = true))).toEqual([
      'spec.securityContext.sysctls[0].name: "net.ipv4.tcp_syncookies" may not be set when hostNetwork is true: ' +
        'it would change the host',
    ]);
    expect(sysctls([{ name: 'kernel.shm_rmid_forced', value: '1' }], (s) => (s.hostIPC = true))).toEqual([
      'spec.securityContext.sysctls[0].name: "kernel.shm_rmid_forced" may not be set when hostIPC is true: ' +
        'it would change the host',
    ]);
    expect(
      sysctls([
        { name: 'kernel.shm_rmid_forced', value: '1' },
        { name: 'kernel.shm_rmid_forced', value: '0' },
      ]),
    ).toEqual([
      'spec.securityContext.sysctls[1].name: duplicate sysctl name "kernel.shm_rmid_forced": ' +
        'already used by spec.securityContext.sysctls[0]',
    ]);
  });
});

describe('pod-level rules', () => {
  test('shareProcessNamespace and hostPID exclude each other', () => {
    expect(linesAfter((p) => Object.assign(p.spec, { shareProcessNamespace: true, hostPID: true }))).toEqual([
      'spec.shareProcessNamespace: may not be true when hostPID is true',
    ]);
  });

  test('dnsPolicy None needs a nameserver; nameservers are IPs, at most 3', () => {
    expect(linesAfter((p) => (p.spec.dnsPolicy = 'None'))).toEqual([
      'spec.dnsConfig.nameservers: at least one nameserver is required when dnsPolicy is None',
    ]);
    expect(
      linesAfter((p) =>
        Object.assign(p.spec, {
          dnsPolicy: 'None',
          dnsConfig: { nameservers: ['10.0.0.10'], searches: ['svc.local.'], options: [{ name: 'ndots', value: '2' }] },
        }),
      ),
    ).toEqual([]);
    expect(linesAfter((p) => (p.spec.dnsConfig = { nameservers: ['1.1.1.1', '::1', '10.0.0.1', '10.0.0.2'] }))).toEqual(
      ['spec.dnsConfig.nameservers: must have at most 3 items, has 4'],
    );
    expect(linesAfter((p) => (p.spec.dnsConfig = { nameservers: ['dns.local'] }))).toEqual([
      'spec.dnsConfig.nameservers[0]: invalid IP address "dns.local"',
    ]);
  });

  test('grace period and deadline ranges', () => {
    expect(linesAfter((p) => (p.spec.terminationGracePeriodSeconds = -1))).toEqual([
      'spec.terminationGracePeriodSeconds: must be at least 0, got -1',
    ]);
    expect(linesAfter((p) => (p.spec.activeDeadlineSeconds = 0))).toEqual([
      'spec.activeDeadlineSeconds: must be at least 1, got 0',
    ]);
  });

  test('host aliases', () => {
    expect(linesAfter((p) => (p.spec.hostAliases = [{ ip: '10.1.2.3', hostnames: ['db.local', 'db'] }]))).toEqual([]);
    expect(linesAfter((p) => (p.spec.hostAliases = [{ ip: '10.1.2', hostnames: ['DB'] }]))).toEqual([
      'spec.hostAliases[0].ip: invalid IP address "10.1.2"',
      'spec.hostAliases[0].hostnames[0]: invalid name "DB": must be a DNS subdomain (lower-case letters, ' +
        "digits, '-' and '.', starting and ending with a letter or digit)",
    ]);
  });

  test('preStop runs an exec command; init containers have no lifecycle', () => {
    expect(
      linesAfter((p) => (p.spec.containers[0].lifecycle = { preStop: { exec: { command: ['nginx', '-s', 'quit'] } } })),
    ).toEqual([]);
    expect(linesAfter((p) => (p.spec.containers[0].lifecycle = { preStop: {} }))).toEqual([
      'spec.containers[0].lifecycle.preStop: must specify a handler',
    ]);
    expect(linesAfter((p) => (p.spec.containers[0].lifecycle = { preStop: { exec: {} } }))).toEqual([
      'spec.containers[0].lifecycle.preStop.exec.command: required',
    ]);
    expect(
      linesAfter(
        (p) =>
          (p.spec.initContainers = [
            { name: 'init', image: 'busybox', lifecycle: { preStop: { exec: { command: ['true'] } } } },
          ]),
      ),
    ).toEqual(['spec.initContainers[0].lifecycle: may not be set for init containers without restartPolicy=Always']);
  });

  test('workingDir and terminationMessagePath are absolute', () => {
    expect(linesAfter((p) => (p.spec.containers[0].workingDir = 'app'))).toEqual([
      'spec.containers[0].workingDir: "app" is not an absolute path',
    ]);
    expect(linesAfter((p) => (p.spec.containers[0].terminationMessagePath = 'log'))).toEqual([
      'spec.containers[0].terminationMessagePath: "log" is not an absolute path',
    ]);
  });
});

describe('sysctl values', () => {
  test('are required', () => {
    expect(linesAfter((p) => (p.spec.securityContext = { sysctls: [{ name: 'kernel.shm_rmid_forced' }] }))).toEqual([
      'spec.securityContext.sysctls[0].value: required',
    ]);
  });
});
