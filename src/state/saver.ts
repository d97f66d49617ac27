/**
 * Saving a running pod's state (store.ts writes it atomically) when the disk may fail under it.
 *
 * Two kinds of save, with different answers to a failure:
 *
 * - A ledger save (`strict`) records what is about to be made on the host (a mount, a cgroup, a
 *   network attachment) before it is made, so that `gc` can undo it if the supervisor dies. If it
 *   cannot reach the disk, the step it records must not happen: the save rejects, and the step
 *   fails as any failed step does (undone, reported).
 * - A status save (`lenient`) records what happened (a container started or exited, an event). The
 *   state in memory is right and the supervisor goes on supervising the pod with it; a save that
 *   fails (ENOSPC on a full run root, EIO) must not stop or orphan the pod. It never rejects.
 *
 * Either way, a failure is reported once per run of failures (`failed`: a warning line and an
 * event), the save is retried every `retryMs` while they fail, and the first save that works
 * again is reported too (`recovered`). Every save writes the whole state as it is when the write
 * starts, one write at a time, so the last write is always the newest state.
 *
 * Saves are coalesced (issue 15): the saves asked for while a write is waiting to start share that
 * write, which, starting after every one of them was asked for, holds what each wanted saved. So
 * a burst of changes (each cgroup directory of a pod, the steps of its ledger) costs one or two
 * writes, and a strict save still resolves only once a write that began after it has reached the
 * disk.
 */
export interface SaveReport {
  failed(err: NodeJS.ErrnoException): void;
  recovered(failures: number): void;
}

export class StateSaver {
  private chain: Promise<void> = Promise.resolve();
  /** the write asked for and not yet begun, which later saves join */
  private next?: Promise<void>;
  /** failed attempts since the last save that worked */
  private failures = 0;
  private retry?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly write: () => Promise<void>,
    private readonly report: SaveReport,
    private readonly retryMs = 2000,
  ) {}

  /** A ledger save: rejects when the state could not be written. */
  strict(): Promise<void> {
    if (this.next) return this.next;
    const attempt = this.chain.then(() => {
      // From here on the state is being written: a change after this needs a write of its own.
      this.next = undefined;
      return this.attempt();
    });
    this.next = attempt;
    this.chain = attempt.catch(() => undefined);
    return attempt;
  }

  /** A status save: never rejects; a failure is reported and retried. */
  lenient(): Promise<void> {
    return this.strict().catch(() => undefined);
  }

  /** True while saves fail. */
  get failing(): boolean {
    return this.failures > 0;
  }

  /** No more retries (the pod is gone); resolves when the write under way has ended. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    this.retry = undefined;
    await this.chain;
  }

  private async attempt(): Promise<void> {
    try {
      await this.write();
    } catch (err) {
      if (this.failures++ === 0) this.report.failed(err as NodeJS.ErrnoException);
      this.armRetry();
      throw err;
    }
    if (this.failures === 0) return;
    const failures = this.failures;
    this.failures = 0;
    clearTimeout(this.retry);
    this.retry = undefined;
    this.report.recovered(failures);
    // What `recovered` recorded (an event) is saved too.
    void this.lenient();
  }

  private armRetry(): void {
    if (this.retry || this.closed) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.lenient();
    }, this.retryMs);
    // The pod's own work keeps the process alive; a retry alone must not.
    this.retry.unref();
  }
}
