import type { Db } from '../store/db.ts';
import { onWake } from './wake.ts';

/**
 * What a queue gives the worker. The queue's table holds the jobs durably; the worker only decides when to
 * claim and how many at once.
 */
export interface JobHandler<J> {
  /**
   * Claims up to `limit` due jobs, each under a lease (`FOR UPDATE SKIP LOCKED` and a lease end written in the
   * same statement): no two workers hold a job at once, and a job whose worker died is claimed again after the
   * lease. An error (the database away) is logged once per outage and retried at the next wake or poll.
   */
  claim(limit: number): Promise<J[]>;
  /**
   * Does one claimed job and records its outcome: done, retry later (back-off), or failed after the last
   * attempt. A throw is logged; the job's lease runs out and it is claimed again.
   */
  run(job: J): Promise<void>;
  /**
   * Whether to look for more jobs once this one is done (default yes). A claim that knows it took everything due
   * (the fan-out's expansion round) says no, and saves an empty claim; a wake during the job still counts.
   */
  claimAgain?(job: J): boolean;
  /** Before each round of claims and at the end of `drain` (e.g. marks the database refused earlier). */
  beforeClaim?(): Promise<void>;
  /** After `stop` has waited for the jobs in flight. */
  afterStop?(): Promise<void>;
}

export interface JobWorkerOptions {
  /** The queue's name: `wakeAfterCommit(tx, queue)` wakes this worker; also the logs' prefix. */
  queue: string;
  /** NOTIFY channel that other processes' queueing sends (LISTEN); absent: wakes and polls only. */
  channel?: string;
  /** Jobs in flight at most; a claim takes only as many as there are free slots. */
  concurrency: number;
  /** The safety net: look for due jobs this often (retries, missed notifications, leases run out). 0: never. */
  pollMs: number;
  log: (msg: string, err?: unknown) => void;
  /**
   * Called on every wake, notification and poll (a queue that feeds other workers wakes them too), with the
   * NOTIFY's payload when a notification woke it.
   */
  onWake?: (payload?: string) => void;
  /** Logged once per outage when claiming fails. Default `<queue>: cannot claim jobs; will retry`. */
  claimFailedMessage?: string;
}

/**
 * The one durable job loop: claims due work when woken (after the commit that queued it), on NOTIFY and on a
 * poll, runs at most `concurrency` jobs at a time, and never throws out of its loop.
 */
export class JobWorker<J> {
  readonly #db: Db;
  readonly #handler: JobHandler<J>;
  readonly #opts: JobWorkerOptions;
  readonly #inFlight = new Map<Promise<void>, number>();
  #pumping: Promise<void> | null = null;
  #pumpAgain = false;
  /** Kicks so far: a job that ends claims again if any came while it ran. */
  #kicks = 0;
  #claimed = 0;
  #claimErrors = 0;
  #lastClaimError: unknown = null;
  #dbDown = false;
  #timer: NodeJS.Timeout | null = null;
  #unwake: (() => void) | null = null;
  #unlisten: (() => Promise<void>) | null = null;
  #listening: Promise<void> | null = null;
  #listenWarned = false;
  #startedAt: number | null = null;
  #lastRoundAt: number | null = null;
  #stopped = false;

  constructor(db: Db, handler: JobHandler<J>, opts: JobWorkerOptions) {
    this.#db = db;
    this.#handler = handler;
    this.#opts = { ...opts, concurrency: Math.max(1, Math.floor(opts.concurrency)) };
  }

  get queue(): string {
    return this.#opts.queue;
  }

  /** Jobs claimed so far (by this worker). */
  get claimed(): number {
    return this.#claimed;
  }

  /** Registers for wakes, listens, starts polling, and looks for due jobs. */
  start(): this {
    if (this.#startedAt !== null || this.#stopped) return this;
    this.#startedAt = Date.now();
    this.#unwake = onWake(this.#opts.queue, () => this.wake());
    if (this.#opts.pollMs > 0) {
      this.#timer = setInterval(() => {
        this.#subscribe();
        this.wake();
      }, this.#opts.pollMs);
      this.#timer.unref();
    }
    this.#subscribe();
    this.wake();
    return this;
  }

  /** A wake: this worker looks for due jobs, and what `onWake` feeds does too. */
  wake(payload?: string): void {
    if (this.#stopped) return;
    this.#opts.onWake?.(payload);
    this.kick();
  }

  /** Looks for due jobs now. */
  kick(): void {
    if (this.#stopped) return;
    this.#kicks++;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = null;
      if (this.#pumpAgain && !this.#stopped) this.kick();
    });
  }

  /**
   * Runs everything due now and waits for it, also jobs that become due meanwhile; a job waiting for a later
   * retry is left. Resolves with how many jobs were claimed; rejects when the database could not be read.
   */
  async drain(): Promise<number> {
    const start = this.#claimed;
    for (;;) {
      const claimedBefore = this.#claimed;
      const errorsBefore = this.#claimErrors;
      this.kick();
      await this.#quiet();
      if (this.#claimErrors !== errorsBefore) throw this.#lastClaimError;
      if (this.#claimed === claimedBefore || this.#stopped) break;
    }
    if (!this.#stopped) await this.#handler.beforeClaim?.();
    return this.#claimed - start;
  }

  /** Stops claiming, waits for the jobs in flight (they record their outcome), then the handler's `afterStop`. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#unwake?.();
    if (this.#listening) await this.#listening;
    const unlisten = this.#unlisten;
    this.#unlisten = null;
    await unlisten?.().catch(() => undefined);
    await this.#quiet();
    await this.#handler.afterStop?.();
  }

  /**
   * For readiness: started and not stopped, a round of claims finished within `withinMs` (or it started less
   * than that ago), and no job has been running for longer than that. Wall-clock time on purpose.
   */
  healthy(withinMs: number): boolean {
    if (this.#startedAt === null || this.#stopped) return false;
    const now = Date.now();
    if (now - (this.#lastRoundAt ?? this.#startedAt) > withinMs) return false;
    for (const startedAt of this.#inFlight.values()) if (now - startedAt > withinMs) return false;
    return true;
  }

  async #quiet(): Promise<void> {
    while (this.#pumping || this.#inFlight.size > 0) {
      if (this.#pumping) await this.#pumping;
      else await Promise.all(this.#inFlight.keys());
    }
  }

  #subscribe(): void {
    const channel = this.#opts.channel;
    if (!channel || this.#listening || this.#unlisten || this.#stopped) return;
    this.#listening = this.#db
      .listen(channel, (payload) => this.wake(payload))
      .then(async (unlisten) => {
        if (this.#stopped) await unlisten().catch(() => undefined);
        else this.#unlisten = unlisten;
      })
      .catch((err) => {
        if (!this.#listenWarned) this.#opts.log(`${this.#opts.queue}: cannot listen for ${channel}, polling only for now`, err);
        this.#listenWarned = true;
      })
      .finally(() => {
        this.#listening = null;
      });
  }

  /** Claims due jobs while there is room, and starts them. Never throws. */
  async #pump(): Promise<void> {
    do {
      this.#pumpAgain = false;
      try {
        await this.#handler.beforeClaim?.();
        while (!this.#stopped && this.#inFlight.size < this.#opts.concurrency) {
          const room = this.#opts.concurrency - this.#inFlight.size;
          const jobs = await this.#handler.claim(room);
          if (this.#dbDown) this.#opts.log(`${this.#opts.queue}: database reachable again`);
          this.#dbDown = false;
          this.#claimed += jobs.length;
          for (const job of jobs) this.#track(() => this.#handler.run(job), this.#handler.claimAgain?.(job) ?? true);
          if (jobs.length < room) break;
        }
        this.#lastRoundAt = Date.now();
      } catch (err) {
        this.#claimErrors++;
        this.#lastClaimError = err;
        // Logged once per outage, not once per poll.
        if (!this.#dbDown) this.#opts.log(this.#opts.claimFailedMessage ?? `${this.#opts.queue}: cannot claim jobs; will retry`, err);
        this.#dbDown = true;
        return;
      }
    } while (this.#pumpAgain && !this.#stopped);
  }

  #track(start: () => Promise<void>, again = true): void {
    // Counted before the job starts: a wake from the job's own first, synchronous steps must count too.
    const kicksBefore = this.#kicks;
    const tracked: Promise<void> = start()
      .catch((err) => this.#opts.log(`${this.#opts.queue}: a job failed unrecorded; claimed again after its lease`, err))
      .finally(() => {
        this.#inFlight.delete(tracked);
        if (again || this.#kicks !== kicksBefore) this.kick();
      });
    this.#inFlight.set(tracked, Date.now());
  }
}
