/**
 * The device policy as an eBPF program, for cgroup v2 (pure: rules in, instructions out).
 *
 * cgroup v2 has no `devices` controller and no devices.allow file. Instead the kernel runs every
 * BPF program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup of a process (and to its
 * ancestors) whenever that process opens or creates a device node; the node is usable only if
 * every program answers 1. The program gets a `struct bpf_cgroup_dev_ctx`:
 *
 *   offset 0  u32 access_type   low 16 bits: BPF_DEVCG_DEV_BLOCK (1) or _CHAR (2)
 *                               high 16 bits: BPF_DEVCG_ACC_MKNOD (1) | _READ (2) | _WRITE (4)
 *   offset 4  u32 major
 *   offset 8  u32 minor
 *
 * The program built here reads the three fields into registers once, then tests the rules in
 * order, each as a short block that jumps to the next rule on the first mismatch: same type, same
 * major (unless the rule says any), same minor (unless any), and no requested access outside the
 * rule's (request & ~allowed == 0, as a v1 rule's "rwm" letters mean). A rule that matches returns
 * 1; falling off the last rule returns 0. That is the v1 controller's "deny all, then allow
 * these" policy (devices.ts) with the same rules, so both hierarchies enforce one policy.
 *
 * Each instruction is 8 bytes (linux/bpf.h, struct bpf_insn): opcode, dst and src register (4 bits
 * each, dst low), a signed 16-bit jump offset (in instructions, from the next one) and a signed
 * 32-bit immediate, little-endian as the host (x86_64, arm64) is.
 */
import type { DeviceRule } from './devices.js';

export interface BpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

// Opcodes used (linux/bpf_common.h + linux/bpf.h): class | operation | source.
export const OP = {
  LDX_MEM_W: 0x61, // dst = *(u32 *)(src + off), zero-extended
  MOV64_IMM: 0xb7, // dst = imm
  MOV64_REG: 0xbf, // dst = src
  AND64_IMM: 0x57, // dst &= imm
  RSH64_IMM: 0x77, // dst >>= imm
  JNE_IMM: 0x55, // if dst != imm: pc += off
  EXIT: 0x95, // return r0
} as const;

// Registers: r1 holds the context on entry; r0 is the answer.
const R0 = 0,
  R1 = 1,
  R2 = 2,
  R3 = 3,
  R4 = 4,
  R5 = 5,
  R6 = 6;

const ACCESS = { m: 1, r: 2, w: 4 } as const;
const TYPE = { b: 1, c: 2 } as const;

const insn = (code: number, dst: number, src: number, off: number, imm: number): BpfInsn => ({
  code,
  dst,
  src,
  off,
  imm,
});

/** The access bits of a rule's "rwm" letters. */
export function accessBits(access: string): number {
  let bits = 0;
  for (const ch of access) {
    const bit = ACCESS[ch as keyof typeof ACCESS];
    if (bit === undefined) throw new Error(`device rule access "${access}": only r, w and m are allowed`);
    bits |= bit;
  }
  return bits;
}

/** One rule's block; `skip` is filled in once the block's length is known. */
function ruleBlock(r: DeviceRule): BpfInsn[] {
  const tests: BpfInsn[] = [insn(OP.JNE_IMM, R2, 0, 0, TYPE[r.type])];
  if (r.major !== undefined) tests.push(insn(OP.JNE_IMM, R4, 0, 0, r.major));
  if (r.minor !== undefined) tests.push(insn(OP.JNE_IMM, R5, 0, 0, r.minor));
  // r6 = requested & ~allowed: any bit left is an access this rule does not grant.
  const accessTest = [
    insn(OP.MOV64_REG, R6, R3, 0, 0),
    insn(OP.AND64_IMM, R6, 0, 0, 0b111 & ~accessBits(r.access)),
    insn(OP.JNE_IMM, R6, 0, 0, 0),
  ];
  const block = [...tests, ...accessTest, insn(OP.MOV64_IMM, R0, 0, 0, 1), insn(OP.EXIT, 0, 0, 0, 0)];
  // Every JNE jumps to the first instruction after this block (offsets count from the next insn).
  return block.map((x, i) => (x.code === OP.JNE_IMM ? { ...x, off: block.length - i - 1 } : x));
}

/** The program for `rules` (allow-list; everything else denied). */
export function deviceProgram(rules: readonly DeviceRule[]): BpfInsn[] {
  const prologue = [
    insn(OP.LDX_MEM_W, R2, R1, 0, 0), // access_type
    insn(OP.MOV64_REG, R3, R2, 0, 0),
    insn(OP.RSH64_IMM, R3, 0, 0, 16), // r3: requested access
    insn(OP.AND64_IMM, R2, 0, 0, 0xffff), // r2: device type
    insn(OP.LDX_MEM_W, R4, R1, 4, 0), // major
    insn(OP.LDX_MEM_W, R5, R1, 8, 0), // minor
  ];
  const deny = [insn(OP.MOV64_IMM, R0, 0, 0, 0), insn(OP.EXIT, 0, 0, 0, 0)];
  return [...prologue, ...rules.flatMap(ruleBlock), ...deny];
}

/** The instructions as the kernel reads them (BPF_PROG_LOAD's `insns`). */
export function encodeProgram(program: readonly BpfInsn[]): Buffer {
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((x, i) => {
    buf.writeUInt8(x.code, i * 8);
    buf.writeUInt8(((x.src & 0xf) << 4) | (x.dst & 0xf), i * 8 + 1);
    buf.writeInt16LE(x.off, i * 8 + 2);
    buf.writeInt32LE(x.imm, i * 8 + 4);
  });
  return buf;
}
