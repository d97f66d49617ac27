/**
 * A Host that records every call instead of touching the system, for unit tests of the runtime's
 * orchestration (no root, no addon). `failOn` makes one call throw, as the real one would.
 */
import type { ExitStatus, NativePlan } from '../../../src/native.js';
import type { Host } from '../../../src/runtime/host.js';

export type Call = [name: string, ...args: unknown[]];

export class RecordingHost implements Host {
  readonly calls: Call[] = [];
  private nextPid = 1000;
  protected exits = new Map<number, (s: ExitStatus) => void>();
  failOn?: (call: Call) => Error | undefined;

  private record(call: Call): void {
    this.calls.push(call);
    const err = this.failOn?.(call);
    if (err) throw err;
  }

  names(): string[] {
    return this.calls.map((c) => c[0]);
  }

  spawn(plan: NativePlan) {
    this.record(['spawn', plan]);
    const pid = this.nextPid++;
    return { pid, pidfd: pid };
  }
  waitExit(pidfd: number): Promise<ExitStatus> {
    return new Promise((resolve) => this.exits.set(pidfd, resolve));
  }
  signal(pidfd: number, sig: number): boolean {
    this.record(['signal', pidfd, sig]);
    this.exits.get(pidfd)?.({ code: null, signal: sig });
    return true;
  }
  closeFd(fd: number) {
    this.record(['closeFd', fd]);
  }
  pipe(): [number, number] {
    this.record(['pipe']);
    return [-1, -1];
  }
  mount(source: string, target: string, fstype: string, flags: string[], data?: string) {
    this.record(['mount', source, target, fstype, flags, data]);
  }
  umount(target: string) {
    this.record(['umount', target]);
  }
  async mkdir(p: string) {
    this.record(['mkdir', p]);
  }
  async writeFile(p: string, data: string) {
    this.record(['writeFile', p, data]);
  }
  async remove(p: string) {
    this.record(['remove', p]);
  }
  async createCgroup(rel: string, _limits: unknown, record: (dir: string) => Promise<void>) {
    this.record(['createCgroup', rel]);
    const dir = `/sys/fs/cgroup/test/${rel}`;
    await record(dir);
    return { dirs: [dir], procs: [`${dir}/cgroup.procs`] };
  }
  async removeCgroups(dirs: string[]) {
    this.record(['removeCgroups', [...dirs]]);
  }
  oomKilled() {
    return false;
  }
}
