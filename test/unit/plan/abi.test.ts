import { expect, test } from 'vitest';
import { abi, NAMESPACES } from '../../../src/plan/abi.js';
import { describeOp } from '../../../src/plan/format.js';
import type { NativeOp } from '../../../src/plan/types.js';

test('every op of the addon can be described (and so is known to the planner)', () => {
  for (const name of abi.ops) {
    const text = describeOp({ op: name, target: '/x', source: 's', data: 'd', ns: [], argv: ['a'], env: [], bounding: [], effective: [], permitted: [], inheritable: [], mode: 0o666, major: 1, minor: 3, profile: 'p', filter: { defaultAction: 'SCMP_ACT_ERRNO', defaultErrno: 1, architectures: [], flags: [], rules: [] } } as unknown as NativeOp);
    expect(text, name).toBeTruthy();
  }
});

test('namespace kinds use the kernel names', () => {
  expect(NAMESPACES).toEqual(['mnt', 'uts', 'ipc', 'net', 'pid', 'cgroup', 'user', 'time']);
});
