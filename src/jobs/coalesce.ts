/**
 * Wraps a job so that a burst of triggers runs it at most once at a time and at most once every `minGapMs`,
 * always once more after the last trigger (so the newest state is never skipped). Used for snapshot rebuilds,
 * the live static export and the fan-out's look for due deliveries. The job must not throw.
 */
export interface Coalesced {
  /** Asks for a run; resolves when the run that covers this request has finished. */
  trigger(): Promise<void>;
  /** Resolves when nothing is running (for shutdown). */
  settled(): Promise<void>;
  readonly running: boolean;
}

export function coalesce(job: () => Promise<void>, minGapMs: number): Coalesced {
  let current: Promise<void> | null = null;
  let again = false;
  let lastStart = 0;
  return {
    trigger() {
      if (current) {
        again = true;
        return current;
      }
      current = (async () => {
        do {
          again = false;
          const wait = lastStart + minGapMs - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          lastStart = Date.now();
          await job();
        } while (again);
      })().finally(() => {
        current = null;
      });
      return current;
    },
    settled: () => current ?? Promise.resolve(),
    get running() {
      return current !== null;
    },
  };
}
