import { describe, expect, test } from 'vitest';
import { containerCgroupMounts, detectLayout } from '../../../src/cgroups/detect.js';

const HYBRID = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');

const V2 = '30 23 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate';

describe('cgroup layout and what a container sees at /sys/fs/cgroup', () => {
  test('hybrid host: controllers from v1 unless cgroup2 offers them; a tmpfs with one mount per hierarchy', () => {
    const layout = detectLayout(HYBRID, () => ['hugetlb']);
    expect(layout.v1).toEqual({
      memory: '/sys/fs/cgroup/memory',
      cpu: '/sys/fs/cgroup/cpu',
      cpuacct: '/sys/fs/cgroup/cpuacct',
      pids: '/sys/fs/cgroup/pids',
    });
    expect(containerCgroupMounts(layout)).toEqual([
      {
        fstype: 'tmpfs',
        target: '/sys/fs/cgroup',
        options: [
          ['mode', '755'],
          ['size', '64k'],
        ],
      },
      { fstype: 'cgroup', target: '/sys/fs/cgroup/memory', options: [['memory', '']] },
      { fstype: 'cgroup', target: '/sys/fs/cgroup/cpu', options: [['cpu', '']] },
      { fstype: 'cgroup', target: '/sys/fs/cgroup/cpuacct', options: [['cpuacct', '']] },
      { fstype: 'cgroup', target: '/sys/fs/cgroup/pids', options: [['pids', '']] },
      { fstype: 'cgroup2', target: '/sys/fs/cgroup/unified', options: [] },
    ]);
  });

  test('co-mounted v1 controllers are one hierarchy', () => {
    const layout = detectLayout('32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct', () => []);
    expect(containerCgroupMounts(layout)).toContainEqual({
      fstype: 'cgroup',
      target: '/sys/fs/cgroup/cpu,cpuacct',
      options: [
        ['cpu', ''],
        ['cpuacct', ''],
      ],
    });
  });

  test('cgroup2-only host: the cgroup2 file system itself', () => {
    const layout = detectLayout(V2, () => ['cpuset', 'cpu', 'io', 'memory', 'pids']);
    expect(layout.v1).toEqual({});
    expect(containerCgroupMounts(layout)).toEqual([{ fstype: 'cgroup2', target: '/sys/fs/cgroup', options: [] }]);
  });
});
