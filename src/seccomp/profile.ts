/**
 * seccomp profiles: from the JSON a person writes to the filter the kernel runs.
 *
 * seccomp ("secure computing") lets a process install a small BPF program that the kernel runs on
 * every system call the process (and its descendants, for ever) makes; the program looks at the
 * call number, the architecture and the six raw arguments and answers allow, fail with an errno,
 * kill, trap or log. Container runtimes describe that program as a *profile*: a default action,
 * and rules naming system calls, optionally with argument comparisons, and (in Docker's format,
 * which containerd and CRI-O read) rules that apply only when the container holds a capability or
 * runs on an architecture. This module reads such a profile and resolves it, for one container
 * (its bounding capabilities, the host's architecture and kernel), into a flat filter: plain rules
 * that libseccomp compiles in the addon (native/seccomp.cc). Pure: no file system, no addon.
 *
 * Decisions (documented in the README):
 * - Rules whose action is the default action are dropped (libseccomp refuses them; runc skips them).
 * - Comparisons on the same argument in one rule mean "any of" (runc's reading: libseccomp
 *   cannot AND two comparisons of one argument), so such a rule becomes one rule per comparison.
 * - A system call the host's libseccomp does not know (newer than the library) cannot be put in a
 *   filter. When the rule would only allow it, it is left out: the call then gets the default
 *   action, which is the safe direction. When the rule would deny it, or any action other than
 *   allow, the profile is refused rather than silently not enforced.
 * - SCMP_ACT_NOTIFY and listenerPath are refused: tspod has no seccomp agent.
 */

export type SeccompAction =
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_LOG'
  | 'SCMP_ACT_TRACE';
export const ACTIONS: readonly SeccompAction[] = [
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_LOG',
  'SCMP_ACT_TRACE',
];
export type CompareOp =
  'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';
export const COMPARE_OPS: readonly CompareOp[] = [
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
];
/** seccomp(2) flags a profile may ask for (SECCOMP_FILTER_FLAG_*). */
export const FILTER_FLAGS = ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] as const;
export type FilterFlag = (typeof FILTER_FLAGS)[number];

export interface ArgCompare {
  index: number;
  value: number;
  valueTwo?: number;
  op: CompareOp;
}

/** A rule of the resolved filter: every name gets this action when all its comparisons hold. */
export interface FilterRule {
  names: string[];
  action: SeccompAction;
  errno?: number;
  args: ArgCompare[];
}

/** What the addon compiles, and what a plan's `seccomp` op carries. */
export interface SeccompFilter {
  defaultAction: SeccompAction;
  defaultErrno: number;
  /** SCMP_ARCH_* names; the first is the host's own */
  architectures: string[];
  flags: FilterFlag[];
  rules: FilterRule[];
}

interface ProfileRule {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args: ArgCompare[];
  includes: Conditions;
  excludes: Conditions;
}
interface Conditions {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

/** A parsed profile (Docker's format; the OCI runtime spec's `linux.seccomp` is a subset of it). */
export interface SeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures: string[];
  archMap: { architecture: string; subArchitectures: string[] }[];
  flags: FilterFlag[];
  syscalls: ProfileRule[];
}

/** Docker's short architecture names (as in `includes.arches`) for libseccomp's. */
const SHORT_ARCH: Record<string, string> = {
  SCMP_ARCH_X86_64: 'amd64',
  SCMP_ARCH_X86: 'x86',
  SCMP_ARCH_X32: 'x32',
  SCMP_ARCH_AARCH64: 'arm64',
  SCMP_ARCH_ARM: 'arm',
  SCMP_ARCH_RISCV64: 'riscv64',
  SCMP_ARCH_PPC64LE: 'ppc64le',
  SCMP_ARCH_S390X: 's390x',
};
/** Node's process.arch for libseccomp's architecture name. */
export const NODE_ARCH: Record<string, string> = {
  x64: 'SCMP_ARCH_X86_64',
  ia32: 'SCMP_ARCH_X86',
  arm64: 'SCMP_ARCH_AARCH64',
  arm: 'SCMP_ARCH_ARM',
  riscv64: 'SCMP_ARCH_RISCV64',
  ppc64: 'SCMP_ARCH_PPC64LE',
  s390x: 'SCMP_ARCH_S390X',
};

export class ProfileError extends Error {}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new ProfileError(`${where}: must be a list of strings`);
  return v as string[];
}
function uint(v: unknown, where: string, max = 2 ** 64): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= max)
    throw new ProfileError(`${where}: must be a non-negative integer`);
  return v;
}
function action(v: unknown, where: string): SeccompAction {
  if (v === 'SCMP_ACT_NOTIFY')
    throw new ProfileError(`${where}: SCMP_ACT_NOTIFY needs a seccomp agent, which tspod does not have`);
  if (!ACTIONS.includes(v as SeccompAction))
    throw new ProfileError(`${where}: unknown action ${JSON.stringify(v)} (one of ${ACTIONS.join(', ')})`);
  return v as SeccompAction;
}

function conditions(v: unknown, where: string): Conditions {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new ProfileError(`${where}: must be an object`);
  const out: Conditions = {};
  if (v.caps !== undefined)
    out.caps = strings(v.caps, `${where}.caps`).map((c) => (c.startsWith('CAP_') ? c : `CAP_${c}`));
  if (v.arches !== undefined) out.arches = strings(v.arches, `${where}.arches`);
  if (v.minKernel !== undefined) {
    if (typeof v.minKernel !== 'string' || !/^\d+\.\d+/.test(v.minKernel))
      throw new ProfileError(`${where}.minKernel: must be a kernel version like "5.8"`);
    out.minKernel = v.minKernel;
  }
  return out;
}

function arg(v: unknown, where: string): ArgCompare {
  if (!isObj(v)) throw new ProfileError(`${where}: must be an object`);
  const index = uint(v.index, `${where}.index`, 6);
  if (index === undefined) throw new ProfileError(`${where}.index: required (0 to 5)`);
  if (!COMPARE_OPS.includes(v.op as CompareOp))
    throw new ProfileError(
      `${where}.op: unknown comparison ${JSON.stringify(v.op)} (one of ${COMPARE_OPS.join(', ')})`,
    );
  const value = uint(v.value, `${where}.value`) ?? 0;
  const valueTwo = uint(v.valueTwo, `${where}.valueTwo`);
  return { index, value, op: v.op as CompareOp, ...(valueTwo !== undefined ? { valueTwo } : {}) };
}

function rule(v: unknown, where: string): ProfileRule {
  if (!isObj(v)) throw new ProfileError(`${where}: must be an object`);
  const names = [...strings(v.names, `${where}.names`), ...(typeof v.name === 'string' ? [v.name] : [])];
  if (names.length === 0) throw new ProfileError(`${where}: names a system call (names or name)`);
  const errnoRet = uint(v.errnoRet, `${where}.errnoRet`, 4096);
  const args =
    v.args === undefined || v.args === null
      ? []
      : Array.isArray(v.args)
        ? v.args.map((a, i) => arg(a, `${where}.args[${i}]`))
        : [];
  if (v.args !== undefined && v.args !== null && !Array.isArray(v.args))
    throw new ProfileError(`${where}.args: must be a list`);
  return {
    names,
    action: action(v.action, `${where}.action`),
    ...(errnoRet !== undefined ? { errnoRet } : {}),
    args,
    includes: conditions(v.includes, `${where}.includes`),
    excludes: conditions(v.excludes, `${where}.excludes`),
  };
}

/** Read a profile (already JSON.parse'd); `where` names it in errors. */
export function parseProfile(json: unknown, where: string): SeccompProfile {
  if (!isObj(json)) throw new ProfileError(`${where}: a seccomp profile is a JSON object`);
  if (json.listenerPath)
    throw new ProfileError(`${where}: listenerPath needs a seccomp agent, which tspod does not have`);
  const flags = strings(json.flags, `${where}.flags`);
  for (const f of flags) {
    if (!(FILTER_FLAGS as readonly string[]).includes(f))
      throw new ProfileError(`${where}.flags: unsupported flag "${f}" (${FILTER_FLAGS.join(', ')})`);
  }
  const archMap = Array.isArray(json.archMap)
    ? json.archMap.map((a, i) => {
        if (!isObj(a) || typeof a.architecture !== 'string')
          throw new ProfileError(`${where}.archMap[${i}]: needs an architecture`);
        return {
          architecture: a.architecture,
          subArchitectures: strings(a.subArchitectures, `${where}.archMap[${i}].subArchitectures`),
        };
      })
    : [];
  const syscalls = json.syscalls === undefined || json.syscalls === null ? [] : json.syscalls;
  if (!Array.isArray(syscalls)) throw new ProfileError(`${where}.syscalls: must be a list`);
  const errnoRet = uint(json.defaultErrnoRet, `${where}.defaultErrnoRet`, 4096);
  return {
    defaultAction: action(json.defaultAction, `${where}.defaultAction`),
    ...(errnoRet !== undefined ? { defaultErrnoRet: errnoRet } : {}),
    architectures: strings(json.architectures, `${where}.architectures`),
    archMap,
    flags: flags as FilterFlag[],
    syscalls: syscalls.map((r, i) => rule(r, `${where}.syscalls[${i}]`)),
  };
}

export interface Target {
  /** the container's bounding capabilities, CAP_ names */
  capabilities: readonly string[];
  /** the host's architecture, libseccomp's name (NODE_ARCH[process.arch]) */
  arch: string;
  /** the running kernel's release (os.release()) */
  kernel: string;
  /** whether the host's libseccomp knows a system call name */
  known: (name: string) => boolean;
}

function kernelAtLeast(release: string, min: string): boolean {
  const [a = 0, b = 0] = release.split(/[.-]/).map(Number);
  const [c = 0, d = 0] = min.split('.').map(Number);
  return a > c || (a === c && b >= d);
}

function applies(r: ProfileRule, t: Target): boolean {
  const caps = new Set(t.capabilities);
  const arch = SHORT_ARCH[t.arch] ?? t.arch;
  const inc = r.includes,
    exc = r.excludes;
  if (inc.caps && !inc.caps.every((c) => caps.has(c))) return false;
  if (inc.arches && !inc.arches.includes(arch)) return false;
  if (inc.minKernel && !kernelAtLeast(t.kernel, inc.minKernel)) return false;
  if (exc.caps && exc.caps.some((c) => caps.has(c))) return false;
  if (exc.arches && exc.arches.includes(arch)) return false;
  if (exc.minKernel && kernelAtLeast(t.kernel, exc.minKernel)) return false;
  return true;
}

/** The architectures the filter covers: the host's, plus those the profile maps it to or lists. */
function architectures(p: SeccompProfile, arch: string): string[] {
  const mapped = p.archMap.find((a) => a.architecture === arch)?.subArchitectures ?? [];
  const listed = p.architectures.length > 0 && !p.architectures.includes(arch) ? [] : p.architectures;
  return [...new Set([arch, ...mapped, ...listed])];
}

/* One rule per comparison when an argument index repeats (any of); all comparisons at once otherwise. */
function splitArgs(args: ArgCompare[]): ArgCompare[][] {
  if (args.length === 0) return [[]];
  const indexes = new Set(args.map((a) => a.index));
  return indexes.size === args.length ? [args] : args.map((a) => [a]);
}

const takesErrno = (a: SeccompAction) => a === 'SCMP_ACT_ERRNO' || a === 'SCMP_ACT_TRACE';

/* A rule that does what the default does anyway (same action, and same errno where it has one). */
function sameAsDefault(r: ProfileRule, p: SeccompProfile, defaultErrno: number): boolean {
  return r.action === p.defaultAction && (!takesErrno(r.action) || (r.errnoRet ?? defaultErrno) === defaultErrno);
}

/** Resolve a profile for one container. Throws ProfileError when it cannot be enforced as written. */
export function resolveFilter(p: SeccompProfile, t: Target, where: string): SeccompFilter {
  const defaultErrno = p.defaultErrnoRet ?? 1;
  const rules: FilterRule[] = [];
  const plain = new Set<string>(); // names that already have an unconditional rule
  for (const r of p.syscalls) {
    if (!applies(r, t) || sameAsDefault(r, p, defaultErrno)) continue;
    const unknown = r.names.filter((n) => !t.known(n));
    if (unknown.length > 0 && r.action !== 'SCMP_ACT_ALLOW') {
      throw new ProfileError(
        `${where}: system call "${unknown[0]}" is unknown to this host's libseccomp, so its ${r.action} rule cannot be enforced`,
      );
    }
    const names = r.names.filter((n) => t.known(n) && !(r.args.length === 0 && plain.has(n)));
    if (names.length === 0) continue;
    if (r.args.length === 0) names.forEach((n) => plain.add(n));
    const errno = takesErrno(r.action) ? (r.errnoRet ?? defaultErrno) : undefined;
    for (const args of splitArgs(r.args))
      rules.push({ names, action: r.action, ...(errno !== undefined ? { errno } : {}), args });
  }
  return {
    defaultAction: p.defaultAction,
    defaultErrno,
    architectures: architectures(p, t.arch),
    flags: p.flags,
    rules,
  };
}

/** How many distinct system calls a filter allows outright (for --dry-run). */
export function allowedCount(f: SeccompFilter): number {
  return new Set(f.rules.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names)).size;
}
