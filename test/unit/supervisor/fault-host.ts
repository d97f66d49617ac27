/**
 * A recording Host for running a whole pod (runPod) in a unit test, without root: containers are
 * pretend processes that "exit" when signalled or when the test says (exit()), but their stdout
 * and stderr are real pipes, so that the supervisor's log pumps run as they do on a real pod. The
 * pids are beyond pid_max: no real process can ever be mistaken for one of them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { ImageRecord } from '../../../src/image/store.js';
import { kernel, type NativePlan } from '../../../src/kernel.js';
import type { Roots } from '../../../src/paths.js';
import { RecordingHost } from '../runtime/recording-host.js';

export class FaultHost extends RecordingHost {
  protected override nextPid = 5_000_000;
  private readonly pipeFds = new Set<number>();
  /** the write ends the containers hold (index = spawn order): a test writes "output" to them */
  readonly outputs: number[][] = [];

  override spawn(plan: NativePlan) {
    const { pid } = super.spawn(plan);
    // The supervisor closes its copies of the write ends after spawn: keep our own.
    this.outputs.push([
      fs.openSync(`/proc/self/fd/${plan.stdio[1]}`, 'w'),
      fs.openSync(`/proc/self/fd/${plan.stdio[2]}`, 'w'),
    ]);
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
    this.ended(5_000_000 + n, { code, signal: null });
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

/** What a pod run against a FaultHost needs around it (pretendWorld). */
export interface PretendWorld<H extends FaultHost> {
  /** the scratch directory that holds everything below */
  dir: string;
  roots: Roots;
  /** a busybox image whose one layer is an empty directory */
  image: ImageRecord;
  host: H;
}

/**
 * A fresh world for each test of the calling file: a scratch directory (named from `prefix`) with
 * the pod's roots and the image's empty layer, and a new host; disposed of and removed after the
 * test. The object is the same throughout; its fields are the current test's.
 */
export function pretendWorld<H extends FaultHost>(prefix: string, makeHost: () => H): PretendWorld<H> {
  const world = {} as PretendWorld<H>;
  beforeEach(() => {
    world.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    world.roots = { root: path.join(world.dir, 'data'), runRoot: path.join(world.dir, 'run') };
    const layer = path.join(world.dir, 'rootfs');
    fs.mkdirSync(layer);
    world.image = {
      name: 'busybox',
      tag: 'latest',
      ref: 'busybox:latest',
      id: 'sha256:1',
      lowerDirs: [layer],
      config: { Cmd: ['sh'] },
      created: '',
    };
    world.host = makeHost();
  });
  afterEach(() => {
    world.host.dispose();
    fs.rmSync(world.dir, { recursive: true, force: true });
  });
  return world;
}
