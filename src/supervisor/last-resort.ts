/**
 * The last resort of a process that supervises a pod (a foreground `tspod run`, the detached
 * supervisor). An exception nobody caught, or a rejected promise nobody handled, would otherwise
 * end the process with a stack trace and leave the pod running unsupervised (Orphaned) until
 * `tspod gc`. Here such an error is reported, the pod is stopped at once and torn down (by the
 * supervisor, or from its ledger if the supervisor cannot: RunningPod.abort), and the process
 * ends with status 125. Errors that come while that is under way are reported and change nothing.
 */
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
