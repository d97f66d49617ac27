import { describe, expect, test } from 'vitest';
import { cpuShares, cpuWeight, v1Files, v2Files } from '../../../src/cgroups/limits.js';

describe("CPU weight from requests (the kubelet's MilliCPUToShares, runc's v2 mapping)", () => {
  test('shares: millicores × 1024 / 1000, at least 2, at most 262144', () => {
    expect(cpuShares(0)).toBe(2);
    expect(cpuShares(1)).toBe(2);
    expect(cpuShares(100)).toBe(102);
    expect(cpuShares(250)).toBe(256);
    expect(cpuShares(1000)).toBe(1024);
    expect(cpuShares(1_000_000)).toBe(262_144);
  });

  test('weight: 1 + (shares - 2) × 9999 / 262142', () => {
    expect(cpuWeight(2)).toBe(1);
    expect(cpuWeight(1024)).toBe(39);
    expect(cpuWeight(262_144)).toBe(10_000);
  });

  test('a container without a CPU request gets the minimum, on v1 and v2', () => {
    expect(v1Files('cpu', { cpuRequestMillis: 0 })).toEqual([['cpu.shares', '2']]);
    expect(v2Files(['cpu'], { cpuRequestMillis: 0 })).toEqual([['cpu.weight', '1']]);
  });
});
