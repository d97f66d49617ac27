/**
 * Kubernetes quantities: every suffix, exponents, numbers, and rounding of CPU up to millicores.
 */
import { describe, expect, test } from 'vitest';
import { isQuantity, parseCpuMillis, parseQuantity } from '../../../src/manifest/index.js';

describe('parseQuantity', () => {
  test.each([
    ['0', 0],
    ['1', 1],
    ['128', 128],
    ['1Ki', 1024],
    ['64Mi', 64 * 2 ** 20],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1Ti', 2 ** 40],
    ['1Pi', 2 ** 50],
    ['1Ei', 2 ** 60],
    ['500m', 0.5],
    ['1k', 1e3],
    ['1M', 1e6],
    ['1G', 1e9],
    ['1T', 1e12],
    ['1P', 1e15],
    ['2E', 2e18],
    ['1e3', 1e3],
    ['1E3', 1e3],
    ['12e-1', 1.2],
    ['1e+2', 100],
    ['.5', 0.5],
    ['5.', 5],
    ['+7', 7],
    ['-1', -1],
    ['0.1', 0.1],
  ])('%s is %d', (q, value) => {
    expect(parseQuantity(q)).toBe(value);
  });

  test('numbers are quantities', () => {
    expect(parseQuantity(2)).toBe(2);
    expect(parseQuantity(0.25)).toBe(0.25);
    expect(parseQuantity(1e21)).toBe(1e21);
  });

  test.each(['', '1.2.3', 'Mi', '1mi', '1 Mi', '1MB', '1e', 'e3', '0x10', '1Ki2', '.', '--1', '1e9999'])(
    '%j is not a quantity',
    (q) => {
      expect(isQuantity(q)).toBe(false);
      expect(() => parseQuantity(q)).toThrow(/^invalid quantity /);
    },
  );

  test('non-finite numbers are not quantities', () => {
    expect(() => parseQuantity(Infinity)).toThrow('invalid quantity Infinity: not a finite number');
    expect(() => parseQuantity(NaN)).toThrow('invalid quantity NaN: not a finite number');
  });
});

describe('parseCpuMillis', () => {
  test.each([
    ['1', 1000],
    ['500m', 500],
    ['0.1', 100],
    ['0.07', 70],
    ['1.5', 1500],
    ['2', 2000],
    ['1m', 1],
    ['0.5m', 1],
    ['1001m', 1001],
    ['1k', 1e6],
    ['1e-3', 1],
    ['1e-4', 1],
  ] as const)('%s is %d millicores (rounded up)', (q, millis) => {
    expect(parseCpuMillis(q)).toBe(millis);
  });

  test('numbers', () => {
    expect(parseCpuMillis(0.25)).toBe(250);
    expect(parseCpuMillis(3)).toBe(3000);
  });
});
