/**
 * A Host that records every call instead of touching the system, for unit tests of the runtime's
 * orchestration (no root, no addon). `failOn` makes one call throw, as the real one would.
 *
 * It also keeps a model of what the calls made (`world`): directories, files, mounts, cgroups,
 * live processes and network attachments, with the kernel's answers where teardown depends on them
 * (umount of a non-mount point is EINVAL, pidfd_open of a dead pid ESRCH, rmdir of a missing
 * cgroup ENOENT). A teardown is complete when `leftovers()` is empty.
 */
import type { ExitStatus, NativePlan } from '../../../src/kernel.js';
import type { Host } from '../../../src/runtime/host.js';
import type { AttachOptions, NetworkAttachment } from '../../../src/network/index.js';
import type { ProcessRef } from '../../../src/state/types.js';

export type Call = [name: string, ...args: unknown[]];

function sysError(code: string, syscall: string, path?: string): Error {
  return Object.assign(new Error(`${code}: ${syscall}${path ? ` '${path}'` : ''}`), { code, syscall, path });
}

export class RecordingHost implements Host {
  readonly calls: Call[] = [];
  protected nextPid = 1000;
  protected exits = new Map<number, (s: ExitStatus) => void>();
  /** what waits (pollExit) for a process to end, by pid */
  private polls = new Map<number, (() => void)[]>();
  private cgroupOf = new Map<number, string>();
  failOn?: (call: Call) => Error | undefined;
  /** what the calls made, and is still there */
  readonly world = {
    dirs: new Set<string>(),
    files: new Map<string, string>(),
    /** mount points, in mount order (a target mounted twice is there twice) */
    mounts: [] as string[],
    cgroups: new Set<string>(),
    /** live processes by pidfd (= pid here) */
    processes: new Set<number>(),
    /** start times of processes that have one other than the ProcessRef asked about (a recycled pid) */
    startTimes: new Map<number, number>(),
    networks: new Set<string>(),
  };

  protected record(call: Call): void {
    this.calls.push(call);
    const err = this.failOn?.(call);
    if (err) throw err;
  }

  names(): string[] {
    return this.calls.map((c) => c[0]);
  }

  /** What is left on the "host" under `prefixes` (directories and files), and every mount, cgroup, process and attachment. */
  leftovers(prefixes: string[] = ['/']): string[] {
    const under = (p: string) => prefixes.some((x) => p === x || p.startsWith(x.endsWith('/') ? x : `${x}/`));
    return [
      ...[...this.world.dirs].filter(under).map((d) => `dir ${d}`),
      ...[...this.world.files.keys()].filter(under).map((f) => `file ${f}`),
      ...this.world.mounts.map((m) => `mount ${m}`),
      ...[...this.world.cgroups].map((c) => `cgroup ${c}`),
      ...[...this.world.processes].map((p) => `process ${p}`),
      ...[...this.world.networks].map((n) => `network ${n}`),
    ];
  }

  spawn(plan: NativePlan) {
    this.record(['spawn', plan]);
    const pid = this.nextPid++;
    this.world.processes.add(pid);
    // The cgroup its first steps join: removing that cgroup kills it (cgroup.kill).
    const join = plan.ops.find((o) => o.op === 'writeFile' && o.target.endsWith('/cgroup.procs'));
    if (join?.op === 'writeFile') this.cgroupOf.set(pid, join.target.slice(0, -'/cgroup.procs'.length));
    return { pid, pidfd: pid };
  }
  waitExit(pidfd: number): Promise<ExitStatus> {
    if (!this.world.processes.has(pidfd)) return Promise.resolve({ code: null, signal: 9 });
    return new Promise((resolve) => this.exits.set(pidfd, resolve));
  }
  pollExit(pidfd: number): Promise<void> {
    if (!this.world.processes.has(pidfd)) return Promise.resolve();
    return new Promise((resolve) => this.polls.set(pidfd, [...(this.polls.get(pidfd) ?? []), resolve]));
  }
  /** The process ended: its parent learns how (waitExit), anyone else that it did (pollExit). */
  protected ended(pid: number, status: ExitStatus): void {
    this.world.processes.delete(pid);
    this.exits.get(pid)?.(status);
    for (const resolve of this.polls.get(pid) ?? []) resolve();
    this.polls.delete(pid);
  }
  signal(pidfd: number, sig: number): boolean {
    this.record(['signal', pidfd, sig]);
    const alive = this.world.processes.has(pidfd);
    if (alive) this.ended(pidfd, { code: null, signal: sig });
    else this.exits.get(pidfd)?.({ code: null, signal: sig });
    return alive;
  }
  pidfdOpen(pid: number): number {
    this.record(['pidfdOpen', pid]);
    if (!this.world.processes.has(pid)) throw sysError('ESRCH', 'pidfd_open');
    return pid;
  }
  closeFd(fd: number) {
    this.record(['closeFd', fd]);
  }
  pipe(): [number, number] {
    this.record(['pipe']);
    return [-1, -1];
  }
  socketpair(): [number, number] {
    this.record(['socketpair']);
    return [-1, -1];
  }
  recvFd(sock: number): number {
    this.record(['recvFd', sock]);
    return -1;
  }
  peerCred(fd: number) {
    this.record(['peerCred', fd]);
    return { pid: 1, uid: 0, gid: 0 };
  }
  mount(source: string, target: string, fstype: string, flags: string[], data?: string) {
    this.record(['mount', source, target, fstype, flags, data]);
    this.world.mounts.push(target);
  }
  umount(target: string) {
    this.record(['umount', target]);
    const i = this.world.mounts.lastIndexOf(target);
    if (i < 0) throw sysError('EINVAL', 'umount2', target);
    this.world.mounts.splice(i, 1);
  }
  flock(): boolean {
    return true;
  }
  mknod(p: string) {
    this.record(['mknod', p]);
  }
  lsetxattr(p: string, name: string) {
    this.record(['lsetxattr', p, name]);
  }
  lgetxattr(): string | null {
    return null;
  }
  openptyIn(): { master: number; slave: number; name: string } {
    throw sysError('ENOSYS', 'openpty');
  }
  setWinsize() {}
  seccompCompile(): Buffer {
    throw sysError('ENOSYS', 'seccomp');
  }
  seccompKnown(names: string[]): boolean[] {
    return names.map(() => true);
  }
  seccompVersion(): string {
    return 'recording';
  }
  cgroupDeviceAttach(dir: string) {
    this.record(['cgroupDeviceAttach', dir]);
  }
  cgroupDeviceQuery(): number {
    return 0;
  }
  async mkdir(p: string) {
    this.record(['mkdir', p]);
    for (let d = p; d !== '/' && d !== '.'; d = d.slice(0, d.lastIndexOf('/')) || '/') this.world.dirs.add(d);
  }
  async writeFile(p: string, data: string) {
    this.record(['writeFile', p, data]);
    this.world.files.set(p, data);
  }
  async remove(p: string) {
    this.record(['remove', p]);
    const under = (x: string) => x === p || x.startsWith(`${p}/`);
    if (this.world.mounts.some(under)) throw sysError('EBUSY', 'rmdir', p);
    for (const d of [...this.world.dirs]) if (under(d)) this.world.dirs.delete(d);
    for (const f of [...this.world.files.keys()]) if (under(f)) this.world.files.delete(f);
  }
  async createCgroup(rel: string, _limits: unknown, record: (dir: string) => Promise<void>) {
    this.record(['createCgroup', rel]);
    const parts = rel.split('/');
    const levels = parts.map((_, i) => `/sys/fs/cgroup/test/${parts.slice(0, i + 1).join('/')}`).slice(1);
    for (const d of levels) await record(d);
    for (const d of levels) this.world.cgroups.add(d);
    const dir = levels.at(-1)!;
    return { dirs: [dir], procs: [`${dir}/cgroup.procs`] };
  }
  async removeCgroups(dirs: string[]) {
    this.record(['removeCgroups', [...dirs]]);
    // As the real one: each directory with the cgroups below it, deepest first.
    for (const d of dirs)
      for (const c of [...this.world.cgroups]) if (c === d || c.startsWith(`${d}/`)) this.world.cgroups.delete(c);
    // What is in a removed cgroup (or below it) is killed; a process elsewhere is not.
    const removed = (cg: string) => dirs.some((d) => cg === d || cg.startsWith(`${d}/`));
    for (const [pid, cg] of this.cgroupOf) {
      if (removed(cg) && this.world.processes.has(pid)) this.ended(pid, { code: null, signal: 9 });
    }
  }
  oomKilled() {
    return false;
  }
  processAlive(ref: ProcessRef): boolean {
    return this.world.processes.has(ref.pid) && (this.world.startTimes.get(ref.pid) ?? ref.startTime) === ref.startTime;
  }
  /** CNI ADD, as network/index.ts does it: recorded before the pin, the pin, then the address. */
  async attachNetwork(o: AttachOptions): Promise<NetworkAttachment | null> {
    const a: NetworkAttachment = {
      network: o.network,
      source: 'recording',
      containerId: o.podUid,
      netnsPin: `${o.runRoot}/netns/${o.podName}`,
      ifName: 'eth0',
      args: [],
      config: { cniVersion: '1.0.0', name: o.network, plugins: [] },
      result: null,
      ips: [],
      portMappings: o.portMappings,
    };
    await o.record(a);
    this.record(['attachNetwork', o.network, o.infraPid]);
    this.world.networks.add(a.netnsPin);
    a.ips = ['10.88.0.2'];
    await o.record(a);
    return a;
  }
  async detachNetwork(a: NetworkAttachment): Promise<void> {
    this.record(['detachNetwork', a.network]);
    this.world.networks.delete(a.netnsPin);
  }
}
