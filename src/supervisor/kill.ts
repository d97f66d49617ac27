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

/**
 * Run the stop sequence; the caller awaits the instance's exit. Returns a canceller of the SIGKILL
 * timer. `turn`, for a sidecar when the pod stops: after its preStop hook it waits for the app
 * containers and the later sidecars to end (at most until the grace period is over), and then gets
 * what is left of the grace period, at least MIN_GRACE_SECONDS, as the kubelet's terminationOrdering.
 */
export function killInstance(t: KillTarget, graceSeconds: number, o: KillOptions, turn?: Promise<unknown>): () => void {
  const grace = graceSeconds;
  const name = t.container.name;
  const sig = stopSignal(t.container.lifecycle?.stopSignal ?? t.imageStopSignal);
  const deadline = Date.now() + grace * 1000;
  let killer: NodeJS.Timeout | undefined;
  const armKiller = (secs: number) => {
    killer = setTimeout(() => {
      if (t.gone()) return;
      o.explain(`${name}: grace period over, SIGKILL`);
      o.host.signal(t.proc.pidfd, 9);
    }, secs * 1000);
  };
  if (!turn) armKiller(grace);
  // The preStop hook first, then the stop signal (kubelet order); both within the grace period.
  void runPreStop(
    { container: t.container, pidfd: t.proc.pidfd, exec: t.proc.exec },
    {
      host: o.host,
      deadline,
      status: o.status,
      podRef: o.podRef,
      explain: o.explain,
      failed: (m) => o.failedPreStop(t.container, m),
    },
  ).then(async () => {
    let left = grace;
    if (turn) {
      await Promise.race([turn, new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref())]);
      // Whole seconds, truncated as the kubelet's, and never less than the minimum window.
      left = Math.max(MIN_GRACE_SECONDS, Math.floor((deadline - Date.now()) / 1000));
      if (t.gone()) return;
      armKiller(left);
    }
    if (t.gone()) return;
    o.explain(`${name}: sending signal ${sig}, SIGKILL after ${left}s`);
    o.host.signal(t.proc.pidfd, sig);
  });
  return () => clearTimeout(killer);
}

/** A signal's name ("SIGQUIT", "QUIT" or "3") as a number; SIGTERM by default. */
export function stopSignal(name: string | undefined): number {
  if (!name) return 15;
  if (/^\d+$/.test(name)) return Number(name);
  const key = (
    name.toUpperCase().startsWith('SIG') ? name.toUpperCase() : `SIG${name.toUpperCase()}`
  ) as keyof typeof constants.signals;
  return constants.signals[key] ?? 15;
}
