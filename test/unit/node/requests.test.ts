/** The pod's effective request: app containers add up, init containers take turns, sidecars stay. */
import { describe, expect, test } from 'vitest';
import { podRequests } from '../../../src/node/requests.js';
import { formatAmount } from '../../../src/node/resources.js';
import { MI, pod } from '../admission/helpers.js';

const c = (name: string, requests: object, extra: object = {}) => ({
  name,
  image: 'busybox',
  resources: { requests },
  ...extra,
});

describe('podRequests', () => {
  test('app containers add up; a limit without a request counts as the request', () => {
    const p = pod('p', {
      containers: [
        c('a', { cpu: '250m', memory: '64Mi' }),
        { name: 'b', image: 'busybox', resources: { limits: { cpu: '0.5', memory: '32Mi' } } },
      ],
    });
    expect(podRequests(p)).toEqual({ cpu: 750, memory: 96 * MI });
  });

  test('the largest init container counts when it is larger than the app containers together', () => {
    // The Kubernetes documentation's example: init 2 CPU/1G and 2 CPU/3G, apps 2 CPU/1G and 1 CPU/1G.
    const p = pod('p', {
      initContainers: [c('i1', { cpu: '2', memory: '1G' }), c('i2', { cpu: '2', memory: '3G' })],
      containers: [c('a', { cpu: '2', memory: '1G' }), c('b', { cpu: '1', memory: '1G' })],
    });
    expect(podRequests(p)).toEqual({ cpu: 3000, memory: 3e9 });
  });

  test('a sidecar adds to the app containers and to every init container after it', () => {
    const p = pod('p', { containers: [c('a', { memory: '100Mi' })] });
    // The table does not take init containers' restartPolicy yet: build the sidecar pod by hand.
    const side = {
      ...p,
      spec: {
        ...p.spec,
        initContainers: [
          { ...p.spec.containers[0]!, name: 's', resources: { requests: { memory: '50Mi' } }, restartPolicy: 'Always' },
          { ...p.spec.containers[0]!, name: 'i', resources: { requests: { memory: '120Mi' } } },
        ],
      },
    };
    // app phase 100+50 = 150; init phase: i runs beside s, 120+50 = 170.
    expect(podRequests(side as never)).toEqual({ memory: 170 * MI });
  });

  test('pod overhead comes on top; nothing asked is nothing', () => {
    expect(
      podRequests(pod('p', { overhead: { cpu: '100m', memory: '10Mi' }, containers: [c('a', { cpu: '1' })] })),
    ).toEqual({ cpu: 1100, memory: 10 * MI });
    expect(podRequests(pod('p'))).toEqual({});
  });

  test("pod-level requests stand for the containers' for cpu and memory", () => {
    const p = pod('p', {
      resources: { requests: { cpu: '1' }, limits: { memory: '256Mi' } },
      containers: [c('a', { cpu: '250m', 'ephemeral-storage': '1Gi' })],
    });
    // memory: the pod-level limit defaults the pod-level request; ephemeral-storage stays the containers'.
    expect(podRequests(p)).toEqual({ cpu: 1000, memory: 256 * MI, 'ephemeral-storage': 2 ** 30 });
  });

  test('ephemeral storage and extended resources are counted too', () => {
    const p = pod('p', {
      containers: [
        {
          name: 'a',
          image: 'busybox',
          resources: { requests: { 'ephemeral-storage': '1Gi' }, limits: { 'example.com/dongle': '2' } },
        },
      ],
    });
    expect(podRequests(p)).toEqual({ 'ephemeral-storage': 2 ** 30, 'example.com/dongle': 2 });
  });
});

describe('formatAmount', () => {
  test('says CPU in cores or millicores, bytes in binary units, counts as they are', () => {
    expect([
      formatAmount('cpu', 1500),
      formatAmount('cpu', 2000),
      formatAmount('memory', 512 * MI),
      formatAmount('memory', 1536 * MI),
    ]).toEqual(['1500m', '2', '512Mi', '1.5Gi']);
    expect([formatAmount('memory', 1000), formatAmount('pods', 110), formatAmount('example.com/dongle', 2)]).toEqual([
      '1000',
      '110',
      '2',
    ]);
  });
});
