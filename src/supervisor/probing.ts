/**
 * The supervisor's side of probes (src/probes/prober.ts does the probing): each running instance
 * with a probe gets an InstanceProber, and its verdicts land in the container's status (`started`,
 * `ready`), in events (`Unhealthy`, `ProbeWarning`), and, for a liveness or startup failure, in a
 * kill with the probe's `terminationGracePeriodSeconds` (else the pod's).
 */
import type { EventRecorder, Subject } from '../events/recorder.js';
import type { Container, Probe } from '../manifest/types.js';
import { InstanceProber } from '../probes/prober.js';
import type { ContainerProcess } from '../runtime/container.js';
import type { Host } from '../runtime/host.js';
import type { PodStatus } from '../state/types.js';
import { findStatus } from './status.js';

export interface ProbingDeps {
  host: Host;
  status: PodStatus;
  events: EventRecorder;
  subject: Subject;
  /** the readiness probe's verdict */
  setReady(ready: boolean): void;
  /** the status changed: recompute conditions and save */
  changed(): void;
  /** kill the instance for a failed liveness/startup probe, with this grace period */
  kill(message: string, graceSeconds: number): void;
  podGraceSeconds: number;
}

/** Start probing the instance; undefined when the container has no probe. */
export function startProbing(c: Container, proc: ContainerProcess, d: ProbingDeps): InstanceProber | undefined {
  if (!c.livenessProbe && !c.readinessProbe && !c.startupProbe) return undefined;
  const s = () => findStatus(d.status, c.name);
  const prober = new InstanceProber(c, Date.parse(proc.startedAt), {
    context: () => ({
      host: d.host,
      container: c,
      status: d.status,
      exec: { container: c.name, pidfd: proc.pidfd, context: proc.exec },
    }),
    event: (_type, reason, message) => {
      d.events.warning(d.subject, reason, message);
      d.changed();
    },
    started: () => {
      s().started = true;
      d.changed();
    },
    ready: (ready) => {
      d.setReady(ready);
      d.changed();
    },
    kill: (message: string, probe: Probe) => d.kill(message, probe.terminationGracePeriodSeconds ?? d.podGraceSeconds),
  });
  prober.start();
  return prober;
}
