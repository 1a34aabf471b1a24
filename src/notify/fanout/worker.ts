import { randomBytes } from 'node:crypto';
import type { Db } from '../../store/db.ts';
import type { PageSnapshot } from '../../status/page/snapshot.ts';
import { retryDelayMs } from '../../jobs/retry.ts';
import { JobWorker, type JobHandler } from '../../jobs/worker.ts';
import { classifyThrown } from '../channels/http-outcome.ts';
import { RETRY_AFTER_CAP_MS } from '../channels/webhook-delivery.ts';
import type { DeliveryViews } from './incident-view.ts';
import { Lease } from './lease.ts';
import { MarkBatcher } from './mark-batcher.ts';
import { claimDue, defer, markDone, markFailed, markRetry, release, type ClaimedDelivery, type DeliveryKey } from './store.ts';
import { TokenBucket } from './token-bucket.ts';
import type { Channel, ChannelSender, Delivery, DeliveryOutcome } from './types.ts';

export interface WorkerOptions {
  /** This process's name on the rows it holds (for people reading the table; claims are told apart by token). */
  owner: string;
  leaseMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** A row whose update cannot be rendered yet is looked at again this much later, no attempt counted… */
  notReadyDelayMs: number;
  /** …at most this many times; then it is failed. */
  maxDeferrals: number;
  snapshot: () => PageSnapshot | null;
  /** Renders updates on incidents the snapshot does not hold (shared by the channels: one read per event). */
  views: DeliveryViews;
  refreshSnapshot: () => Promise<void>;
  log: (msg: string, err?: unknown) => void;
}

/** A claimed row and when its claim was sent (the lease runs from no earlier than that). */
type ClaimedJob = ClaimedDelivery & { claimedFrom: number };

const keyOf = (row: ClaimedDelivery): DeliveryKey => ({ eventId: row.event.id, subscriberId: row.subscriber.id });

/**
 * Sends one channel's due deliveries: claims only as many rows as it has free send slots (at most `concurrency`
 * sends at a time, `perSecond` per second), each claim under a lease with its own token, and records each outcome
 * right after its attempt. Right before a send the lease is confirmed (and extended when half gone), and while a
 * send is in progress it keeps being extended: a slow send is never claimed again while this process is alive.
 * A send slot is held until the row is marked sent, so at any moment at most `concurrency` messages are out
 * without being recorded: a crash repeats at most that many, with the same idempotency key. The claiming loop,
 * slots, draining and stopping are the job mechanism's (src/jobs/worker.ts).
 */
export class ChannelWorker implements JobHandler<ClaimedJob> {
  readonly #db: Db;
  readonly #sender: ChannelSender;
  readonly #opts: WorkerOptions;
  readonly #maxAttempts: number;
  readonly #bucket: TokenBucket;
  readonly #sentMarks: MarkBatcher;
  readonly #skipMarks: MarkBatcher;
  readonly #jobs: JobWorker<ClaimedJob>;
  /** Sent, but the mark could not be written (database trouble): written before claiming more. */
  readonly #unrecorded = new Map<string, DeliveryKey>();
  #stopped = false;

  constructor(db: Db, sender: ChannelSender, opts: WorkerOptions) {
    this.#db = db;
    this.#sender = sender;
    this.#opts = opts;
    this.#maxAttempts = Math.max(1, sender.maxAttempts ?? opts.maxAttempts);
    this.#bucket = new TokenBucket(sender.perSecond);
    this.#sentMarks = new MarkBatcher((keys) => markDone(db, keys, 'sent'));
    this.#skipMarks = new MarkBatcher((keys) => markDone(db, keys, 'skipped'));
    // No poll or LISTEN of its own: the fan-out's sweeper wakes every channel worker on its wakes and polls.
    this.#jobs = new JobWorker(db, this, {
      queue: `fanout ${sender.channel}`, concurrency: sender.concurrency, pollMs: 0, log: opts.log,
      claimFailedMessage: `fanout ${sender.channel}: cannot claim deliveries; will retry`,
    }).start();
  }

  get channel(): Channel {
    return this.#sender.channel;
  }

  kick(): void {
    this.#jobs.kick();
  }

  /** Sends everything due now (also what becomes due meanwhile) and waits for it to be recorded. */
  async drain(): Promise<void> {
    await this.#jobs.drain();
  }

  /** Stops claiming, waits for sends in flight and their marks; rows claimed but not yet sent are given back. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#jobs.stop();
  }

  async afterStop(): Promise<void> {
    await this.beforeClaim().catch(() => undefined);
    if (this.#unrecorded.size > 0) {
      this.#opts.log(`fanout ${this.channel}: ${this.#unrecorded.size} sent deliveries could not be marked sent; they will be sent again after the lease`);
    }
  }

  /** No rows wait in memory under a lease: only as many are claimed as there are free slots. */
  async claim(limit: number): Promise<ClaimedJob[]> {
    const token = randomBytes(12).toString('base64url');
    const claimedFrom = performance.now();
    const rows = await claimDue(this.#db, this.#sender.channel, limit, this.#opts.leaseMs, this.#opts.owner, token);
    return rows.map((row) => ({ ...row, claimedFrom }));
  }

  run(job: ClaimedJob): Promise<void> {
    return job.active ? this.#deliver(job, job.claimedFrom) : this.#skip(job);
  }

  async #skip(row: ClaimedDelivery): Promise<void> {
    await this.#skipMarks.mark(keyOf(row));
  }

  async #deliver(row: ClaimedDelivery, claimedFrom: number): Promise<void> {
    const key = keyOf(row);
    const name = `${key.eventId}:${key.subscriberId}`;
    const lease = new Lease(this.#db, key, row.token, this.#opts.leaseMs, claimedFrom);
    const snapshot = await this.#view(row);
    if (snapshot === 'gone') return this.#skip(row);
    if (snapshot === null) return this.#notReady(row, key);
    await this.#bucket.take();
    if (this.#stopped) return release(this.#db, key, row.token);
    if (!(await lease.keep())) {
      this.#opts.log(`fanout ${this.channel}: ${name} was taken by another worker before it was sent; left to it`);
      return;
    }
    const delivery: Delivery = {
      event: row.event,
      subscriber: row.subscriber,
      attempt: row.attempts,
      idempotencyKey: name,
      snapshot,
      keepLease: () => lease.keep(),
    };
    let outcome: DeliveryOutcome;
    lease.holdWhileSending(this.#opts.log);
    try {
      outcome = await this.#sender.send(delivery);
    } catch (err) {
      outcome = classifyThrown(err);
    } finally {
      lease.letGo();
    }
    if (lease.lost) {
      this.#opts.log(`fanout ${this.channel}: ${name} was taken by another worker during the send; its outcome (${outcome.kind}) is left to it`);
      return;
    }
    await this.#record(row, key, outcome);
    if (this.#sender.afterAttempt) {
      await this.#sender.afterAttempt(delivery, outcome).catch((err) => this.#opts.log(`fanout ${this.channel}: after-attempt hook failed`, err));
    }
  }

  async #record(row: ClaimedDelivery, key: DeliveryKey, outcome: DeliveryOutcome): Promise<void> {
    switch (outcome.kind) {
      case 'delivered':
        try {
          await this.#sentMarks.mark(key);
        } catch (err) {
          this.#unrecorded.set(`${key.eventId}:${key.subscriberId}`, key);
          this.#opts.log(`fanout ${this.channel}: sent ${key.eventId}:${key.subscriberId}, but marking it sent failed; will retry`, err);
        }
        return;
      case 'skip':
        return this.#skip(row);
      case 'failed':
        return markFailed(this.#db, key, row.token, outcome.detail);
      case 'retry': {
        const detail = outcome.status === null ? outcome.detail : `${outcome.status} ${outcome.detail}`;
        if (row.attempts >= this.#maxAttempts) {
          this.#opts.log(`fanout ${this.channel}: giving up on ${key.eventId}:${key.subscriberId} after ${row.attempts} attempts: ${detail}`);
          return markFailed(this.#db, key, row.token, detail);
        }
        const backoff = retryDelayMs(row.attempts, this.#opts.retryBaseMs, this.#opts.retryMaxMs);
        const asked = outcome.retryAfterMs === null ? 0 : Math.min(outcome.retryAfterMs, RETRY_AFTER_CAP_MS);
        return markRetry(this.#db, key, row.token, Math.max(backoff, asked), detail);
      }
    }
  }

  /** The page to render the delivery from; 'gone' when its update is no longer deliverable, null when not now. */
  async #view(row: ClaimedDelivery): Promise<PageSnapshot | 'gone' | null> {
    const snapshot = this.#opts.snapshot();
    if (!snapshot) {
      this.#opts.refreshSnapshot().catch(() => undefined);
      return null;
    }
    return this.#opts.views.viewFor(snapshot, row.event).catch((err) => {
      this.#opts.log(`fanout ${this.channel}: cannot read the incident of ${row.event.id}`, err);
      return null;
    });
  }

  /** Gives the row back for a later look, without counting an attempt; fails it after too many looks. */
  async #notReady(row: ClaimedDelivery, key: DeliveryKey): Promise<void> {
    if (row.deferrals + 1 < this.#opts.maxDeferrals) return defer(this.#db, key, row.token, this.#opts.notReadyDelayMs, null);
    const error = `the update could not be rendered (no page loaded, or its incident not readable) after ${row.deferrals + 1} looks`;
    this.#opts.log(`fanout ${this.channel}: giving up on ${key.eventId}:${key.subscriberId}: ${error}`);
    return defer(this.#db, key, row.token, 0, error);
  }

  /** Writes the marks the database refused earlier. */
  async beforeClaim(): Promise<void> {
    if (this.#unrecorded.size === 0) return;
    const keys = [...this.#unrecorded.values()];
    await markDone(this.#db, keys, 'sent');
    for (const k of keys) this.#unrecorded.delete(`${k.eventId}:${k.subscriberId}`);
  }
}
