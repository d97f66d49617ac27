/**
 * The probes of one container instance (pkg/kubelet/prober/prober_manager.go): a worker per probe
 * the container has, and what their verdicts mean for the container:
 *
 * - startup: `started` stays false until it succeeds (true at once without a startup probe);
 * - readiness: `ready` follows its verdict (without one, ready = started);
 * - liveness or startup Failure: the container is killed, with the kubelet's message
 *   `Container NAME failed liveness probe, will be restarted`, and the restart policy decides.
 *
 * The supervisor owns the container's status; it is told through the `ProberHooks`.
 */
import type { Container, Probe } from '../manifest/types.js';
import { runProbe, type ProbeContext } from './run.js';
import { ProbeWorker, type ProbeKind, type Verdict } from './worker.js';

export interface ProberHooks {
  context(): ProbeContext;
  event(type: 'Warning', reason: string, message: string): void;
  /** the container started (its startup probe succeeded) */
  started(): void;
  /** readiness changed */
  ready(ready: boolean): void;
  /** kill the instance: a liveness or startup probe failed for good */
  kill(message: string, probe: Probe): void;
}

export class InstanceProber {
  private readonly workers: ProbeWorker[] = [];
  private isStarted: boolean;

  constructor(
    private readonly c: Container,
    startedAt: number,
    private readonly h: ProberHooks,
  ) {
    this.isStarted = !c.startupProbe;
    const kinds: [ProbeKind, Probe | undefined][] = [
      ['startup', c.startupProbe],
      ['liveness', c.livenessProbe],
      ['readiness', c.readinessProbe],
    ];
    for (const [kind, spec] of kinds) {
      if (!spec) continue;
      this.workers.push(
        new ProbeWorker(kind, spec, {
          startedAt,
          started: () => this.isStarted,
          attempt: () => runProbe(spec, this.h.context()),
          event: (type, reason, message) => this.h.event(type, reason, message),
          verdict: (v) => this.verdict(kind, spec, v),
        }),
      );
    }
  }

  /** Does a readiness probe decide `ready`? (else ready = started) */
  get hasReadinessProbe(): boolean {
    return !!this.c.readinessProbe;
  }

  get started(): boolean {
    return this.isStarted;
  }

  start(): void {
    for (const w of this.workers) w.start();
  }

  stop(): void {
    for (const w of this.workers) w.stop();
  }

  private verdict(kind: ProbeKind, spec: Probe, v: Verdict): void {
    if (kind === 'readiness') return this.h.ready(v === 'success');
    if (v === 'failure') return this.h.kill(`Container ${this.c.name} failed ${kind} probe, will be restarted`, spec);
    if (kind === 'startup' && !this.isStarted) {
      this.isStarted = true;
      this.h.started();
    }
  }
}
