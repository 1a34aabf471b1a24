import type { Db } from '../store/db.ts';
import { isKinkyuError } from '../domain/errors.ts';
import { JobWorker } from '../jobs/worker.ts';
import type { LockIntent, LockIntents } from './lock-intents.ts';
import type { LockLinkRequest, LockLinkRequests } from './lock-link-requests.ts';

/** How long a reconciler holds a journalled lock (or a help-center request) it took; one that died is retried after it. */
export const LOCK_JOB_LEASE_MS = 30_000;

export const errorText = (err: unknown) => String((err as Error)?.message ?? err).slice(0, 500);

export interface LockReconcilerDeps {
  /** Finishes one intent (the exchange asked again, the record written once); false when someone else did. */
  record(intentId: string): Promise<boolean>;
  /** Carries out one help-center request for lock links, exactly once; false when someone else did. */
  processLinkRequest(request: LockLinkRequest): Promise<boolean>;
  clock: () => Date;
  log?: ((msg: string, err?: unknown) => void) | undefined;
}

/**
 * The reconciler that finishes what the lock path left (a crash, the exchange or the database away), on the
 * job mechanism (src/jobs): journalled locks not yet recorded and help-center requests not yet carried out
 * are claimed with `FOR UPDATE SKIP LOCKED` under a lease, retried with back-off until they succeed (a
 * confirmed lock is never given up on: the staff page shows its attempts and last error), by every process.
 */
export class LockReconciler {
  #intentsWorker: JobWorker<LockIntent> | null = null;
  #requestsWorker: JobWorker<LockLinkRequest> | null = null;

  constructor(
    private readonly db: Db,
    private readonly intents: LockIntents,
    private readonly linkRequests: LockLinkRequests,
    private readonly deps: LockReconcilerDeps,
  ) {}

  #leaseUntil(now: Date): Date {
    return new Date(now.getTime() + LOCK_JOB_LEASE_MS);
  }

  #claimIntents(limit: number, graceMs: number): Promise<LockIntent[]> {
    const now = this.deps.clock();
    return this.intents.claimDue(now, new Date(now.getTime() - graceMs), limit, this.#leaseUntil(now));
  }

  #claimRequests(limit: number): Promise<LockLinkRequest[]> {
    const now = this.deps.clock();
    return this.linkRequests.claimDue(now, limit, this.#leaseUntil(now));
  }

  /** One journalled lock: finished, or closed when the exchange does not know the account, or retried later. */
  async #finish(intent: LockIntent): Promise<boolean> {
    try {
      return await this.deps.record(intent.id);
    } catch (err) {
      if (isKinkyuError(err) && err.code === 'NOT_FOUND') {
        await this.intents.abandon(intent.id, 'account not found at the exchange', this.deps.clock()).catch(() => undefined);
        return false;
      }
      this.deps.log?.('a journalled lock could not be finished yet (retried later)', err);
      await this.intents.postpone(intent.id, intent.attempts + 1, errorText(err), this.deps.clock()).catch(() => undefined);
      return false;
    }
  }

  async #carryOut(request: LockLinkRequest): Promise<boolean> {
    try {
      return await this.deps.processLinkRequest(request);
    } catch (err) {
      this.deps.log?.('a help-center lock-link request could not be carried out yet (retried)', err);
      await this.linkRequests.postpone(request.id, request.attempts + 1, errorText(err), this.deps.clock()).catch(() => undefined);
      return false;
    }
  }

  /**
   * One pass now: every intent not yet recorded (and due) is finished, every due help-center request carried
   * out. `graceMs` leaves alone intents so fresh that the process that opened them is probably still carrying
   * them out. Returns how many it recorded or carried out.
   */
  async reconcile(opts: { graceMs?: number; limit?: number } = {}): Promise<number> {
    let done = 0;
    for (const intent of await this.#claimIntents(opts.limit ?? 200, opts.graceMs ?? 0)) if (await this.#finish(intent)) done++;
    return done + (await this.processLinkRequests(opts.limit ?? 200));
  }

  /** Carries out the due help-center requests, each exactly once. Returns how many it did. */
  async processLinkRequests(limit: number): Promise<number> {
    let done = 0;
    for (const request of await this.#claimRequests(limit)) if (await this.#carryOut(request)) done++;
    return done;
  }

  /** Runs in the background, polling every `everyMs` (intents younger than that are left to their process). */
  start(everyMs: number): void {
    if (this.#intentsWorker) return;
    const log = (msg: string, err?: unknown) => this.deps.log?.(msg, err);
    // One at a time, as the passes did: each record holds the audit chain's head until it commits.
    this.#intentsWorker = new JobWorker<LockIntent>(this.db, {
      claim: (limit) => this.#claimIntents(limit, everyMs),
      run: async (intent) => void (await this.#finish(intent)),
    }, { queue: 'lock-intents', concurrency: 1, pollMs: everyMs, log, claimFailedMessage: 'lock reconciler pass failed (retried)' }).start();
    this.#requestsWorker = new JobWorker<LockLinkRequest>(this.db, {
      claim: (limit) => this.#claimRequests(limit),
      run: async (request) => void (await this.#carryOut(request)),
    }, { queue: 'lock-link-requests', concurrency: 1, pollMs: everyMs, log, claimFailedMessage: 'lock links from the help center could not be sent yet (retried)' }).start();
  }

  /**
   * Whether the reconciler keeps working (for readiness): running, each of its workers finished a round of
   * claims within `withinMs`, and none has a job running for longer. A database that fails every claim, or a
   * job that hangs, shows here.
   */
  healthy(withinMs: number): boolean {
    return !!this.#intentsWorker?.healthy(withinMs) && !!this.#requestsWorker?.healthy(withinMs);
  }

  async stop(): Promise<void> {
    const workers = [this.#intentsWorker, this.#requestsWorker];
    this.#intentsWorker = this.#requestsWorker = null;
    await Promise.all(workers.map((w) => w?.stop()));
  }
}
