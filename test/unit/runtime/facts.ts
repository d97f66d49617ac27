/**
 * Fixed host facts for unit tests: a cgroup v2 host whose hierarchy is where the recording host
 * makes its cgroups (/sys/fs/cgroup/test), every capability, the built-in network's plugins.
 */
import { CAPABILITIES } from '../../../src/plan/capabilities.js';
import type { HostFacts } from '../../../src/runtime/facts.js';

export const testFacts: HostFacts = {
  hostname: 'node-1',
  hostResolvConf: 'nameserver 192.0.2.53\nsearch example.test\n',
  hostHosts: '127.0.0.1 localhost\n',
  hostIPs: ['192.0.2.10'],
  cgroups: { unified: '/sys/fs/cgroup/test', unifiedControllers: ['cpu', 'memory', 'pids'], v1: {} },
  capabilities: [...CAPABILITIES],
  allocatable: { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, ephemeralStorageBytes: 100 * 2 ** 30 },
  pauseBinary: '/usr/lib/tspod/tspod-pause',
  kernelRelease: '6.8.0-test',
};

/** The same host, attaching pods to the built-in network. */
export const networkedFacts: HostFacts = {
  ...testFacts,
  network: { name: 'tspod', source: 'built-in', plugins: ['bridge', 'portmap', 'firewall'] },
};
