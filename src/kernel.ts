/**
 * The one door to the native addon: every privileged system call tspod makes goes through the
 * `Kernel` interface, and `kernel` is the only module that imports the addon (native.ts).
 *
 * Two layers use it. The pod's lifecycle (runtime/, supervisor/, teardown/) reaches it through
 * `Host` (runtime/host.ts), which is a Kernel plus the host's files and cgroups, passed in so that
 * unit tests hand in a recording double (test/unit/runtime/recording-host.ts) and walk start,
 * teardown and crash paths without root. The modules below the runtime (locks of the state and the
 * image store, the image unpacker's mknod and overlay xattrs, the netns pin, seccomp's compiler, the exec terminal)
 * take `kernel` itself: they are the mechanisms the runtime is built from, each tested where it
 * is used, and a folder below runtime/ cannot import runtime/ (test/unit/layering.test.ts).
 */
import { native, type ExitStatus, type NativePlan, type PeerCred, type SystemError } from './native.js';
import type { SeccompFilter } from './seccomp/profile.js';

export type { ExitStatus, NativePlan, PeerCred, SystemError };

export interface Kernel {
  spawn(plan: NativePlan): { pid: number; pidfd: number };
  /** resolves with how the process behind `pidfd` ended (it is reaped) */
  waitExit(pidfd: number): Promise<ExitStatus>;
  /**
   * resolves once the process behind `pidfd` has ended: any process, not only a child (a pidfd
   * polls readable at its exit); nothing is reaped, and no status is learnt (its parent has it)
   */
  pollExit(pidfd: number): Promise<void>;
  /** false when the process is already gone */
  signal(pidfd: number, signal: number): boolean;
  pidfdOpen(pid: number): number;
  closeFd(fd: number): void;
  pipe(): [number, number];
  /** a connected pair of unix stream sockets, both close-on-exec (a container's console socket) */
  socketpair(): [number, number];
  /** the fd sent over the socket (SCM_RIGHTS), -1 when none was */
  recvFd(sock: number): number;
  /** the pid, uid and gid of the process that connected the unix socket `fd` (SO_PEERCRED) */
  peerCred(fd: number): PeerCred;
  mount(source: string, target: string, fstype: string, flags: string[], data?: string): void;
  /** lazy detach (MNT_DETACH) */
  umount(target: string): void;
  /** false when `wait` is false and the lock is held elsewhere */
  flock(fd: number, how: 'ex' | 'sh' | 'un', wait?: boolean): boolean;
  mknod(path: string, mode: number, major: number, minor: number): void;
  /** sets an extended attribute on `path` itself (a final symlink is not followed) */
  lsetxattr(path: string, name: string, value: string): void;
  /** the attribute's value, or null when `path` has none */
  lgetxattr(path: string, name: string): string | null;
  /** a pty from the devpts instance under `root` (a container's: /proc/<pid>/root) */
  openptyIn(root: string): { master: number; slave: number; name: string };
  setWinsize(fd: number, rows: number, cols: number): void;
  /** output processing (OPOST) of a terminal on or off; returns whether it was on */
  setOutputProcessing(fd: number, on: boolean): boolean;
  /** the BPF program libseccomp makes of a resolved filter (8 bytes per instruction) */
  seccompCompile(filter: SeccompFilter): Buffer;
  /** for each name, whether the host's libseccomp knows that system call */
  seccompKnown(names: string[]): boolean[];
  seccompVersion(): string;
  /** load a cgroup v2 device program (encoded struct bpf_insn[]) and attach it to the cgroup directory */
  cgroupDeviceAttach(cgroupDir: string, instructions: Buffer): void;
  /** how many device programs are attached to the cgroup directory itself */
  cgroupDeviceQuery(cgroupDir: string): number;
}

export const kernel: Kernel = {
  spawn: (plan) => native.spawn(plan),
  waitExit: (pidfd) => native.waitExit(pidfd),
  pollExit: (pidfd) => native.pollExit(pidfd),
  signal: (pidfd, sig) => native.pidfdSendSignal(pidfd, sig),
  pidfdOpen: (pid) => native.pidfdOpen(pid),
  closeFd: (fd) => native.close(fd),
  pipe: () => native.pipe(),
  socketpair: () => native.socketpair(),
  recvFd: (sock) => native.recvFd(sock),
  peerCred: (fd) => native.peerCred(fd),
  mount: (source, target, fstype, flags, data) => native.mount(source, target, fstype, flags, data),
  umount: (target) => native.umount2(target, true),
  flock: (fd, how, wait = true) => native.flock(fd, how, wait),
  mknod: (p, mode, major, minor) => native.mknod(p, mode, major, minor),
  lsetxattr: (p, name, value) => native.lsetxattr(p, name, value),
  lgetxattr: (p, name) => native.lgetxattr(p, name),
  openptyIn: (root) => native.openptyIn(root),
  setWinsize: (fd, rows, cols) => native.setWinsize(fd, rows, cols),
  setOutputProcessing: (fd, on) => native.setOutputProcessing(fd, on),
  seccompCompile: (filter) => native.seccompCompile(filter),
  seccompKnown: (names) => native.seccompKnown(names),
  seccompVersion: () => native.seccompVersion(),
  cgroupDeviceAttach: (dir, instructions) => native.cgroupDeviceAttach(dir, instructions),
  cgroupDeviceQuery: (dir) => native.cgroupDeviceQuery(dir),
};
