/**
 * One probe of one container instance, run periodically (pkg/kubelet/prober/worker.go).
 *
 * Every `periodSeconds` the worker looks at the container: before `initialDelaySeconds` have
 * passed since it started, nothing is probed; a startup probe runs only until the container has
 * started, the other two only once it has (a startup probe gates them). A result changes the
 * probe's verdict only after `failureThreshold` failures or `successThreshold` successes in a row.
 * The verdict before the first one is Failure for readiness (not ready until proven), Success for
 * liveness (alive until proven dead), none for startup. A liveness or startup Failure puts the
 * worker on hold: the instance is killed, and the next instance gets a new worker.
 *
 * Each failed attempt is an `Unhealthy` event (`Liveness probe failed: <output>`), an attempt that
 * could not be made one too (`... probe errored: <why>`, its result thrown away), a success that
 * stopped at a redirect a `ProbeWarning`.
 */
import type { Probe } from '../manifest/types.js';
import { ProbeError, type ProbeResult } from './result.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export type Verdict = 'success' | 'failure';

export interface WorkerHooks {
  /** when the instance started (ms since the epoch) */
  startedAt: number;
  /** has the container started (its startup probe succeeded, or it has none)? */
  started(): boolean;
  attempt(): Promise<ProbeResult>;
  event(type: 'Warning', reason: string, message: string): void;
  /** the verdict changed (or was confirmed after a threshold run) */
  verdict(v: Verdict): void;
}

const title = (k: ProbeKind) => k.charAt(0).toUpperCase() + k.slice(1);

export class ProbeWorker {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private onHold = false;
  private last?: Verdict;
  private run = 0;

  constructor(
    readonly kind: ProbeKind,
    readonly spec: Probe,
    private readonly h: WorkerHooks,
  ) {}

  start(): void {
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async tick(): Promise<void> {
    const began = Date.now();
    if (this.due()) await this.probeOnce().catch(() => undefined);
    if (this.stopped) return;
    const wait = Math.max(0, this.spec.periodSeconds * 1000 - (Date.now() - began));
    this.timer = setTimeout(() => void this.tick(), wait);
  }

  private due(): boolean {
    if (this.stopped || this.onHold) return false;
    if (Math.floor((Date.now() - this.h.startedAt) / 1000) < this.spec.initialDelaySeconds) return false;
    return this.kind === 'startup' ? !this.h.started() : this.h.started();
  }

  private async probeOnce(): Promise<void> {
    let r: ProbeResult;
    try {
      r = await this.h.attempt();
    } catch (err) {
      if (!(err instanceof ProbeError) || this.stopped) throw err;
      this.h.event('Warning', 'Unhealthy', `${title(this.kind)} probe errored: ${err.message}`);
      return;
    }
    if (this.stopped) return;
    if (r.outcome === 'failure') this.h.event('Warning', 'Unhealthy', `${title(this.kind)} probe failed: ${r.output}`);
    if (r.outcome === 'warning')
      this.h.event('Warning', 'ProbeWarning', `${title(this.kind)} probe warning: ${r.output}`);
    this.count(r.outcome === 'failure' ? 'failure' : 'success');
  }

  private count(v: Verdict): void {
    this.run = this.last === v ? this.run + 1 : 1;
    this.last = v;
    const threshold = v === 'failure' ? this.spec.failureThreshold : this.spec.successThreshold;
    if (this.run < threshold) return;
    if (v === 'failure' && this.kind !== 'readiness') {
      this.onHold = true;
      this.run = 0;
    }
    this.h.verdict(v);
  }
}
