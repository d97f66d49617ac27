/**
 * The pod's hostname, and capability names as containerd reads them.
 */
import { describe, expect, test } from 'vitest';
import { normalizeCapability, podHostname, validatePod } from '../../../src/manifest/index.js';

function pod(name: string, hostname?: string) {
  const spec: Record<string, unknown> = { containers: [{ name: 'c', image: 'busybox' }] };
  if (hostname) spec.hostname = hostname;
  return validatePod({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec }).pod;
}

describe('podHostname', () => {
  test('the pod name, or spec.hostname', () => {
    expect(podHostname(pod('web'))).toBe('web');
    expect(podHostname(pod('web', 'front'))).toBe('front');
  });

  test('cut to 63 characters, trailing - and . trimmed', () => {
    expect(podHostname(pod('a'.repeat(70)))).toBe('a'.repeat(63));
    expect(podHostname(pod('a'.repeat(62) + '-b'))).toBe('a'.repeat(62));
    expect(podHostname(pod('a'.repeat(62) + '.bc'))).toBe('a'.repeat(62));
  });
});

describe('normalizeCapability', () => {
  test.each([
    ['NET_ADMIN', 'CAP_NET_ADMIN'],
    ['net_admin', 'CAP_NET_ADMIN'],
    ['CAP_SYS_TIME', 'CAP_SYS_TIME'],
    ['cap_chown', 'CAP_CHOWN'],
    ['ALL', 'ALL'],
    ['all', 'ALL'],
    ['NET_MAGIC', undefined],
    ['CAP_', undefined],
  ])('%s → %s', (name, normal) => {
    expect(normalizeCapability(name)).toBe(normal);
  });
});
