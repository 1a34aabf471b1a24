/**
 * Failures per key (an account's address, a client address) with a lock-out that doubles each time it trips:
 * `limit` failures → wait `baseMs`; the next `limit` → 2 × baseMs; … up to `maxMs`. A success clears the key.
 * In memory and bounded, like the staff rate limiter: each process keeps its own count.
 */
export class BackOff {
  private readonly entries = new Map<string, { failures: number; lockouts: number; until: number; lastAt: number }>();
  static readonly MAX_KEYS = 100_000;

  constructor(
    private readonly limit: number,
    private readonly baseMs: number,
    private readonly maxMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds still to wait (0: go ahead). */
  waitMs(key: string): number {
    const entry = this.entries.get(key);
    return entry ? Math.max(0, entry.until - this.now()) : 0;
  }

  fail(key: string): void {
    const now = this.now();
    let entry = this.entries.get(key);
    // A key quiet for a day starts over.
    if (entry && now - entry.lastAt > 86_400_000) entry = undefined;
    if (!entry) {
      if (this.entries.size >= BackOff.MAX_KEYS) this.evictOldest();
      entry = { failures: 0, lockouts: 0, until: 0, lastAt: now };
      this.entries.set(key, entry);
    }
    entry.lastAt = now;
    entry.failures++;
    if (entry.failures >= this.limit) {
      entry.failures = 0;
      entry.lockouts++;
      entry.until = now + Math.min(this.maxMs, this.baseMs * 2 ** (entry.lockouts - 1));
    }
  }

  succeed(key: string): void {
    this.entries.delete(key);
  }

  private evictOldest(): void {
    let excess = this.entries.size - Math.floor(BackOff.MAX_KEYS * 0.9);
    for (const key of this.entries.keys()) {
      if (excess-- <= 0) break;
      this.entries.delete(key);
    }
  }
}
