/** The pod's cgroup carries the pod-level limits, with the overhead on top, as the kubelet sizes it. */
import { describe, expect, test } from 'vitest';
import { podCgroupLimits } from '../../../src/runtime/pod-cgroup.js';
import { qosClass } from '../../../src/supervisor/qos.js';
import { pod } from '../admission/helpers.js';

describe('pod-level resources', () => {
  test('limit the pod cgroup, overhead included; nothing without them', () => {
    const p = pod('p', {
      resources: { limits: { memory: '64Mi', cpu: '500m' } },
      overhead: { memory: '1Mi', cpu: '10m' },
    });
    expect(podCgroupLimits(p)).toEqual({ memoryBytes: 65 * 2 ** 20, cpuMillis: 510, cpuRequestMillis: 510 });
    expect(podCgroupLimits(pod('q'))).toEqual({});
  });

  test('decide the QoS class alone', () => {
    expect(qosClass(pod('g', { resources: { limits: { memory: '64Mi', cpu: '1' } } }))).toBe('Guaranteed');
    expect(
      qosClass(
        pod('b', {
          resources: { limits: { memory: '64Mi' } },
          containers: [{ name: 'c', image: 'busybox', resources: { limits: { cpu: '1', memory: '64Mi' } } }],
        }),
      ),
    ).toBe('Burstable');
  });
});
