/**
 * The TypeScript side's names are native/abi.json's: src/plan/abi-names.ts is exactly what the
 * generator makes of abi.json today (so an op, flag or syscall added to or removed from abi.json
 * without `npm run gen:abi` fails here), and the typecheck holds the plan types to those unions
 * (plan/types.ts, OpsAreTheAddons; plan/format.ts's switch must cover every op).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { readAbi, tsModule, cHeader } from '../../../native/gen-abi.mjs';
import { MOUNT_FLAGS, NAMESPACES, OPS } from '../../../src/plan/abi.js';
import { describeOp } from '../../../src/plan/format.js';
import type { NativeOp } from '../../../src/plan/types.js';

const repo = path.resolve(import.meta.dirname, '../../..');
const gen = { readAbi, tsModule, cHeader } as {
  readAbi: () => { ops: string[]; namespaces: { name: string }[]; mountFlags: string[] };
  tsModule: (abi: unknown) => string;
  cHeader: (abi: unknown) => string;
};

test('src/plan/abi-names.ts is what native/gen-abi.mjs makes of native/abi.json now', () => {
  const committed = fs.readFileSync(path.join(repo, 'src/plan/abi-names.ts'), 'utf8');
  expect(committed, 'abi-names.ts is stale: run "npm run gen:abi"').toBe(gen.tsModule(gen.readAbi()));
});

test('a change to abi.json changes the generated module (the comparison above can fail)', () => {
  const abi = gen.readAbi();
  const more = { ...abi, ops: [...abi.ops, 'pretendOp'] };
  expect(gen.tsModule(more)).not.toBe(gen.tsModule(abi));
  expect(gen.tsModule(more)).toContain("'pretendOp'");
  expect(gen.cHeader(more)).toContain('TP_OP_PRETEND_OP');
});

test("the lists TypeScript uses are abi.json's, in its order", () => {
  const abi = gen.readAbi();
  expect([...OPS]).toEqual(abi.ops);
  expect([...NAMESPACES]).toEqual(abi.namespaces.map((n) => n.name));
  expect([...MOUNT_FLAGS]).toEqual(abi.mountFlags);
  expect(NAMESPACES).toEqual(['mnt', 'uts', 'ipc', 'net', 'pid', 'cgroup', 'user', 'time']);
});

test('every op of the addon is described in its own words', () => {
  const texts = OPS.map((name) =>
    describeOp({
      op: name,
      target: '/x',
      source: 's',
      data: 'd',
      ns: [],
      argv: ['a'],
      env: [],
      bounding: [],
      effective: [],
      permitted: [],
      inheritable: [],
      mode: 0o666,
      major: 1,
      minor: 3,
      uid: 1,
      gid: 1,
      uidMap: '0 1 1',
      gidMap: '0 1 1',
      profile: 'p',
      filter: { defaultAction: 'SCMP_ACT_ERRNO', defaultErrno: 1, architectures: [], flags: [], rules: [] },
    } as unknown as NativeOp),
  );
  for (const [i, t] of texts.entries()) expect(typeof t === 'string' && t.length > 0, OPS[i]).toBe(true);
  // No two ops read the same: a description copied from another op is a mistake.
  expect(new Set(texts).size).toBe(OPS.length);
});
