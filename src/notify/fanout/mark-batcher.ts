import type { DeliveryKey } from './store.ts';

/**
 * Group commit for "sent" marks: while one UPDATE is running, marks that arrive wait and go together in the next
 * one. Each caller's promise settles when its own row is written (or the write failed), so a worker holds its
 * send slot until the row says sent — which is what bounds the duplicates after a crash by the concurrency.
 */
export class MarkBatcher {
  #waiting: { key: DeliveryKey; resolve: () => void; reject: (err: unknown) => void }[] = [];
  #flushing = false;

  constructor(
    private readonly write: (keys: DeliveryKey[]) => Promise<void>,
    private readonly maxBatch = 500,
  ) {}

  mark(key: DeliveryKey): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ key, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#waiting.length > 0) {
        const batch = this.#waiting.splice(0, this.maxBatch);
        try {
          await this.write(batch.map((w) => w.key));
          for (const w of batch) w.resolve();
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }
}
