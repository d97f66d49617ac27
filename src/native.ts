/**
 * The typed face of the native addon (native/binding.cc).
 *
 * The addon is mechanism only: it clones children into namespaces and runs plans (lists of
 * operations) in them, watches them exit through pidfds, and offers the few host-side syscalls that
 * are safe in Node's multithreaded process. All policy (which namespaces, which mounts, in which
 * order) is decided in TypeScript and arrives here as a plan.
 *
 * Errors thrown by the addon are reshaped into Node's own system-error form (`code`, negative
 * `errno`, `syscall`, `path`, message `ENOENT: no such file or directory, open '/x'`), so
 * `util.getSystemErrorName` and the usual habits work on them.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import util from 'node:util';
import { PACKAGE_DIR } from './paths.js';
import type { NativeOp } from './plan/types.js';
import type { SeccompFilter } from './seccomp/profile.js';

export interface NativePlan {
  /** namespace kinds created by clone(): "mnt", "pid", "net", ... */
  clone: string[];
  /** fds placed on the child's 0, 1, 2 */
  stdio: [number, number, number];
  ops: NativeOp[];
  /** how long the child may take to reach execve; then it is killed and the error names its step (0: no limit) */
  timeoutMs?: number;
  /** the tspod-exec binary (native/exec-helper.c): the addon execs a sealed memfd copy of it, never the command itself */
  execHelper?: string;
}

export interface ExitStatus {
  /** exit code, when the process exited */
  code: number | null;
  /** signal number, when a signal ended it */
  signal: number | null;
  error?: Error;
}

/** The credentials the kernel recorded when the peer connected (SO_PEERCRED). */
export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

interface Binding {
  spawn(plan: NativePlan): { pid: number; pidfd: number };
  watchExit(pidfd: number, cb: (status: ExitStatus) => void): void;
  pollExit(pidfd: number, cb: () => void): void;
  mount(source: string, target: string, fstype: string, flags: string[], data: string): void;
  umount2(target: string, detach: boolean): void;
  pipe(): [number, number];
  close(fd: number): void;
  flock(fd: number, how: 'ex' | 'sh' | 'un', wait: boolean): boolean;
  mknod(path: string, mode: number, major: number, minor: number): void;
  lsetxattr(path: string, name: string, value: string): void;
  lgetxattr(path: string, name: string): string | null;
  pidfdOpen(pid: number): number;
  pidfdSendSignal(pidfd: number, signal: number): boolean;
  openptyIn(root: string): { master: number; slave: number; name: string };
  setWinsize(fd: number, rows: number, cols: number): void;
  /** OPOST on or off on the terminal; whether it was on */
  setOutputProcessing(fd: number, on: boolean): boolean;
  /** a connected pair of unix stream sockets, both close-on-exec */
  socketpair(): [number, number];
  /** the fd sent on the socket (SCM_RIGHTS), or -1 when none was */
  recvFd(sock: number): number;
  /** who connected the unix socket `fd` (SO_PEERCRED) */
  peerCred(fd: number): PeerCred;
  seccompCompile(filter: SeccompFilter): Buffer;
  seccompKnown(names: string[], version?: false): boolean[];
  seccompKnown(names: string[], version: true): string;
  cgroupDeviceAttach(cgroupDir: string, instructions: Buffer): void;
  cgroupDeviceQuery(cgroupDir: string): number;
}

/** A Node-style system error, with the failing plan step when it came from a child. */
export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
  /** index of the plan operation that failed (spawn only; -1: before the first) */
  opIndex?: number;
  op?: string;
  /** the child did not reach execve within the plan's timeoutMs and was killed (code ETIMEDOUT) */
  timedOut?: boolean;
}

export const ADDON_PATH = process.env.TSPOD_ADDON ?? path.join(PACKAGE_DIR, 'native', 'build', 'tspod.node');

let binding: Binding | undefined;

function load(): Binding {
  if (!binding) {
    try {
      binding = createRequire(import.meta.url)(ADDON_PATH) as Binding;
    } catch (err) {
      throw new Error(`cannot load the native addon ${ADDON_PATH} (run "make build")`, { cause: err });
    }
  }
  return binding;
}

/** Rewrite the addon's message in libuv's words, as Node's own fs errors read. */
export function asSystemError(err: unknown): unknown {
  const e = err as Partial<SystemError>;
  if (!(err instanceof Error) || typeof e.errno !== 'number' || typeof e.syscall !== 'string') return err;
  const text = util.getSystemErrorMap().get(e.errno)?.[1] ?? 'unknown error';
  err.message = `${e.code}: ${text}, ${e.syscall}` + (e.path !== undefined ? ` '${e.path}'` : '');
  return err;
}

function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asSystemError(err);
  }
}

export const native = {
  spawn: (plan: NativePlan) => call(() => load().spawn(plan)),
  watchExit: (pidfd: number, cb: (s: ExitStatus) => void) => call(() => load().watchExit(pidfd, cb)),
  /** Resolves with how the process behind `pidfd` ended (it is reaped). */
  waitExit: (pidfd: number) => new Promise<ExitStatus>((resolve) => native.watchExit(pidfd, resolve)),
  /** Resolves once the process behind `pidfd` has ended, any process (poll(2); nothing is reaped). */
  pollExit: (pidfd: number) => new Promise<void>((resolve) => call(() => load().pollExit(pidfd, () => resolve()))),
  mount: (source: string, target: string, fstype: string, flags: string[], data = '') =>
    call(() => load().mount(source, target, fstype, flags, data)),
  umount2: (target: string, detach = true) => call(() => load().umount2(target, detach)),
  pipe: () => call(() => load().pipe()),
  close: (fd: number) => call(() => load().close(fd)),
  flock: (fd: number, how: 'ex' | 'sh' | 'un', wait = true) => call(() => load().flock(fd, how, wait)),
  mknod: (p: string, mode: number, major: number, minor: number) => call(() => load().mknod(p, mode, major, minor)),
  lsetxattr: (p: string, name: string, value: string) => call(() => load().lsetxattr(p, name, value)),
  lgetxattr: (p: string, name: string) => call(() => load().lgetxattr(p, name)),
  pidfdOpen: (pid: number) => call(() => load().pidfdOpen(pid)),
  pidfdSendSignal: (pidfd: number, signal: number) => call(() => load().pidfdSendSignal(pidfd, signal)),
  /** a pty from the devpts instance under `root` (a container's: /proc/<pid>/root) */
  openptyIn: (root: string) => call(() => load().openptyIn(root)),
  setWinsize: (fd: number, rows: number, cols: number) => call(() => load().setWinsize(fd, rows, cols)),
  setOutputProcessing: (fd: number, on: boolean) => call(() => load().setOutputProcessing(fd, on)),
  socketpair: () => call(() => load().socketpair()),
  recvFd: (sock: number) => call(() => load().recvFd(sock)),
  peerCred: (fd: number) => call(() => load().peerCred(fd)),
  /** the BPF program libseccomp makes of a resolved filter (8 bytes per instruction) */
  seccompCompile: (filter: SeccompFilter) => call(() => load().seccompCompile(filter)),
  /** for each name, whether the host's libseccomp knows that system call */
  seccompKnown: (names: string[]) => call(() => load().seccompKnown(names)),
  /** the libseccomp version the addon runs with */
  seccompVersion: () => call(() => load().seccompKnown([], true)),
  /** load a cgroup v2 device program (encoded struct bpf_insn[]) and attach it to the cgroup directory */
  cgroupDeviceAttach: (cgroupDir: string, instructions: Buffer) =>
    call(() => load().cgroupDeviceAttach(cgroupDir, instructions)),
  /** how many device programs are attached to the cgroup directory itself */
  cgroupDeviceQuery: (cgroupDir: string) => call(() => load().cgroupDeviceQuery(cgroupDir)),
};
