import { expect, test } from 'vitest';
import { formatNsTable } from '../../../src/pods/namespaces.js';

test("one row per process, shared namespaces marked *, the host's marked ^", () => {
  const host = { mnt: 1, uts: 2, ipc: 3, net: 4, pid: 5, cgroup: 6 };
  const text = formatNsTable(
    {
      infra: { pid: 100, ns: { mnt: 10, uts: 20, ipc: 30, net: 40, pid: 50, cgroup: 6 } },
      containers: {
        a: { pid: 101, ns: { mnt: 11, uts: 20, ipc: 30, net: 40, pid: 51, cgroup: 61 } },
        b: { pid: 102, ns: { mnt: 12, uts: 20, ipc: 30, net: 40, pid: 52, cgroup: 62 } },
      },
    },
    host,
  );
  expect(text.split('\n').slice(0, 4)).toEqual([
    'PROCESS  PID  MNT  UTS  IPC  NET  PID  CGROUP',
    'infra    100  10   20*  30*  40*  50   6^',
    'a        101  11   20*  30*  40*  51   61',
    'b        102  12   20*  30*  40*  52   62',
  ]);
});
