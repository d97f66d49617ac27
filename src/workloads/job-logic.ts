/**
 * What the Job controller does next, decided from what its pods have done (pure: the controller in
 * job-controller.ts observes the pods and carries the decision out).
 *
 * The Job controller's rules, on one node:
 * - at most `parallelism` pods run at once, and no more than the completions still missing;
 * - with `completions`, the Job is Complete when that many pods succeeded; without it the pods are
 *   a work queue: once one has succeeded no new pod starts, and the Job is Complete when none runs;
 * - a failed pod is replaced, after a back-off (10 s, doubled per failure, at most 6 minutes),
 *   until more pods failed than `backoffLimit` allows: then the Job Failed, reason
 *   `BackoffLimitExceeded`, and its running pods are stopped. With `restartPolicy: OnFailure` the
 *   kubelet restarts the failing container in its pod instead, and those restarts count: the Job
 *   fails once they reach the limit (any restart with a limit of 0);
 * - `activeDeadlineSeconds` after the Job started, it Failed, reason `DeadlineExceeded`, its
 *   running pods stopped.
 */
import type { JobSpec } from '../manifest/index.js';

export interface JobPod {
  name: string;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  /** container restarts so far (OnFailure pods) */
  restarts: number;
  /** when it was seen Failed (ms), for the back-off */
  failedAt?: number;
}

export interface JobProgress {
  startedAt: number;
  pods: JobPod[];
  restartPolicy: 'OnFailure' | 'Never';
}

export type JobOutcome =
  | { type: 'Complete'; reason: 'CompletionsReached'; message: string }
  | { type: 'Failed'; reason: 'BackoffLimitExceeded' | 'DeadlineExceeded'; message: string };

export type JobDecision =
  | { action: 'create'; count: number }
  | { action: 'wait'; untilMs?: number }
  | { action: 'finish'; outcome: JobOutcome; stop: string[] };

export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_MAX_MS = 360_000;

export interface JobCounts {
  active: number;
  succeeded: number;
  failed: number;
}

export function counts(p: JobProgress): JobCounts {
  const n = (ph: JobPod['phase'][]) => p.pods.filter((x) => ph.includes(x.phase)).length;
  return { active: n(['Pending', 'Running']), succeeded: n(['Succeeded']), failed: n(['Failed']) };
}

/** The delay before the next pod after `failures` failures: 10 s, 20 s, 40 s... at most 6 min. */
export function backoffMs(failures: number): number {
  return failures <= 0 ? 0 : Math.min(BACKOFF_BASE_MS * 2 ** (failures - 1), BACKOFF_MAX_MS);
}

function restartsExceed(spec: JobSpec, p: JobProgress): boolean {
  if (p.restartPolicy !== 'OnFailure') return false;
  const restarts = p.pods
    .filter((x) => x.phase === 'Pending' || x.phase === 'Running')
    .reduce((s, x) => s + x.restarts, 0);
  return spec.backoffLimit === 0 ? restarts > 0 : restarts >= spec.backoffLimit;
}

const activeNames = (p: JobProgress) =>
  p.pods.filter((x) => x.phase === 'Pending' || x.phase === 'Running').map((x) => x.name);

/** The next step of the Job, at time `now` (ms). */
export function decide(spec: JobSpec, p: JobProgress, now: number): JobDecision {
  const c = counts(p);
  if (spec.activeDeadlineSeconds !== undefined && now - p.startedAt >= spec.activeDeadlineSeconds * 1000) {
    return {
      action: 'finish',
      outcome: { type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' },
      stop: activeNames(p),
    };
  }
  if (c.failed > spec.backoffLimit || restartsExceed(spec, p)) {
    return {
      action: 'finish',
      outcome: {
        type: 'Failed',
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit',
      },
      stop: activeNames(p),
    };
  }
  const done = spec.completions !== undefined ? c.succeeded >= spec.completions : c.succeeded > 0 && c.active === 0;
  if (done) {
    const of = spec.completions ?? c.succeeded;
    return {
      action: 'finish',
      outcome: {
        type: 'Complete',
        reason: 'CompletionsReached',
        message: `Reached expected number of succeeded pods (${c.succeeded}/${of})`,
      },
      stop: activeNames(p),
    };
  }
  // A work queue that has a success only waits for its running pods to end.
  const wanted =
    spec.completions !== undefined
      ? Math.min(spec.parallelism, spec.completions - c.succeeded)
      : c.succeeded > 0
        ? 0
        : spec.parallelism;
  const missing = wanted - c.active;
  if (missing <= 0) return { action: 'wait' };
  const lastFailure = Math.max(0, ...p.pods.map((x) => x.failedAt ?? 0));
  const until = lastFailure + backoffMs(c.failed);
  if (c.failed > 0 && now < until) return { action: 'wait', untilMs: until };
  return { action: 'create', count: missing };
}
