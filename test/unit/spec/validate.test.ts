/**
 * Validation rules, one group per rule of the issue: each invalid manifest is checked for the
 * exact `path: message` line it produces, and valid variants for producing none.
 */
import { describe, expect, test } from 'vitest';
import { ManifestError, validatePod } from '../../../src/spec/index.js';
import { basePod, linesAfter, linesOf } from './helpers.js';

describe('a valid manifest', () => {
  test('validates without issues or warnings', () => {
    const { pod, warnings } = validatePod(basePod());
    expect(warnings).toEqual([]);
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['server', 'writer']);
  });

  test('does not change the object it was given', () => {
    const input = basePod();
    const copy = structuredClone(input);
    validatePod(input);
    expect(input).toEqual(copy);
  });
});

describe('apiVersion and kind', () => {
  test('must be v1 and Pod', () => {
    expect(linesAfter((p) => (p.apiVersion = 'apps/v1'))).toEqual(['apiVersion: invalid value "apps/v1": must be "v1"']);
    expect(linesAfter((p) => (p.kind = 'Deployment'))).toEqual(['kind: invalid value "Deployment": must be "Pod"']);
  });

  test('are required', () => {
    expect(linesAfter((p) => delete p.apiVersion)).toEqual(['apiVersion: required']);
    expect(linesAfter((p) => delete p.kind)).toEqual(['kind: required']);
  });

  test('metadata and spec are required', () => {
    expect(linesAfter((p) => delete p.spec)).toEqual(['spec: required']);
    expect(linesAfter((p) => delete p.metadata)).toEqual(['metadata: required']);
  });

  test('the manifest must be an object', () => {
    expect(linesOf([basePod()])).toEqual(['(root): expected an object, got a list']);
    expect(linesOf('pod')).toEqual(['(root): expected an object, got a string ("pod")']);
    expect(linesOf(null)).toEqual(['(root): expected an object, got null']);
  });
});

describe('names', () => {
  test('the pod name is a DNS subdomain', () => {
    expect(linesAfter((p) => (p.metadata.name = 'web.example-1'))).toEqual([]);
    expect(linesAfter((p) => (p.metadata.name = 'Web'))).toEqual([
      `metadata.name: invalid name "Web": must be a DNS subdomain (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)`,
    ]);
    expect(linesAfter((p) => (p.metadata.name = 'a'.repeat(254)))).toEqual([
      `metadata.name: "${'a'.repeat(254)}" is longer than 253 characters`,
    ]);
    expect(linesAfter((p) => (p.metadata.name = ''))).toEqual(['metadata.name: required']);
  });

  test('container names are DNS labels', () => {
    expect(linesAfter((p) => (p.spec.containers[1].name = 'my.writer'))).toEqual([
      `spec.containers[1].name: invalid name "my.writer": must be a DNS label (lower-case letters, digits and '-', starting and ending with a letter or digit)`,
    ]);
    expect(linesAfter((p) => (p.spec.containers[1].name = 'w'.repeat(64)))).toEqual([
      `spec.containers[1].name: "${'w'.repeat(64)}" is longer than 63 characters`,
    ]);
  });

  test('volume names are DNS labels', () => {
    expect(linesAfter((p) => (p.spec.volumes[0].name = 'Data'))).toContain(
      `spec.volumes[0].name: invalid name "Data": must be a DNS label (lower-case letters, digits and '-', starting and ending with a letter or digit)`,
    );
  });

  test('port names are IANA service names', () => {
    expect(linesAfter((p) => (p.spec.containers[0].ports[0].name = 'http-alt'))).toEqual([]);
    expect(linesAfter((p) => (p.spec.containers[0].ports[0].name = '8080'))).toEqual([
      'spec.containers[0].ports[0].name: invalid port name "8080": must contain at least one letter',
    ]);
    expect(linesAfter((p) => (p.spec.containers[0].ports[0].name = 'a-very-long-port-name'))).toEqual([
      'spec.containers[0].ports[0].name: invalid port name "a-very-long-port-name": longer than 15 characters',
    ]);
    expect(linesAfter((p) => (p.spec.containers[0].ports[0].name = 'http--x'))).toEqual([
      "spec.containers[0].ports[0].name: invalid port name \"http--x\": may not begin or end with '-' nor contain '--'",
    ]);
  });

  test('namespace, hostname and subdomain are DNS labels', () => {
    expect(linesAfter((p) => (p.metadata.namespace = 'my_ns'))[0]).toMatch(/^metadata\.namespace: invalid name "my_ns": must be a DNS label/);
    expect(linesAfter((p) => (p.spec.hostname = 'a.b'))[0]).toMatch(/^spec\.hostname: invalid name "a\.b": must be a DNS label/);
    expect(linesAfter((p) => (p.spec.subdomain = '-x'))[0]).toMatch(/^spec\.subdomain: invalid name "-x"/);
  });

  test('label keys and values', () => {
    expect(linesAfter((p) => (p.metadata.labels = { 'example.com/tier': 'front_end.1', empty: '' }))).toEqual([]);
    expect(linesAfter((p) => (p.metadata.labels = { 'bad key': 'x' }))).toEqual([
      `metadata.labels[bad key]: invalid key "bad key": the name must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
    ]);
    expect(linesAfter((p) => (p.metadata.labels = { 'Example.com/x': 'y' }))).toEqual([
      `metadata.labels[Example.com/x]: invalid key "Example.com/x": the prefix before '/' must be a DNS subdomain`,
    ]);
    expect(linesAfter((p) => (p.metadata.labels = { app: 'no spaces' }))).toEqual([
      `metadata.labels[app]: invalid label value "no spaces": must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`,
    ]);
    expect(linesAfter((p) => (p.metadata.labels = { app: 5 }))).toEqual(['metadata.labels[app]: expected a string, got a number (5)']);
  });

  test('annotations take any value, within 256 KiB in total', () => {
    expect(linesAfter((p) => (p.metadata.annotations = { 'example.com/note': 'any text: at all!' }))).toEqual([]);
    expect(linesAfter((p) => (p.metadata.annotations = { big: 'x'.repeat(256 * 1024) }))).toEqual([
      'metadata.annotations: keys and values total 262147 bytes, more than the limit of 262144',
    ]);
  });
});

describe('uniqueness', () => {
  test('container names are unique across init and app containers', () => {
    expect(linesAfter((p) => (p.spec.containers[1].name = 'server'))).toEqual([
      'spec.containers[1].name: duplicate container name "server": already used by spec.containers[0]',
    ]);
    const lines = linesAfter((p) => (p.spec.initContainers = [{ name: 'writer', image: 'busybox', command: ['true'] }]));
    expect(lines).toEqual(['spec.containers[1].name: duplicate container name "writer": already used by spec.initContainers[0]']);
  });

  test('volume names are unique', () => {
    expect(linesAfter((p) => p.spec.volumes.push({ name: 'data', emptyDir: {} }))).toEqual([
      'spec.volumes[1].name: duplicate volume name "data": already used by spec.volumes[0]',
    ]);
  });

  test('port names are unique within a container', () => {
    expect(linesAfter((p) => p.spec.containers[0].ports.push({ name: 'http', containerPort: 81 }))).toEqual([
      'spec.containers[0].ports[1].name: duplicate port name "http": already used by spec.containers[0].ports[0]',
    ]);
  });

  test('a mount path is used once per container', () => {
    expect(linesAfter((p) => p.spec.containers[1].volumeMounts.push({ name: 'data', mountPath: '/data/' }))).toEqual([
      'spec.containers[1].volumeMounts[1].mountPath: "/data/" is already mounted by volumeMounts[0]',
    ]);
  });
});

describe('volumes and mounts', () => {
  test('every volumeMounts[].name is a defined volume', () => {
    expect(linesAfter((p) => (p.spec.containers[1].volumeMounts[0].name = 'x'))).toEqual([
      'spec.containers[1].volumeMounts[0].name: volume "x" is not defined in spec.volumes',
    ]);
    expect(linesAfter((p) => delete p.spec.volumes)).toEqual([
      'spec.containers[0].volumeMounts[0].name: volume "data" is not defined in spec.volumes',
      'spec.containers[1].volumeMounts[0].name: volume "data" is not defined in spec.volumes',
    ]);
  });

  test('a volume with an invalid name is reported once, not again by its mounts', () => {
    expect(linesAfter((p) => {
      p.spec.volumes[0].name = 'Data';
      p.spec.containers.forEach((c: { volumeMounts: { name: string }[] }) => (c.volumeMounts[0]!.name = 'Data'));
    })).toEqual([
      `spec.volumes[0].name: invalid name "Data": must be a DNS label (lower-case letters, digits and '-', starting and ending with a letter or digit)`,
    ]);
  });

  test('mountPath is absolute, without .., not under /proc, not /', () => {
    const at = (mountPath: string) => linesAfter((p) => (p.spec.containers[1].volumeMounts[0].mountPath = mountPath));
    expect(at('/var/data')).toEqual([]);
    expect(at('/processes')).toEqual([]);
    expect(at('data')).toEqual(['spec.containers[1].volumeMounts[0].mountPath: "data" is not an absolute path']);
    expect(at('/data/../etc')).toEqual([`spec.containers[1].volumeMounts[0].mountPath: "/data/../etc" may not contain '..'`]);
    expect(at('/proc')).toEqual(['spec.containers[1].volumeMounts[0].mountPath: "/proc" is under /proc, where volumes may not be mounted']);
    expect(at('//proc/sys')).toEqual(['spec.containers[1].volumeMounts[0].mountPath: "//proc/sys" is under /proc, where volumes may not be mounted']);
    expect(at('/')).toEqual([`spec.containers[1].volumeMounts[0].mountPath: "/" is the container's root, which cannot be a volume`]);
    expect(at('')).toEqual(['spec.containers[1].volumeMounts[0].mountPath: required']);
  });

  test('subPath is relative, without ..', () => {
    const at = (subPath: string) => linesAfter((p) => (p.spec.containers[1].volumeMounts[0].subPath = subPath));
    expect(at('site/html')).toEqual([]);
    expect(at('a..b')).toEqual([]);
    expect(at('/site')).toEqual(['spec.containers[1].volumeMounts[0].subPath: "/site" must be a relative path']);
    expect(at('site/../..')).toEqual([`spec.containers[1].volumeMounts[0].subPath: "site/../.." may not contain '..'`]);
  });

  test('a volume has exactly one type', () => {
    expect(linesAfter((p) => (p.spec.volumes[0] = { name: 'data' }))).toEqual([
      'spec.volumes[0]: must specify a volume type (emptyDir or hostPath)',
    ]);
    expect(linesAfter((p) => (p.spec.volumes[0].hostPath = { path: '/srv' }))).toEqual([
      'spec.volumes[0].hostPath: may not be set together with emptyDir: specify only one volume type (emptyDir or hostPath)',
    ]);
  });

  test('hostPath: absolute path and a known type', () => {
    expect(linesAfter((p) => (p.spec.volumes[0] = { name: 'data', hostPath: { path: '/srv', type: 'DirectoryOrCreate' } }))).toEqual([]);
    expect(linesAfter((p) => (p.spec.volumes[0] = { name: 'data', hostPath: { path: 'srv' } }))).toEqual([
      'spec.volumes[0].hostPath.path: "srv" is not an absolute path',
    ]);
    expect(linesAfter((p) => (p.spec.volumes[0] = { name: 'data', hostPath: { path: '/srv', type: 'Dir' } }))).toEqual([
      'spec.volumes[0].hostPath.type: invalid value "Dir": must be one of "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"',
    ]);
    expect(linesAfter((p) => (p.spec.volumes[0] = { name: 'data', hostPath: {} }))).toEqual(['spec.volumes[0].hostPath.path: required']);
  });

  test('emptyDir: medium and sizeLimit', () => {
    const dir = (emptyDir: unknown) => linesAfter((p) => (p.spec.volumes[0].emptyDir = emptyDir));
    expect(dir({ medium: 'Memory', sizeLimit: '64Mi' })).toEqual([]);
    expect(dir({ medium: '' })).toEqual([]);
    expect(dir({ medium: 'Disk' })).toEqual(['spec.volumes[0].emptyDir.medium: invalid value "Disk": must be one of "", "Memory"']);
    expect(dir({ medium: 'HugePages-2Mi' })).toEqual(['spec.volumes[0].emptyDir.medium: medium "HugePages-2Mi" is not supported by tspod']);
    expect(dir({ sizeLimit: 'lots' })).toEqual([
      'spec.volumes[0].emptyDir.sizeLimit: invalid quantity "lots": expected a number with an optional suffix (64Mi, 1G, 500m, 1e3)',
    ]);
    expect(dir({ sizeLimit: '0' })).toEqual(['spec.volumes[0].emptyDir.sizeLimit: invalid quantity "0": must be greater than zero']);
  });

  test('mountPropagation: only None', () => {
    const at = (v: string) => linesAfter((p) => (p.spec.containers[1].volumeMounts[0].mountPropagation = v));
    expect(at('None')).toEqual([]);
    expect(at('Bidirectional')).toEqual([
      'spec.containers[1].volumeMounts[0].mountPropagation: mount propagation "Bidirectional" is not supported by tspod (only "None")',
    ]);
    expect(at('Shared')).toEqual([
      'spec.containers[1].volumeMounts[0].mountPropagation: invalid value "Shared": must be one of "None", "HostToContainer", "Bidirectional"',
    ]);
  });
});

describe('types', () => {
  test('every field has its type checked', () => {
    expect(linesAfter((p) => (p.spec.containers[0].ports[0].containerPort = '80'))).toEqual([
      'spec.containers[0].ports[0].containerPort: expected an integer, got a string ("80")',
    ]);
    expect(linesAfter((p) => (p.spec.hostNetwork = 'true'))).toEqual(['spec.hostNetwork: expected a boolean, got a string ("true")']);
    expect(linesAfter((p) => (p.spec.containers[1].command = 'echo hi'))).toEqual([
      'spec.containers[1].command: expected a list, got a string ("echo hi")',
    ]);
    expect(linesAfter((p) => (p.spec.containers[1].args = [1, 'x']))).toEqual(['spec.containers[1].args[0]: expected a string, got a number (1)']);
    expect(linesAfter((p) => (p.spec.containers = { name: 'x' }))).toEqual(['spec.containers: expected a list, got an object']);
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
    for (const v of ['Always', 'IfNotPresent', 'Never']) expect(linesAfter((p) => (p.spec.containers[0].imagePullPolicy = v))).toEqual([]);
    expect(linesAfter((p) => (p.spec.containers[0].imagePullPolicy = 'Sometimes'))).toEqual([
      'spec.containers[0].imagePullPolicy: invalid value "Sometimes": must be one of "Always", "IfNotPresent", "Never"',
    ]);
  });

  test('dnsPolicy, protocol, terminationMessagePolicy', () => {
    expect(linesAfter((p) => (p.spec.dnsPolicy = 'Host'))).toEqual([
      'spec.dnsPolicy: invalid value "Host": must be one of "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"',
    ]);
    expect(linesAfter((p) => (p.spec.containers[0].ports[0].protocol = 'tcp'))).toEqual([
      'spec.containers[0].ports[0].protocol: invalid value "tcp": must be one of "TCP", "UDP", "SCTP"',
    ]);
    expect(linesAfter((p) => (p.spec.containers[0].terminationMessagePolicy = 'Logs'))).toEqual([
      'spec.containers[0].terminationMessagePolicy: invalid value "Logs": must be one of "File", "FallbackToLogsOnError"',
    ]);
  });
});

describe('quantities', () => {
  test('resources take Kubernetes quantities for cpu and memory', () => {
    const res = (resources: unknown) => linesAfter((p) => (p.spec.containers[0].resources = resources));
    expect(res({ limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: 0.25, memory: '1e6' } })).toEqual([]);
    expect(res({ limits: { memory: '64MB' } })).toEqual([
      'spec.containers[0].resources.limits[memory]: invalid quantity "64MB": expected a number with an optional suffix (64Mi, 1G, 500m, 1e3)',
    ]);
    expect(res({ limits: { cpu: '-1' } })).toEqual(['spec.containers[0].resources.limits[cpu]: invalid quantity "-1": must not be negative']);
    expect(res({ limits: { cpu: true } })).toEqual(['spec.containers[0].resources.limits[cpu]: expected a quantity, got a boolean (true)']);
  });

  test('other resources are not supported', () => {
    expect(linesAfter((p) => (p.spec.containers[0].resources = { limits: { 'ephemeral-storage': '1Gi' } }))).toEqual([
      'spec.containers[0].resources.limits[ephemeral-storage]: resource "ephemeral-storage" is not supported by tspod (only cpu and memory)',
    ]);
  });

  test('a request may not exceed its limit', () => {
    expect(linesAfter((p) => (p.spec.containers[0].resources = { limits: { cpu: '1' }, requests: { cpu: '1001m' } }))).toEqual([
      'spec.containers[0].resources.requests[cpu]: request 1001m is more than the limit 1',
    ]);
    expect(linesAfter((p) => (p.spec.containers[0].resources = { limits: { cpu: '1' }, requests: { cpu: '1000m' } }))).toEqual([]);
  });
});

describe('ports', () => {
  test('containerPort and hostPort are 1-65535 (hostPort 0 means none)', () => {
    const port = (p: object) => linesAfter((pod) => (pod.spec.containers[0].ports = [p]));
    expect(port({ containerPort: 65535, hostPort: 0 })).toEqual([]);
    expect(port({ containerPort: 0 })).toEqual(['spec.containers[0].ports[0].containerPort: must be between 1 and 65535, got 0']);
    expect(port({ containerPort: 65536 })).toEqual(['spec.containers[0].ports[0].containerPort: must be between 1 and 65535, got 65536']);
    expect(port({ containerPort: 80, hostPort: 70000 })).toEqual(['spec.containers[0].ports[0].hostPort: must be between 0 and 65535, got 70000']);
    expect(port({ containerPort: 80, hostIP: 'localhost' })).toEqual(['spec.containers[0].ports[0].hostIP: invalid IP address "localhost"']);
  });

  test('two containers cannot use the same host port and protocol', () => {
    const lines = linesAfter((p) => {
      p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }];
      p.spec.containers[1].ports = [{ containerPort: 81, hostPort: 8080, protocol: 'UDP' }, { containerPort: 82, hostPort: 8080 }];
    });
    expect(lines).toEqual(['spec.containers[1].ports[1].hostPort: host port 8080/TCP is already used by spec.containers[0].ports[0]']);
  });

  test('on the host network, hostPort equals containerPort', () => {
    expect(linesAfter((p) => (p.spec.hostNetwork = true))).toEqual([]);
    expect(linesAfter((p) => {
      p.spec.hostNetwork = true;
      p.spec.containers[0].ports[0].hostPort = 8080;
    })).toEqual(['spec.containers[0].ports[0].hostPort: must equal containerPort (80) when hostNetwork is true']);
  });
});

describe('environment', () => {
  const env = (list: unknown) => linesAfter((p) => (p.spec.containers[1].env = list));

  test('names are valid environment variable names', () => {
    expect(env([{ name: 'MY_VAR.1-x', value: 'v' }, { name: '_X' }])).toEqual([]);
    expect(env([{ name: '1VAR', value: 'v' }])).toEqual([
      `spec.containers[1].env[0].name: invalid environment variable name "1VAR": must be letters, digits, '_', '-' and '.', not starting with a digit`,
    ]);
    expect(env([{ name: 'A=B', value: 'v' }])[0]).toMatch(/^spec\.containers\[1\]\.env\[0\]\.name: invalid environment variable name "A=B"/);
    expect(env([{ value: 'v' }])).toEqual(['spec.containers[1].env[0].name: required']);
  });

  test('value and valueFrom exclude each other', () => {
    expect(env([{ name: 'A', value: 'v', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }])).toEqual([
      'spec.containers[1].env[0].valueFrom: may not be specified when value is not empty',
    ]);
    expect(env([{ name: 'A', value: '', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }])).toEqual([]);
  });

  test('fieldRef reads the supported downward API fields', () => {
    for (const fieldPath of ['metadata.name', 'metadata.namespace', 'metadata.uid', 'status.podIP', 'status.hostIP', 'spec.nodeName', 'spec.serviceAccountName']) {
      expect(env([{ name: 'A', valueFrom: { fieldRef: { fieldPath } } }])).toEqual([]);
    }
    expect(env([{ name: 'A', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }])).toEqual([
      `spec.containers[1].env[0].valueFrom.fieldRef.fieldPath: field "metadata.labels['app']" is not supported by tspod (supported: metadata.name, metadata.namespace, metadata.uid, status.podIP, status.hostIP, spec.nodeName, spec.serviceAccountName)`,
    ]);
    expect(env([{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.color' } } }])[0]).toMatch(
      /^spec\.containers\[1\]\.env\[0\]\.valueFrom\.fieldRef\.fieldPath: invalid field path "metadata\.color": must be one of metadata\.name, /,
    );
    expect(env([{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v2' } } }])).toEqual([
      'spec.containers[1].env[0].valueFrom.fieldRef.apiVersion: invalid value "v2": must be "v1"',
    ]);
  });

  test('valueFrom needs exactly one source', () => {
    expect(env([{ name: 'A', valueFrom: {} }])).toEqual(['spec.containers[1].env[0].valueFrom: must specify a source']);
    expect(env([{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }])).toEqual([
      'spec.containers[1].env[0].valueFrom.secretKeyRef: not supported by tspod',
    ]);
  });
});

describe('security context', () => {
  test('user and group ids are 0-2147483647', () => {
    expect(linesAfter((p) => (p.spec.securityContext = { runAsUser: 1000, runAsGroup: 0, supplementalGroups: [5, 6] }))).toEqual([]);
    expect(linesAfter((p) => (p.spec.securityContext = { supplementalGroups: [-1] }))).toEqual([
      'spec.securityContext.supplementalGroups[0]: must be between 0 and 2147483647, got -1',
    ]);
  });

  test('capabilities are known names', () => {
    const caps = (capabilities: unknown) => linesAfter((p) => (p.spec.containers[0].securityContext = { capabilities }));
    expect(caps({ add: ['NET_ADMIN', 'cap_sys_time'], drop: ['ALL'] })).toEqual([]);
    expect(caps({ add: ['NET_MAGIC'] })).toEqual(['spec.containers[0].securityContext.capabilities.add[0]: unknown capability "NET_MAGIC"']);
  });

  test('allowPrivilegeEscalation false contradicts privileged and SYS_ADMIN', () => {
    expect(linesAfter((p) => (p.spec.containers[0].securityContext = { privileged: true, allowPrivilegeEscalation: false }))).toEqual([
      'spec.containers[0].securityContext.allowPrivilegeEscalation: may not be false when privileged is true',
    ]);
    expect(linesAfter((p) => (p.spec.containers[0].securityContext = { allowPrivilegeEscalation: false, capabilities: { add: ['CAP_SYS_ADMIN'] } }))).toEqual([
      'spec.containers[0].securityContext.allowPrivilegeEscalation: may not be false when capabilities.add includes SYS_ADMIN',
    ]);
  });

  test('runAsNonRoot with runAsUser 0 can never start', () => {
    expect(linesAfter((p) => (p.spec.securityContext = { runAsNonRoot: true, runAsUser: 0 }))).toEqual([
      'spec.securityContext.runAsUser: is 0 (root) but runAsNonRoot is true for container "server"',
      'spec.securityContext.runAsUser: is 0 (root) but runAsNonRoot is true for container "writer"',
    ]);
    expect(linesAfter((p) => {
      p.spec.securityContext = { runAsNonRoot: true, runAsUser: 0 };
      p.spec.containers.forEach((c: { securityContext: object }) => (c.securityContext = { runAsUser: 1000 }));
    })).toEqual([]);
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
    expect(sysctls([{ name: 'kernel.msgmax', value: '1' }])[0]).toMatch(
      /^spec\.securityContext\.sysctls\[0\]\.name: sysctl "kernel\.msgmax" is not in the safe set \(kernel\.shm_rmid_forced, /,
    );
    expect(sysctls([{ name: 'net.ipv4.tcp_syncookies', value: '1' }], (s) => (s.hostNetwork = true))).toEqual([
      'spec.securityContext.sysctls[0].name: "net.ipv4.tcp_syncookies" may not be set when hostNetwork is true: it would change the host',
    ]);
    expect(sysctls([{ name: 'kernel.shm_rmid_forced', value: '1' }], (s) => (s.hostIPC = true))).toEqual([
      'spec.securityContext.sysctls[0].name: "kernel.shm_rmid_forced" may not be set when hostIPC is true: it would change the host',
    ]);
    expect(sysctls([{ name: 'kernel.shm_rmid_forced', value: '1' }, { name: 'kernel.shm_rmid_forced', value: '0' }])).toEqual([
      'spec.securityContext.sysctls[1].name: duplicate sysctl name "kernel.shm_rmid_forced": already used by spec.securityContext.sysctls[0]',
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
    expect(linesAfter((p) => Object.assign(p.spec, { dnsPolicy: 'None', dnsConfig: { nameservers: ['10.0.0.10'], searches: ['svc.local.'], options: [{ name: 'ndots', value: '2' }] } }))).toEqual([]);
    expect(linesAfter((p) => (p.spec.dnsConfig = { nameservers: ['1.1.1.1', '::1', '10.0.0.1', '10.0.0.2'] }))).toEqual([
      'spec.dnsConfig.nameservers: must have at most 3 items, has 4',
    ]);
    expect(linesAfter((p) => (p.spec.dnsConfig = { nameservers: ['dns.local'] }))).toEqual([
      'spec.dnsConfig.nameservers[0]: invalid IP address "dns.local"',
    ]);
  });

  test('grace period and deadline ranges', () => {
    expect(linesAfter((p) => (p.spec.terminationGracePeriodSeconds = -1))).toEqual([
      'spec.terminationGracePeriodSeconds: must be at least 0, got -1',
    ]);
    expect(linesAfter((p) => (p.spec.activeDeadlineSeconds = 0))).toEqual(['spec.activeDeadlineSeconds: must be at least 1, got 0']);
  });

  test('host aliases', () => {
    expect(linesAfter((p) => (p.spec.hostAliases = [{ ip: '10.1.2.3', hostnames: ['db.local', 'db'] }]))).toEqual([]);
    expect(linesAfter((p) => (p.spec.hostAliases = [{ ip: '10.1.2', hostnames: ['DB'] }]))).toEqual([
      'spec.hostAliases[0].ip: invalid IP address "10.1.2"',
      `spec.hostAliases[0].hostnames[0]: invalid name "DB": must be a DNS subdomain (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)`,
    ]);
  });

  test('preStop runs an exec command; init containers have no lifecycle', () => {
    expect(linesAfter((p) => (p.spec.containers[0].lifecycle = { preStop: { exec: { command: ['nginx', '-s', 'quit'] } } }))).toEqual([]);
    expect(linesAfter((p) => (p.spec.containers[0].lifecycle = { preStop: {} }))).toEqual([
      'spec.containers[0].lifecycle.preStop: must specify a handler',
    ]);
    expect(linesAfter((p) => (p.spec.containers[0].lifecycle = { preStop: { exec: {} } }))).toEqual([
      'spec.containers[0].lifecycle.preStop.exec.command: required',
    ]);
    expect(linesAfter((p) => (p.spec.initContainers = [{ name: 'init', image: 'busybox', lifecycle: { preStop: { exec: { command: ['true'] } } } }]))).toEqual([
      'spec.initContainers[0].lifecycle: may not be set for init containers',
    ]);
  });

  test('workingDir and terminationMessagePath are absolute', () => {
    expect(linesAfter((p) => (p.spec.containers[0].workingDir = 'app'))).toEqual(['spec.containers[0].workingDir: "app" is not an absolute path']);
    expect(linesAfter((p) => (p.spec.containers[0].terminationMessagePath = 'log'))).toEqual([
      'spec.containers[0].terminationMessagePath: "log" is not an absolute path',
    ]);
  });
});

describe('the error', () => {
  test('collects every issue, one per line, each path: message', () => {
    const pod = basePod();
    pod.metadata.name = 'Web';
    pod.spec.restartPolicy = 'Sometimes';
    pod.spec.containers[1].volumeMounts[0].name = 'missing';
    let error: unknown;
    try {
      validatePod(pod);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ManifestError);
    expect(error).toBeInstanceOf(Error);
    const e = error as ManifestError;
    expect(e.issues.map((i) => i.path)).toEqual(['metadata.name', 'spec.restartPolicy', 'spec.containers[1].volumeMounts[0].name']);
    expect(e.message.split('\n')).toEqual(e.issues.map((i) => `${i.path}: ${i.message}`));
  });
});
