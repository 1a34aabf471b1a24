/** The delay before retry number `attempts` (1 = after the first failure): doubling from `baseMs`, ±20 % jitter, capped. */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  return Math.round(Math.min(maxMs, exp * (0.8 + 0.4 * random())));
}

export interface RetryPolicy {
  /** Attempts before a job is marked failed; Infinity: retried until it succeeds (a promise that must be kept). */
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

/**
 * What to do after attempt number `attempts` failed: try again after a back-off, or — that was the last
 * attempt — mark the job failed, with its error, for a person to see (never silently dropped).
 */
export function afterFailure(attempts: number, policy: RetryPolicy, atLeastMs = 0): { retryInMs: number } | { fail: true } {
  if (attempts >= policy.maxAttempts) return { fail: true };
  return { retryInMs: Math.max(atLeastMs, retryDelayMs(attempts, policy.backoffBaseMs, policy.backoffMaxMs)) };
}
