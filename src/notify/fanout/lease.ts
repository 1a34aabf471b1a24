import type { Db } from '../../store/db.ts';
import { extendLease, type DeliveryKey } from './store.ts';

/**
 * One claim's hold on a delivery row. The database sets the lease's end when the claim statement runs, which is
 * no earlier than when this process sent it (`heldFrom`), so until `leaseMs / 2` after that the row is still this
 * claim's without asking; later, `keep` asks the database (and extends). While a send is in progress the lease
 * is extended every third of it, so a send slower than the lease is never claimed a second time.
 */
export class Lease {
  readonly #db: Db;
  readonly #key: DeliveryKey;
  readonly #token: string;
  readonly #leaseMs: number;
  #heldFrom: number;
  #lost = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(db: Db, key: DeliveryKey, token: string, leaseMs: number, heldFrom: number) {
    this.#db = db;
    this.#key = key;
    this.#token = token;
    this.#leaseMs = leaseMs;
    this.#heldFrom = heldFrom;
  }

  /** True once the database said the row is no longer this claim's. */
  get lost(): boolean {
    return this.#lost;
  }

  /** Whether the row is still this claim's, extending the lease when half of it has passed. */
  async keep(): Promise<boolean> {
    if (this.#lost) return false;
    if (performance.now() - this.#heldFrom < this.#leaseMs / 2) return true;
    return this.#extend();
  }

  /** Keeps extending the lease until `letGo` (call it around a send). */
  holdWhileSending(log: (msg: string, err?: unknown) => void): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#lost) return;
      this.#extend().catch((err) => log(`fanout: extending the lease of ${this.#key.eventId}:${this.#key.subscriberId} failed`, err));
    }, Math.max(10, Math.floor(this.#leaseMs / 3)));
    this.#timer.unref();
  }

  letGo(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #extend(): Promise<boolean> {
    const asked = performance.now();
    const held = await extendLease(this.#db, this.#key, this.#token, this.#leaseMs);
    if (held) this.#heldFrom = Math.max(this.#heldFrom, asked);
    else this.#lost = true;
    return held;
  }
}
