/**
 * Validation of field types, enumerations, quantities and ports, with the exact `path: message` lines.
 */
import { describe, expect, test } from 'vitest';
import { linesAfter } from './helpers.js';

describe('types', () => {
  test('every field has its type checked', () => {
    expect(linesAfter((p) => (p.spec.containers[0].ports[0].containerPort = '80'))).toEqual([
      'spec.containers[0].ports[0].containerPort: expected an integer, got a string ("80")',
    ]);
    expect(linesAfter((p) => (p.spec.hostNetwork = 'true'))).toEqual([
      'spec.hostNetwork: expected a boolean, got a string ("true")',
    ]);
    expect(linesAfter((p) => (p.spec.containers[1].command = 'echo hi'))).toEqual([
      'spec.containers[1].command: expected a list, got a string ("echo hi")',
    ]);
    expect(linesAfter((p) => (p.spec.containers[1].args = [1, 'x']))).toEqual([
      'spec.containers[1].args[0]: expected a string, got a number (1)',
    ]);
    expect(linesAfter((p) => (p.spec.containers = { name: 'x' }))).toEqual([
      'spec.containers: expected a list, got an object',
    ]);
    expect(linesAfter((p) => (p.spec.terminationGracePeriodSeconds = 1.5))).toEqual([
      'spec.terminationGracePeriodSeconds: expected an integer, got a number (1.5)',
    ]);
    expect(linesAfter((p) => (p.metadata = 'web'))).toEqual(['metadata: expected an object, got a string ("web")']);
  });

  test('a list element of the wrong type keeps the indexes of the rest', () => {
    const lines = linesAfter((p) => {
      p.spec.containers.unshift('nginx');
      p.spec.containers[2].volumeMounts[0].name = 'x';
    });
    expect(lines).toEqual([
      'spec.containers[0]: expected an object, got a string ("nginx")',
      'spec.containers[2].volumeMounts[0].name: volume "x" is not defined in spec.volumes',
    ]);
  });

  test('null is the absence of a field', () => {
    expect(linesAfter((p) => (p.spec.containers[1].args = null))).toEqual([]);
    expect(linesAfter((p) => (p.spec.containers[0].image = null))).toEqual(['spec.containers[0].image: required']);
  });

  test('required fields', () => {
    expect(linesAfter((p) => (p.spec.containers = []))).toEqual(['spec.containers: required']);
    expect(linesAfter((p) => delete p.spec.containers[0].image)).toEqual(['spec.containers[0].image: required']);
    expect(linesAfter((p) => delete p.spec.containers[0].name)).toEqual(['spec.containers[0].name: required']);
    expect(linesAfter((p) => delete p.spec.containers[0].ports[0].containerPort)).toEqual([
      'spec.containers[0].ports[0].containerPort: required',
    ]);
    expect(linesAfter((p) => (p.spec.containers[0].image = ' nginx'))).toEqual([
      'spec.containers[0].image: " nginx" may not begin or end with white space',
    ]);
  });
});

describe('enumerations', () => {
  test('restartPolicy', () => {
    for (const v of ['Always', 'OnFailure', 'Never']) expect(linesAfter((p) => (p.spec.restartPolicy = v))).toEqual([]);
    expect(linesAfter((p) => (p.spec.restartPolicy = 'never'))).toEqual([
      'spec.restartPolicy: invalid value "never": must be one of "Always", "OnFailure", "Never"',
    ]);
  });

  test('imagePullPolicy', () => {
    for (const v of ['Always', 'IfNotPresent', 'Never'])
      expect(linesAfter((p) => (p.spec.containers[0].imagePullPolicy = v))).toEqual([]);
    expect(linesAfter((p) => (p.spec.containers[0].imagePullPolicy = 'Sometimes'))).toEqual([
      'spec.containers[0].imagePullPolicy: invalid value "Sometimes": must be one of "Always", "IfNotPresent", "Never"',
    ]);
  });

  test('dnsPolicy, protocol, terminationMessagePolicy', () => {
    expect(linesAfter((p) => (p.spec.dnsPolicy = 'Host'))).toEqual([
      'spec.dnsPolicy: invalid value "Host": must be one of "ClusterFirst", "ClusterFirstWithHostNet", ' +
        '"Default", "None"',
    ]);
    expect(linesAfter((p) => (p.spec.containers[0].ports[0].protocol = 'tcp'))).toEqual([
      'spec.containers[0].ports[0].protocol: invalid value "tcp": must be one of "TCP", "UDP", "SCTP"',
    ]);
    expect(linesAfter((p) => (p.spec.containers[0].terminationMessagePolicy = 'Logs'))).toEqual([
      'spec.containers[0].terminationMessagePolicy: invalid value "Logs": must be one of "File", ' +
        '"FallbackToLogsOnError"',
    ]);
  });
});

describe('quantities', () => {
  test('resources take Kubernetes quantities for cpu and memory', () => {
    const res = (resources: unknown) => linesAfter((p) => (p.spec.containers[0].resources = resources));
    expect(res({ limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: 0.25, memory: '1e6' } })).toEqual([]);
    expect(res({ limits: { memory: '64MB' } })).toEqual([
      'spec.containers[0].resources.limits[memory]: invalid quantity "64MB": ' +
        'expected a number with an optional suffix (64Mi, 1G, 500m, 1e3)',
    ]);
    expect(res({ limits: { cpu: '-1' } })).toEqual([
      'spec.containers[0].resources.limits[cpu]: invalid quantity "-1": must not be negative',
    ]);
    expect(res({ limits: { cpu: true } })).toEqual([
      'spec.containers[0].resources.limits[cpu]: expected a quantity, got a boolean (true)',
    ]);
  });

  test('ephemeral-storage and extended resources are counted; hugepages and unknown names are refused', () => {
    expect(
      linesAfter(
        (p) => (p.spec.containers[0].resources = { limits: { 'ephemeral-storage': '1Gi', 'example.com/dongle': 1 } }),
      ),
    ).toEqual([]);
    expect(
      linesAfter(
        (p) =>
          (p.spec.containers[0].resources = { limits: { 'hugepages-2Mi': '2Mi', gpu: '1', 'kubernetes.io/x': '1' } }),
      ),
    ).toEqual([
      'spec.containers[0].resources.limits[hugepages-2Mi]: resource "hugepages-2Mi" is not supported by tspod ' +
        '(cpu, memory, ephemeral-storage and extended resources are)',
      'spec.containers[0].resources.limits[gpu]: resource "gpu" must be a standard resource for containers ' +
        '(cpu, memory, ephemeral-storage) or an extended resource named domain/name',
      'spec.containers[0].resources.limits[kubernetes.io/x]: ' +
        'resource "kubernetes.io/x" must be a standard resource for containers ' +
        '(cpu, memory, ephemeral-storage) or an extended resource named domain/name',
    ]);
  });

  test('an extended resource is a whole number, and its request is its limit', () => {
    expect(linesAfter((p) => (p.spec.containers[0].resources = { limits: { 'example.com/dongle': '500m' } }))).toEqual([
      'spec.containers[0].resources.limits[example.com/dongle]: must be an integer, got "500m"',
    ]);
    expect(linesAfter((p) => (p.spec.containers[0].resources = { requests: { 'example.com/dongle': '1' } }))).toEqual([
      'spec.containers[0].resources.limits[example.com/dongle]: ' +
        'must be set for the extended resource example.com/dongle (it cannot be overcommitted)',
    ]);
    expect(
      linesAfter(
        (p) =>
          (p.spec.containers[0].resources = {
            requests: { 'example.com/dongle': '1' },
            limits: { 'example.com/dongle': '2' },
          }),
      ),
    ).toEqual([
      'spec.containers[0].resources.requests[example.com/dongle]: must be equal to example.com/dongle limit of 2',
    ]);
  });

  test('a request may not exceed its limit', () => {
    expect(
      linesAfter((p) => (p.spec.containers[0].resources = { limits: { cpu: '1' }, requests: { cpu: '1001m' } })),
    ).toEqual(['spec.containers[0].resources.requests[cpu]: request 1001m is more than the limit 1']);
    expect(
      linesAfter((p) => (p.spec.containers[0].resources = { limits: { cpu: '1' }, requests: { cpu: '1000m' } })),
    ).toEqual([]);
  });
});

describe('ports', () => {
  test('containerPort and hostPort are 1-65535 (hostPort 0 means none)', () => {
    const port = (p: object) => linesAfter((pod) => (pod.spec.containers[0].ports = [p]));
    expect(port({ containerPort: 65535, hostPort: 0 })).toEqual([]);
    expect(port({ containerPort: 0 })).toEqual([
      'spec.containers[0].ports[0].containerPort: must be between 1 and 65535, got 0',
    ]);
    expect(port({ containerPort: 65536 })).toEqual([
      'spec.containers[0].ports[0].containerPort: must be between 1 and 65535, got 65536',
    ]);
    expect(port({ containerPort: 80, hostPort: 70000 })).toEqual([
      'spec.containers[0].ports[0].hostPort: must be between 0 and 65535, got 70000',
    ]);
    expect(port({ containerPort: 80, hostIP: 'localhost' })).toEqual([
      'spec.containers[0].ports[0].hostIP: invalid IP address "localhost"',
    ]);
  });

  test('two containers cannot use the same host port and protocol', () => {
    const lines = linesAfter((p) => {
      p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }];
      p.spec.containers[1].ports = [
        { containerPort: 81, hostPort: 8080, protocol: 'UDP' },
        { containerPort: 82, hostPort: 8080 },
      ];
    });
    expect(lines).toEqual([
      'spec.containers[1].ports[1].hostPort: host port 8080/TCP is already used by spec.containers[0].ports[0]',
    ]);
  });

  test('on the host network, hostPort equals containerPort', () => {
    expect(linesAfter((p) => (p.spec.hostNetwork = true))).toEqual([]);
    expect(
      linesAfter((p) => {
        p.spec.hostNetwork = true;
        p.spec.containers[0].ports[0].hostPort = 8080;
      }),
    ).toEqual(['spec.containers[0].ports[0].hostPort: must equal containerPort (80) when hostNetwork is true']);
  });
});
