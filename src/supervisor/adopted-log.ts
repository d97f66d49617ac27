/**
 * The log monitor of an adopted instance (supervisor/adopted.ts): a `tspod-monitor log` process
 * (native/monitor.c) that a dead supervisor started, and that went on writing the container's
 * log while no supervisor lived. It is not our child, so we hold it by a pidfd (opened, then
 * checked against its start time), learn of its end by polling that pidfd, and of how it ended
 * from the exit record the pod's monitor wrote (state/exits.ts). As with a monitor of our own
 * (logs.ts): an end other than status 0 while the container runs is a death (the container is
 * killed: LogMonitorFailed), and draining waits for it to end, then asks it to (SIGTERM), then
 * makes it (SIGKILL).
 */
import { constants } from 'node:os';
import type { Host } from '../runtime/host.js';
import { waitExitRecord } from '../state/exits.js';
import type { ProcessRef } from '../state/types.js';
import { openProcess } from './same-process.js';

/** How long after the monitor's end its record may take (it is written before the monitor reaps). */
const RECORD_WAIT_MS = 2000;

const signalName = (n: number) => Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;

export class AdoptedLog {
  private readonly pidfd?: number;
  private readonly closed: Promise<void>;
  private draining = false;

  /** `ref` undefined: the state named no monitor (an older tspod): there is nothing to watch. */
  constructor(
    private readonly host: Host,
    exitsDir: string,
    ref: ProcessRef | undefined,
    onDeath: (how: string) => void,
  ) {
    this.pidfd = ref && openProcess(host, ref);
    this.closed = this.pidfd === undefined ? Promise.resolve() : host.pollExit(this.pidfd);
    if (!ref) return;
    void this.closed.then(async () => {
      if (this.pidfd !== undefined) host.closeFd(this.pidfd);
      if (this.draining) return;
      const r = await waitExitRecord(exitsDir, ref, RECORD_WAIT_MS);
      if (this.draining || r?.code === 0) return;
      onDeath(
        !r ? 'ended unseen' : r.signal ? `was killed by ${signalName(r.signal)}` : `exited with status ${r.code}`,
      );
    });
  }

  /** Wait for the monitor to have written everything and ended (logs.ts ContainerLog.drain). */
  async drain(ms = 2000): Promise<void> {
    this.draining = true;
    if (await this.closedWithin(ms)) return;
    this.signal(15);
    if (await this.closedWithin(2000)) return;
    this.signal(9);
    await this.closed;
  }

  private signal(sig: number): void {
    // (The pidfd is open until the monitor has ended: closedWithin said it has not.)
    if (this.pidfd !== undefined) this.host.signal(this.pidfd, sig);
  }

  private async closedWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const done = await Promise.race([this.closed.then(() => true), timeout]);
    clearTimeout(timer);
    return done;
  }
}
