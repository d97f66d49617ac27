import { describe, expect, test } from 'vitest';
import { DEFAULT_DEVICE_RULES, v1DeviceFiles } from '../../../src/cgroups/devices.js';
import { v1Files } from '../../../src/cgroups/limits.js';

describe('device policy on cgroup v1', () => {
  test('deny all first, then mknod of anything and read/write of the harmless devices only', () => {
    expect(v1DeviceFiles(DEFAULT_DEVICE_RULES)).toEqual([
      ['devices.deny', 'a'],
      ['devices.allow', 'c *:* m'],
      ['devices.allow', 'b *:* m'],
      ['devices.allow', 'c 1:3 rwm'],
      ['devices.allow', 'c 1:5 rwm'],
      ['devices.allow', 'c 1:7 rwm'],
      ['devices.allow', 'c 1:8 rwm'],
      ['devices.allow', 'c 1:9 rwm'],
      ['devices.allow', 'c 5:0 rwm'],
      ['devices.allow', 'c 5:2 rwm'],
      ['devices.allow', 'c 136:* rwm'],
    ]);
  });

  test('only the devices hierarchy gets them, and only when there is a policy (not privileged)', () => {
    expect(v1Files('memory', { devices: DEFAULT_DEVICE_RULES })).toEqual([]);
    expect(v1Files('devices', {})).toEqual([]);
    expect(v1Files('devices', { devices: DEFAULT_DEVICE_RULES })[0]).toEqual(['devices.deny', 'a']);
  });
});
