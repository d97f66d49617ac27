/**
 * Validation of volumes and volume mounts, with the exact `path: message` lines.
 */
import { VOLUME_TYPES } from '../../../src/manifest/supported.js';
import { describe, expect, test } from 'vitest';
import { linesAfter } from './helpers.js';

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
    expect(
      linesAfter((p) => {
        p.spec.volumes[0].name = 'Data';
        p.spec.containers.forEach((c: { volumeMounts: { name: string }[] }) => (c.volumeMounts[0]!.name = 'Data'));
      }),
    ).toEqual([
      'spec.volumes[0].name: invalid name "Data": must be a DNS label (lower-case letters, digits and \'-\', ' +
        'starting and ending with a letter or digit)',
    ]);
  });

  test('mountPath is absolute, without .., not under /proc, not /', () => {
    const at = (mountPath: string) => linesAfter((p) => (p.spec.containers[1].volumeMounts[0].mountPath = mountPath));
    expect(at('/var/data')).toEqual([]);
    expect(at('/processes')).toEqual([]);
    expect(at('data')).toEqual(['spec.containers[1].volumeMounts[0].mountPath: "data" is not an absolute path']);
    expect(at('/data/../etc')).toEqual([
      'spec.containers[1].volumeMounts[0].mountPath: "/data/../etc" may not contain \'..\'',
    ]);
    expect(at('/proc')).toEqual([
      'spec.containers[1].volumeMounts[0].mountPath: "/proc" is under /proc, where volumes may not be mounted',
    ]);
    expect(at('//proc/sys')).toEqual([
      'spec.containers[1].volumeMounts[0].mountPath: "//proc/sys" is under /proc, where volumes may not be mounted',
    ]);
    expect(at('/')).toEqual([
      'spec.containers[1].volumeMounts[0].mountPath: "/" is the container\'s root, which cannot be a volume',
    ]);
    expect(at('')).toEqual(['spec.containers[1].volumeMounts[0].mountPath: required']);
  });

  test('subPath is relative, without ..', () => {
    const at = (subPath: string) => linesAfter((p) => (p.spec.containers[1].volumeMounts[0].subPath = subPath));
    expect(at('site/html')).toEqual([]);
    expect(at('a..b')).toEqual([]);
    expect(at('/site')).toEqual(['spec.containers[1].volumeMounts[0].subPath: "/site" must be a relative path']);
    expect(at('site/../..')).toEqual([
      'spec.containers[1].volumeMounts[0].subPath: "site/../.." may not contain \'..\'',
    ]);
  });

  test('a volume has exactly one type', () => {
    expect(linesAfter((p) => (p.spec.volumes[0] = { name: 'data' }))).toEqual([
      `spec.volumes[0]: must specify a volume type (${VOLUME_TYPES.join(', ')})`,
    ]);
    expect(linesAfter((p) => (p.spec.volumes[0].hostPath = { path: '/srv' }))).toEqual([
      `spec.volumes[0].hostPath: may not be set together with emptyDir: ` +
        `specify only one volume type (${VOLUME_TYPES.join(', ')})`,
    ]);
  });

  test('hostPath: absolute path and a known type', () => {
    expect(
      linesAfter((p) => (p.spec.volumes[0] = { name: 'data', hostPath: { path: '/srv', type: 'DirectoryOrCreate' } })),
    ).toEqual([]);
    expect(linesAfter((p) => (p.spec.volumes[0] = { name: 'data', hostPath: { path: 'srv' } }))).toEqual([
      'spec.volumes[0].hostPath.path: "srv" is not an absolute path',
    ]);
    expect(linesAfter((p) => (p.spec.volumes[0] = { name: 'data', hostPath: { path: '/srv', type: 'Dir' } }))).toEqual([
      'spec.volumes[0].hostPath.type: invalid value "Dir": must be one of "", "DirectoryOrCreate", "Directory", ' +
        '"FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"',
    ]);
    expect(linesAfter((p) => (p.spec.volumes[0] = { name: 'data', hostPath: {} }))).toEqual([
      'spec.volumes[0].hostPath.path: required',
    ]);
  });

  test('emptyDir: medium and sizeLimit', () => {
    const dir = (emptyDir: unknown) => linesAfter((p) => (p.spec.volumes[0].emptyDir = emptyDir));
    expect(dir({ medium: 'Memory', sizeLimit: '64Mi' })).toEqual([]);
    expect(dir({ medium: '' })).toEqual([]);
    expect(dir({ medium: 'Disk' })).toEqual([
      'spec.volumes[0].emptyDir.medium: invalid value "Disk": must be one of "", "Memory"',
    ]);
    expect(dir({ medium: 'HugePages-2Mi' })).toEqual([
      'spec.volumes[0].emptyDir.medium: medium "HugePages-2Mi" is not supported by tspod',
    ]);
    expect(dir({ sizeLimit: 'lots' })).toEqual([
      'spec.volumes[0].emptyDir.sizeLimit: invalid quantity "lots": ' +
        'expected a number with an optional suffix (64Mi, 1G, 500m, 1e3)',
    ]);
    expect(dir({ sizeLimit: '0' })).toEqual([
      'spec.volumes[0].emptyDir.sizeLimit: invalid quantity "0": must be greater than zero',
    ]);
  });

  test('mountPropagation: only None', () => {
    const at = (v: string) => linesAfter((p) => (p.spec.containers[1].volumeMounts[0].mountPropagation = v));
    expect(at('None')).toEqual([]);
    expect(at('Bidirectional')).toEqual([
      'spec.containers[1].volumeMounts[0].mountPropagation: ' +
        'mount propagation "Bidirectional" is not supported by tspod (only "None")',
    ]);
    expect(at('Shared')).toEqual([
      'spec.containers[1].volumeMounts[0].mountPropagation: invalid value "Shared": must be one of "None", ' +
        '"HostToContainer", "Bidirectional"',
    ]);
  });
});
