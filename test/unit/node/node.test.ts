/** The node: its own labels, capacity from the host or the configuration, allocatable after reservations. */
import { describe, expect, test } from 'vitest';
import { parseNodeConfig } from '../../../src/node/config.js';
import { buildNode, goArch } from '../../../src/node/node.js';
import { GI, MI } from '../admission/helpers.js';

const facts = { hostname: 'lab-1', arch: 'arm64', cpus: 4, memoryBytes: 8 * GI, storageBytes: 100 * GI };

describe('buildNode', () => {
  test('the kubelet defaults: capacity from the host, 110 pods, eviction thresholds held back', () => {
    const n = buildNode(facts, parseNodeConfig('{}'));
    expect(n.name).toBe('lab-1');
    expect(n.labels).toEqual({
      'kubernetes.io/hostname': 'lab-1',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'arm64',
      'beta.kubernetes.io/os': 'linux',
      'beta.kubernetes.io/arch': 'arm64',
    });
    expect(n.capacity).toEqual({ cpu: 4000, memory: 8 * GI, 'ephemeral-storage': 100 * GI, pods: 110 });
    // memory.available 100Mi and nodefs.available 10%
    expect(n.allocatable).toEqual({ cpu: 4000, memory: 8 * GI - 100 * MI, 'ephemeral-storage': 90 * GI, pods: 110 });
  });

  test('the configuration names the node, adds labels, taints, capacity and reservations', () => {
    const n = buildNode(
      facts,
      parseNodeConfig(
        JSON.stringify({
          name: 'edge',
          labels: { disktype: 'ssd' },
          taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }],
          capacity: { memory: '2Gi', 'example.com/dongle': '3' },
          systemReserved: { cpu: '500m', memory: '256Mi' },
          kubeReserved: { cpu: '0.5' },
          evictionHard: { 'memory.available': '5%' },
        }),
      ),
    );
    expect(n.name).toBe('edge');
    expect(n.labels['kubernetes.io/hostname']).toBe('edge');
    expect(n.labels.disktype).toBe('ssd');
    expect(n.taints).toEqual([{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
    // Replacing evictionHard drops the default nodefs threshold, as in the KubeletConfiguration.
    expect(n.allocatable).toEqual({
      cpu: 3000,
      memory: 2 * GI - 256 * MI - Math.ceil(2 * GI * 0.05),
      'ephemeral-storage': 100 * GI,
      pods: 110,
      'example.com/dongle': 3,
    });
  });

  test('Go names for architectures', () => {
    expect([goArch('x64'), goArch('arm64'), goArch('ia32'), goArch('ppc64', 'LE'), goArch('s390x')]).toEqual([
      'amd64',
      'arm64',
      '386',
      'ppc64le',
      's390x',
    ]);
  });
});

describe('parseNodeConfig', () => {
  const bad = (o: unknown) => () => parseNodeConfig(JSON.stringify(o), '/etc/tspod/node.json');
  test('names the field that is wrong', () => {
    expect(bad({ lables: {} })).toThrow('node configuration /etc/tspod/node.json: lables: unknown field');
    expect(bad({ labels: { 'kubernetes.io/hostname': 'x' } })).toThrow(
      'labels[kubernetes.io/hostname]: is set by the node itself',
    );
    expect(bad({ labels: { ok: 'not ok' } })).toThrow('labels[ok]: invalid label value "not ok"');
    expect(bad({ taints: [{ key: 'k', effect: 'NoWay' }] })).toThrow(
      'taints[0].effect: must be one of NoSchedule, PreferNoSchedule, NoExecute',
    );
    expect(bad({ capacity: { gpu: '1' } })).toThrow('capacity[gpu]: not a resource the node can have here');
    expect(bad({ systemReserved: { memory: 'lots' } })).toThrow('systemReserved[memory]: invalid quantity "lots"');
    expect(bad({ evictionHard: { 'memory.available': '120%' } })).toThrow('a percentage is at most 100%');
    expect(bad({ name: 'Not_A_Name' })).toThrow('name: must be a DNS subdomain');
    expect(() => parseNodeConfig('{', 'f.json')).toThrow(/node configuration f.json: .*JSON/);
  });
});
