import type { Db } from '../../store/db.ts';
import type { PageSnapshot } from '../../public/snapshot.ts';
import { retryDelayMs } from '../../mail/outbox.ts';
import { classifyThrown } from '../channels/http-outcome.ts';
import { RETRY_AFTER_CAP_MS } from '../channels/webhook-delivery.ts';
import { MarkBatcher } from './mark-batcher.ts';
import { claimDue, markDone, markFailed, markRetry, release, updateDeliverable, type ClaimedDelivery, type DeliveryKey } from './store.ts';
import { TokenBucket } from './token-bucket.ts';
import type { ChannelSender, Delivery, DeliveryOutcome, NotificationEvent } from './types.ts';

export interface WorkerOptions {
  /** This process's name on the rows it holds. */
  owner: string;
  leaseMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Rows claimed per query; they wait in this process under their lease until a send slot is free. */
  claimBatch: number;
  snapshot: () => PageSnapshot | null;
  refreshSnapshot: () => Promise<void>;
  log: (msg: string, err?: unknown) => void;
}

/** The page did not show the update yet (a reload in flight): look again this much later, no attempt counted. */
const NOT_READY_DELAY_MS = 2_000;

const keyOf = (row: ClaimedDelivery): DeliveryKey => ({ eventId: row.event.id, subscriberId: row.subscriber.id });

/**
 * Sends one channel's due deliveries: claims rows under a lease, at most `concurrency` sends at a time and
 * `perSecond` per second, and records each outcome right after its attempt. A send slot is held until the
 * row is marked sent, so at any moment at most `concurrency` messages are out without being recorded: a crash
 * repeats at most that many, with the same idempotency key.
 */
export class ChannelWorker {
  readonly #db: Db;
  readonly #sender: ChannelSender;
  readonly #opts: WorkerOptions;
  readonly #concurrency: number;
  readonly #maxAttempts: number;
  readonly #bucket: TokenBucket;
  readonly #sentMarks: MarkBatcher;
  readonly #skipMarks: MarkBatcher;
  readonly #queue: ClaimedDelivery[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  /** Sent, but the mark could not be written (database trouble): written before claiming more. */
  readonly #unrecorded = new Map<string, DeliveryKey>();
  #pumping: Promise<void> | null = null;
  #pumpAgain = false;
  #claimed = 0;
  #claimErrors = 0;
  #lastClaimError: unknown = null;
  #dbDown = false;
  #stopped = false;

  constructor(db: Db, sender: ChannelSender, opts: WorkerOptions) {
    this.#db = db;
    this.#sender = sender;
    this.#opts = opts;
    this.#concurrency = Math.max(1, Math.floor(sender.concurrency));
    this.#maxAttempts = Math.max(1, sender.maxAttempts ?? opts.maxAttempts);
    this.#bucket = new TokenBucket(sender.perSecond);
    this.#sentMarks = new MarkBatcher((keys) => markDone(db, keys, 'sent'));
    this.#skipMarks = new MarkBatcher((keys) => markDone(db, keys, 'skipped'));
  }

  get channel(): string {
    return this.#sender.channel;
  }

  kick(): void {
    if (this.#stopped) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = null;
      if (this.#pumpAgain && !this.#stopped) this.kick();
    });
  }

  /** Sends everything due now (also what becomes due meanwhile) and waits for it to be recorded. */
  async drain(): Promise<void> {
    for (;;) {
      const claimedBefore = this.#claimed;
      const errorsBefore = this.#claimErrors;
      this.kick();
      await this.#quiet();
      if (this.#claimErrors !== errorsBefore) throw this.#lastClaimError;
      if ((this.#claimed === claimedBefore && this.#queue.length === 0) || this.#stopped) return;
    }
  }

  /** Stops claiming, waits for sends in flight and their marks, and gives back rows claimed but not sent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#quiet();
    const unsent = this.#queue.splice(0).map(keyOf);
    await release(this.#db, unsent, this.#opts.owner).catch((err) => this.#opts.log(`fanout ${this.channel}: giving back ${unsent.length} claimed rows failed; their lease will run out`, err));
    await this.#flushUnrecorded().catch(() => undefined);
    if (this.#unrecorded.size > 0) {
      this.#opts.log(`fanout ${this.channel}: ${this.#unrecorded.size} sent deliveries could not be marked sent; they will be sent again after the lease`);
    }
  }

  async #quiet(): Promise<void> {
    while (this.#pumping || this.#inFlight.size > 0) {
      if (this.#pumping) await this.#pumping;
      else await Promise.all(this.#inFlight);
    }
  }

  async #pump(): Promise<void> {
    do {
      this.#pumpAgain = false;
      try {
        await this.#flushUnrecorded();
        while (!this.#stopped && this.#inFlight.size < this.#concurrency) {
          const row = this.#queue.shift();
          if (!row) {
            const rows = await claimDue(this.#db, this.#sender.channel, this.#opts.claimBatch, this.#opts.leaseMs, this.#opts.owner);
            if (this.#dbDown) this.#opts.log(`fanout ${this.channel}: database reachable again`);
            this.#dbDown = false;
            this.#claimed += rows.length;
            if (rows.length === 0) break;
            this.#queue.push(...rows);
            continue;
          }
          if (!row.active) {
            this.#track(this.#skip(row));
            continue;
          }
          await this.#bucket.take();
          this.#track(this.#deliver(row));
        }
      } catch (err) {
        this.#claimErrors++;
        this.#lastClaimError = err;
        if (!this.#dbDown) this.#opts.log(`fanout ${this.channel}: cannot claim deliveries; will retry`, err);
        this.#dbDown = true;
        return;
      }
    } while (this.#pumpAgain && !this.#stopped);
  }

  #track(p: Promise<void>): void {
    const tracked = p
      .catch((err) => this.#opts.log(`fanout ${this.channel}: recording a delivery failed; its lease will run out`, err))
      .finally(() => {
        this.#inFlight.delete(tracked);
        this.kick();
      });
    this.#inFlight.add(tracked);
  }

  async #skip(row: ClaimedDelivery): Promise<void> {
    await this.#skipMarks.mark(keyOf(row));
  }

  async #deliver(row: ClaimedDelivery): Promise<void> {
    const key = keyOf(row);
    const snapshot = await this.#readySnapshot(row.event);
    if (snapshot === 'gone') return this.#skip(row);
    if (snapshot === null) return release(this.#db, [key], this.#opts.owner, NOT_READY_DELAY_MS);
    const delivery: Delivery = {
      event: row.event,
      subscriber: row.subscriber,
      attempt: row.attempts,
      idempotencyKey: `${key.eventId}:${key.subscriberId}`,
      snapshot,
    };
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.#sender.send(delivery);
    } catch (err) {
      outcome = classifyThrown(err);
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
        return markFailed(this.#db, key, this.#opts.owner, outcome.detail);
      case 'retry': {
        const detail = outcome.status === null ? outcome.detail : `${outcome.status} ${outcome.detail}`;
        if (row.attempts >= this.#maxAttempts) {
          this.#opts.log(`fanout ${this.channel}: giving up on ${key.eventId}:${key.subscriberId} after ${row.attempts} attempts: ${detail}`);
          return markFailed(this.#db, key, this.#opts.owner, detail);
        }
        const backoff = retryDelayMs(row.attempts, this.#opts.retryBaseMs, this.#opts.retryMaxMs);
        const asked = outcome.retryAfterMs === null ? 0 : Math.min(outcome.retryAfterMs, RETRY_AFTER_CAP_MS);
        return markRetry(this.#db, key, this.#opts.owner, Math.max(backoff, asked), detail);
      }
    }
  }

  /** The page snapshot once it shows the event's update; 'gone' when the update is no longer deliverable. */
  async #readySnapshot(event: NotificationEvent): Promise<PageSnapshot | 'gone' | null> {
    let snapshot = this.#opts.snapshot();
    if (snapshot && holds(snapshot, event)) return snapshot;
    await this.#opts.refreshSnapshot().catch(() => undefined);
    snapshot = this.#opts.snapshot();
    if (snapshot && holds(snapshot, event)) return snapshot;
    if (event.kind === 'incident_update' && !(await updateDeliverable(this.#db, event.updateId))) return 'gone';
    return null;
  }

  async #flushUnrecorded(): Promise<void> {
    if (this.#unrecorded.size === 0) return;
    const keys = [...this.#unrecorded.values()];
    await markDone(this.#db, keys, 'sent');
    for (const k of keys) this.#unrecorded.delete(`${k.eventId}:${k.subscriberId}`);
  }
}

function holds(s: PageSnapshot, event: NotificationEvent): boolean {
  if (event.kind !== 'incident_update') return true;
  const incident = s.incidents.find((i) => i.id === event.incidentId) ?? s.maintenances.find((i) => i.id === event.incidentId);
  return incident?.updates.some((u) => u.id === event.updateId) ?? false;
}
