/**
 * A channel's rate limit: at most `perSecond` sends per second on average, with bursts of up to one second's
 * worth. A rate of 0 (or not finite) means no limit.
 */
export class TokenBucket {
  readonly #perSecond: number;
  readonly #capacity: number;
  #tokens: number;
  #refilledAt: number;

  constructor(perSecond: number, private readonly now: () => number = () => performance.now()) {
    this.#perSecond = Number.isFinite(perSecond) && perSecond > 0 ? perSecond : 0;
    this.#capacity = Math.max(1, this.#perSecond);
    this.#tokens = this.#capacity;
    this.#refilledAt = now();
  }

  /** Resolves when a send may start (at once when a token is there). */
  async take(): Promise<void> {
    if (this.#perSecond === 0) return;
    for (;;) {
      const t = this.now();
      this.#tokens = Math.min(this.#capacity, this.#tokens + ((t - this.#refilledAt) / 1000) * this.#perSecond);
      this.#refilledAt = t;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      const waitMs = Math.ceil(((1 - this.#tokens) / this.#perSecond) * 1000);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}
