/**
 * The cgroup v2 device program, run here by a small interpreter of the instructions it uses: the
 * answers must be those of the v1 rules (the same DEFAULT_DEVICE_RULES), for every device of the
 * container's /dev and for the host devices an attacker would make with mknod.
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_DEVICE_RULES, type DeviceRule } from '../../../src/cgroups/devices.js';
import { accessBits, deviceProgram, encodeProgram, OP, type BpfInsn } from '../../../src/cgroups/device-bpf.js';

type Request = { type: 'c' | 'b'; major: number; minor: number; access: string };

/** Execute `prog` on a bpf_cgroup_dev_ctx, as the kernel would; returns r0. */
function run(prog: BpfInsn[], req: Request): number {
  const ctx = [((accessBits(req.access) << 16) | (req.type === 'b' ? 1 : 2)) >>> 0, req.major, req.minor];
  const r = new Array<bigint>(11).fill(0n);
  r[1] = -1n; // the context pointer: only LDX from it is meaningful
  const mask = (1n << 64n) - 1n;
  for (let pc = 0, steps = 0; pc < prog.length; pc++, steps++) {
    if (steps > 4096) throw new Error('program does not end');
    const x = prog[pc];
    switch (x.code) {
      case OP.LDX_MEM_W:
        expect(x.src).toBe(1);
        expect([0, 4, 8]).toContain(x.off);
        r[x.dst] = BigInt(ctx[x.off / 4]);
        break;
      case OP.MOV64_IMM:
        r[x.dst] = BigInt(x.imm) & mask;
        break;
      case OP.MOV64_REG:
        r[x.dst] = r[x.src];
        break;
      case OP.AND64_IMM:
        r[x.dst] &= BigInt(x.imm) & mask;
        break;
      case OP.RSH64_IMM:
        r[x.dst] >>= BigInt(x.imm);
        break;
      case OP.JNE_IMM:
        if (r[x.dst] !== (BigInt(x.imm) & mask)) pc += x.off;
        break;
      case OP.EXIT:
        return Number(r[0]);
      default:
        throw new Error(`unexpected opcode ${x.code}`);
    }
  }
  throw new Error('fell off the end of the program');
}

/** What the v1 controller answers for the same rules: some rule covers the device and the access. */
function v1Answer(rules: readonly DeviceRule[], req: Request): number {
  const ok = rules.some(
    (r) =>
      r.type === req.type &&
      (r.major === undefined || r.major === req.major) &&
      (r.minor === undefined || r.minor === req.minor) &&
      [...req.access].every((a) => r.access.includes(a)),
  );
  return ok ? 1 : 0;
}

const program = deviceProgram(DEFAULT_DEVICE_RULES);

describe('the cgroup v2 device program', () => {
  test("the container's own devices open for read and write", () => {
    for (const [major, minor] of [
      [1, 3],
      [1, 5],
      [1, 7],
      [1, 8],
      [1, 9],
      [5, 0],
      [5, 2],
      [136, 0],
      [136, 7],
    ]) {
      for (const access of ['r', 'w', 'rw'])
        expect(run(program, { type: 'c', major, minor, access }), `c ${major}:${minor} ${access}`).toBe(1);
    }
  });

  test('host devices made with mknod are created but do not open', () => {
    const attacks: Request[] = [
      { type: 'c', major: 1, minor: 11, access: 'r' }, // kmsg
      { type: 'c', major: 1, minor: 11, access: 'w' },
      { type: 'b', major: 7, minor: 0, access: 'rw' }, // loop0
      { type: 'c', major: 10, minor: 232, access: 'rw' }, // kvm
      { type: 'c', major: 10, minor: 229, access: 'rw' }, // fuse
      { type: 'c', major: 4, minor: 0, access: 'w' }, // tty0
      { type: 'c', major: 5, minor: 1, access: 'w' }, // console
      { type: 'b', major: 1, minor: 3, access: 'r' }, // a block device with null's numbers
      { type: 'c', major: 1, minor: 1, access: 'r' }, // mem
    ];
    for (const a of attacks) {
      expect(run(program, a), `${a.type} ${a.major}:${a.minor} ${a.access}`).toBe(0);
      expect(run(program, { ...a, access: 'm' }), `mknod ${a.type} ${a.major}:${a.minor}`).toBe(1);
    }
  });

  test('an access beyond the rule is refused even when part of it is allowed', () => {
    const rules: DeviceRule[] = [{ type: 'c', major: 1, minor: 3, access: 'r' }];
    const p = deviceProgram(rules);
    expect(run(p, { type: 'c', major: 1, minor: 3, access: 'r' })).toBe(1);
    expect(run(p, { type: 'c', major: 1, minor: 3, access: 'rw' })).toBe(0);
    expect(run(p, { type: 'c', major: 1, minor: 3, access: 'm' })).toBe(0);
    expect(run(deviceProgram([]), { type: 'c', major: 1, minor: 3, access: 'r' })).toBe(0);
  });

  test('agrees with the v1 rules on every request over a grid of devices', () => {
    for (const type of ['c', 'b'] as const) {
      for (const major of [0, 1, 4, 5, 7, 10, 136, 254]) {
        for (const minor of [0, 1, 2, 3, 5, 7, 8, 9, 11, 232]) {
          for (const access of ['r', 'w', 'm', 'rw', 'rm', 'wm', 'rwm']) {
            const req = { type, major, minor, access };
            expect(run(program, req), JSON.stringify(req)).toBe(v1Answer(DEFAULT_DEVICE_RULES, req));
          }
        }
      }
    }
  });

  test('encoded as struct bpf_insn: 8 bytes each, dst in the low nibble, little-endian fields', () => {
    const buf = encodeProgram([
      { code: OP.LDX_MEM_W, dst: 4, src: 1, off: 4, imm: 0 },
      { code: OP.JNE_IMM, dst: 2, src: 0, off: -3, imm: 136 },
    ]);
    expect([...buf]).toEqual([0x61, 0x14, 4, 0, 0, 0, 0, 0, 0x55, 0x02, 0xfd, 0xff, 136, 0, 0, 0]);
    expect(encodeProgram(program).length).toBe(program.length * 8);
    expect(() => accessBits('rx')).toThrow(/only r, w and m/);
  });
});
