/**
 * The last resort of a process that supervises a pod (a foreground `tspod run`, the detached
 * supervisor). An exception nobody caught, or a rejected promise nobody handled, would otherwise
 * end the process with a stack trace and leave the pod running unsupervised (Orphaned) until
 * `tspod gc`. Here such an error is reported, the pod is stopped at once and torn down (by the
 * supervisor, or from its ledger if the supervisor cannot: RunningPod.abort), and the process
 * ends with status 125. Errors that come while that is under way are reported and change nothing.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { EventEmitter } from 'node:events';
import type { RunningPod } from './run-pod.js';

export const ABORT_STATUS = 125;

export interface LastResortOptions {
  warn: (line: string) => void;
  /** how the process ends once the pod is gone */
  exit: (status: number) => void;
  /** where uncaught errors are reported (the process; a test passes its own emitter) */
  on?: EventEmitter;
}

/** Guard `running` until it is done; returns the function that removes the guard. */
export function guardPod(running: RunningPod, o: LastResortOptions): () => void {
  const target = o.on ?? process;
  let aborting = false;
  const handler = (err: unknown) => {
    if (aborting) {
      o.warn(`while stopping the pod after a failure: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    aborting = true;
    void running.abort(err).finally(() => o.exit(ABORT_STATUS));
  };
  target.on('uncaughtException', handler);
  target.on('unhandledRejection', handler);
  return () => {
    target.off('uncaughtException', handler);
    target.off('unhandledRejection', handler);
  };
}

/**
 * The one supervisor of many pods (host.ts) has one process and many pods: an error nobody caught
 * must end only the pod whose code threw it. Each pod runs in an AsyncLocalStorage context of its
 * own (`PodContext`): Node keeps that context across timers, I/O callbacks and promise chains,
 * and gives it to the 'uncaughtException' and 'unhandledRejection' handlers (an exception is
 * handled in the context of the callback that threw; a rejection in that of the promise). The
 * handler here hands the error to that pod (`fail`: its RunningPod.abort, the pod torn down from
 * its ledger if need be) and the process goes on with the other pods. An error outside any pod's
 * context (the supervisor's own machinery) is reported and handed to `stray`.
 */
export interface PodContext {
  name: string;
  /** the pod's last resort: stop it and tear it down (repeated errors change nothing) */
  fail(err: unknown): void;
}

export interface PodGuardOptions {
  warn: (line: string) => void;
  /** an error of no pod's */
  stray: (err: unknown) => void;
  on?: EventEmitter;
}

/** Install the per-pod last resort; returns the function that removes it. */
export function guardPods(storage: AsyncLocalStorage<PodContext>, o: PodGuardOptions): () => void {
  const target = o.on ?? process;
  const handler = (err: unknown) => {
    const pod = storage.getStore();
    if (!pod) {
      o.stray(err);
      return;
    }
    o.warn(
      `pod "${pod.name}": an error nobody caught: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    pod.fail(err);
  };
  target.on('uncaughtException', handler);
  target.on('unhandledRejection', handler);
  return () => {
    target.off('uncaughtException', handler);
    target.off('unhandledRejection', handler);
  };
}
