/**
 * Stopping one container instance as the kubelet's killContainer does: the `Killing` event, the
 * preStop hook, then the stop signal (`lifecycle.stopSignal`, else the image's StopSignal, else
 * SIGTERM), and SIGKILL when the grace period is over, the hook's time included. The kubelet makes
 * the grace period at least 2 s (MIN_GRACE_SECONDS); `rm -f` asks for none, deliberately.
 */
import { constants } from 'node:os';
import type { Container } from '../manifest/types.js';
import type { ContainerProcess } from '../runtime/container.js';
import type { Host } from '../runtime/host.js';
import type { PodStatus } from '../state/types.js';
import { runPreStop } from './prestop.js';

export const MIN_GRACE_SECONDS = 2;

export interface KillTarget {
  container: Container;
  proc: ContainerProcess;
  /** the image's StopSignal */
  imageStopSignal?: string;
  /** true once the process has exited and its pidfd is closed: never signal it after that */
  gone(): boolean;
}

export interface KillOptions {
  host: Host;
  status: PodStatus;
  podRef: string;
  explain: (line: string) => void;
  failedPreStop: (container: Container, message: string) => void;
}

/** Run the stop sequence; the caller awaits the instance's exit. Returns a canceller of the SIGKILL timer. */
export function killInstance(t: KillTarget, graceSeconds: number, o: KillOptions): () => void {
  const grace = graceSeconds;
  const name = t.container.name;
  const sig = stopSignal(t.container.lifecycle?.stopSignal ?? t.imageStopSignal);
  const deadline = Date.now() + grace * 1000;
  const killer = setTimeout(() => {
    if (t.gone()) return;
    o.explain(`${name}: grace period over, SIGKILL`);
    o.host.signal(t.proc.pidfd, 9);
  }, grace * 1000);
  // The preStop hook first, then the stop signal (kubelet order); both within the grace period.
  void runPreStop({ container: t.container, pidfd: t.proc.pidfd, exec: t.proc.exec }, {
    host: o.host, deadline, status: o.status, podRef: o.podRef, explain: o.explain,
    failed: (m) => o.failedPreStop(t.container, m),
  }).then(() => {
    if (t.gone()) return;
    o.explain(`${name}: sending signal ${sig}, SIGKILL after ${grace}s`);
    o.host.signal(t.proc.pidfd, sig);
  });
  return () => clearTimeout(killer);
}

/** A signal's name ("SIGQUIT", "QUIT" or "3") as a number; SIGTERM by default. */
export function stopSignal(name: string | undefined): number {
  if (!name) return 15;
  if (/^\d+$/.test(name)) return Number(name);
  const key = (name.toUpperCase().startsWith('SIG') ? name.toUpperCase() : `SIG${name.toUpperCase()}`) as keyof typeof constants.signals;
  return constants.signals[key] ?? 15;
}
