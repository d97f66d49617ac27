import { describe, expect, test } from 'vitest';
import { applyDefaults } from '../../../src/manifest/defaults.js';
import { qosClass } from '../../../src/supervisor/qos.js';

const pod = (containers: object[], initContainers: object[] = []) =>
  applyDefaults({
    metadata: { name: 'p' },
    spec: {
      initContainers,
      containers: containers.map((resources, i) => ({ name: `c${i}`, image: 'busybox', resources })),
    },
  });
const init = (resources: object) => ({ name: 'i', image: 'busybox', resources });

describe('qosClass (ComputePodQOS)', () => {
  test('no requests or limits: BestEffort; zero amounts count as none', () => {
    expect(qosClass(pod([{}]))).toBe('BestEffort');
    expect(qosClass(pod([{ requests: { cpu: '0', memory: '0' } }]))).toBe('BestEffort');
  });

  test('limits on cpu and memory in every container (requests default to them): Guaranteed', () => {
    expect(qosClass(pod([{ limits: { cpu: '500m', memory: '64Mi' } }, { limits: { cpu: '1', memory: '1Gi' } }]))).toBe(
      'Guaranteed',
    );
    expect(qosClass(pod([{ limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '0.5', memory: '64Mi' } }]))).toBe(
      'Guaranteed',
    );
  });

  test('a request below its limit, a limit on one resource, or one container without limits: Burstable', () => {
    expect(qosClass(pod([{ limits: { cpu: '1', memory: '64Mi' }, requests: { cpu: '500m' } }]))).toBe('Burstable');
    expect(qosClass(pod([{ limits: { memory: '64Mi' } }]))).toBe('Burstable');
    expect(qosClass(pod([{ limits: { cpu: '1', memory: '64Mi' } }, {}]))).toBe('Burstable');
    expect(qosClass(pod([{ requests: { cpu: '100m' } }]))).toBe('Burstable');
  });

  test('init containers count too', () => {
    expect(qosClass(pod([{}], [init({ requests: { memory: '1Mi' } })]))).toBe('Burstable');
    expect(qosClass(pod([{ limits: { cpu: '1', memory: '64Mi' } }], [init({})]))).toBe('Burstable');
    expect(
      qosClass(pod([{ limits: { cpu: '1', memory: '64Mi' } }], [init({ limits: { cpu: '1', memory: '64Mi' } })])),
    ).toBe('Guaranteed');
  });

  test('other resources do not count', () => {
    expect(qosClass(pod([{ limits: { 'ephemeral-storage': '1Gi' } }]))).toBe('BestEffort');
  });
});
