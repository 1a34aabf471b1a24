/**
 * A fixed-window counter per key (an IP, an email). In memory: each process limits on its own, which still
 * bounds guessing to (processes × limit) per window; a shared limiter belongs with the job queue later.
 */
export class RateLimiter {
  private readonly hits = new Map<string, { count: number; resetAt: number }>();
  private nextSweepAt = 0;
  /** Keys kept at most: in a surge of distinct keys (one per email address) memory and time stay bounded. */
  static readonly MAX_KEYS = 100_000;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one attempt; false when the key is over its limit for this window. */
  take(key: string): boolean {
    const now = this.now();
    if (this.hits.size > RateLimiter.MAX_KEYS) {
      if (now >= this.nextSweepAt) this.sweep(now);
      else if (this.hits.size > RateLimiter.MAX_KEYS * 1.2) this.evictOldest();
    }
    const entry = this.hits.get(key);
    if (!entry || entry.resetAt <= now) {
      this.hits.set(key, { count: 1, resetAt: now + this.windowMs });
      return true;
    }
    entry.count++;
    return entry.count <= this.limit;
  }

  /** Whether the key is already over its limit, without counting an attempt. */
  isOver(key: string): boolean {
    const entry = this.hits.get(key);
    return entry !== undefined && entry.resetAt > this.now() && entry.count >= this.limit;
  }

  reset(key: string): void {
    this.hits.delete(key);
  }

  /**
   * Drops expired keys, then (if still too many) the oldest ones — forgetting a key only lets it start a new
   * window early. Runs at most every tenth of a window, so a full map never costs a scan per request.
   */
  private sweep(now: number): void {
    this.nextSweepAt = now + Math.max(1000, this.windowMs / 10);
    for (const [key, entry] of this.hits) if (entry.resetAt <= now) this.hits.delete(key);
    this.evictOldest();
  }

  /** Oldest first (a Map iterates in insertion order); costs only the keys dropped. */
  private evictOldest(): void {
    let excess = this.hits.size - Math.floor(RateLimiter.MAX_KEYS * 0.9);
    for (const key of this.hits.keys()) {
      if (excess-- <= 0) break;
      this.hits.delete(key);
    }
  }
}
