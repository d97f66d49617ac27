/**
 * A recording Host for running a whole pod (runPod) in a unit test, without root: containers are
 * pretend processes that "exit" when signalled or when the test says (exit()), but their stdout
 * and stderr are real pipes, so that the supervisor's log pumps run as they do on a real pod. The
 * pids are beyond pid_max: no real process can ever be mistaken for one of them.
 */
import fs from 'node:fs';
import { kernel, type NativePlan } from '../../../src/kernel.js';
import { RecordingHost } from '../runtime/recording-host.js';

export class FaultHost extends RecordingHost {
  protected override nextPid = 5_000_000;
  private readonly pipeFds = new Set<number>();
  /** the write ends the containers hold (index = spawn order): a test writes "output" to them */
  readonly outputs: number[][] = [];

  override spawn(plan: NativePlan) {
    const { pid } = super.spawn(plan);
    // The supervisor closes its copies of the write ends after spawn: keep our own.
    this.outputs.push([fs.openSync(`/proc/self/fd/${plan.stdio[1]}`, 'w'), fs.openSync(`/proc/self/fd/${plan.stdio[2]}`, 'w')]);
    return { pid, pidfd: pid };
  }

  override pipe(): [number, number] {
    super.pipe();
    const p = kernel.pipe();
    for (const fd of p) this.pipeFds.add(fd);
    return p;
  }

  override closeFd(fd: number): void {
    super.closeFd(fd);
    if (this.pipeFds.delete(fd)) kernel.closeFd(fd);
  }

  /** The container spawned as the n-th process ends with `code` (its output closes). */
  exit(n: number, code: number): void {
    for (const fd of this.outputs[n]!.splice(0)) fs.closeSync(fd);
    this.exits.get(5_000_000 + n)?.({ code, signal: null });
  }

  override signal(pidfd: number, sig: number): boolean {
    const n = pidfd - 5_000_000;
    for (const fd of this.outputs[n]?.splice(0) ?? []) fs.closeSync(fd);
    return super.signal(pidfd, sig);
  }

  /** Close whatever is still open (after the test). */
  dispose(): void {
    for (const o of this.outputs) for (const fd of o.splice(0)) fs.closeSync(fd);
    // (The read ends left are the log pumps' own: they closed them with their sockets.)
    this.pipeFds.clear();
  }
}
