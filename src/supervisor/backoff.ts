/**
 * The kubelet's restart back-off (KUBERNETES-FACTS.md): a container that keeps failing waits 10 s
 * before its next start, then 20 s, 40 s... up to 300 s; a run of 10 minutes resets it. Meanwhile
 * its state is `waiting` with reason `CrashLoopBackOff`. The base can be lowered for tests with
 * TSPOD_BACKOFF_BASE_MS (the cap scales with it); the default is untouched.
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  resetAfterMs: number;
}

export function backoffPolicy(env = process.env): BackoffPolicy {
  const base = Number(env.TSPOD_BACKOFF_BASE_MS ?? '10000');
  const baseMs = Number.isFinite(base) && base >= 0 ? base : 10_000;
  return { baseMs, capMs: baseMs * 30, resetAfterMs: 10 * 60 * 1000 };
}

/**
 * Delay before the next start, given how many back-offs came before since the last reset and how
 * long the instance that just ended ran.
 */
export function nextDelay(
  policy: BackoffPolicy,
  previousBackoffs: number,
  ranMs: number,
): { delayMs: number; backoffs: number } {
  const n = ranMs >= policy.resetAfterMs ? 0 : previousBackoffs;
  return { delayMs: Math.min(policy.baseMs * 2 ** n, policy.capMs), backoffs: n + 1 };
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

/** Does this exit call for another start? */
export function shouldRestart(policy: RestartPolicy, exitCode: number): boolean {
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
}
