/**
 * `preStop` hooks: when a container is stopped, the kubelet first runs its `lifecycle.preStop`
 * handler (exec inside the container, httpGet, sleep: src/hooks/handlers.ts) and waits for it, and
 * only then sends the stop signal. The hook does not extend the grace period: hook and stop signal
 * share it, and whatever still runs when it is over is killed, the hook included.
 *
 * The hook's output is discarded, as the kubelet does; a failure is a `FailedPreStopHook` event,
 * and the stop goes on.
 */
import type { Container } from '../manifest/types.js';
import { runHandler } from '../hooks/handlers.js';
import type { Host } from '../runtime/host.js';
import type { ExecContext, PodStatus } from '../state/types.js';

export interface PreStopTarget {
  container: Container;
  /** pidfd of the container's main process */
  pidfd: number;
  exec: ExecContext;
}

export interface PreStopOptions {
  host: Host;
  /** when the grace period ends (ms since the epoch) */
  deadline: number;
  status: PodStatus;
  podRef: string;
  explain: (line: string) => void;
  /** the hook failed: the kubelet's message */
  failed: (message: string) => void;
}

/** Run the container's preStop hook, if it has one, until it ends or the grace period is over. */
export async function runPreStop(t: PreStopTarget, o: PreStopOptions): Promise<void> {
  const handler = t.container.lifecycle?.preStop;
  const left = o.deadline - Date.now();
  if (!handler || left <= 0) return;
  o.explain(`${t.container.name}: running the preStop hook`);
  const failure = await runHandler(handler, {
    host: o.host,
    container: t.container,
    status: o.status,
    podRef: o.podRef,
    budgetMs: left,
    exec: { container: t.container.name, pidfd: t.pidfd, context: t.exec },
  });
  if (failure) o.failed(failure);
}
