import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Db } from '../../store/db.ts';
import type { PageSnapshot } from '../../status/page/snapshot.ts';
import { JobWorker } from '../../jobs/worker.ts';
import { coalesce } from '../../jobs/coalesce.ts';
import { EXPAND_CHUNK, expandEvents, FANOUT_CHANNEL, FANOUT_QUEUE, NEW_EVENT_PAYLOAD, type Expansion } from './expand.ts';
import { DeliveryViews } from './incident-view.ts';
import { dueChannels, progressOf } from './store.ts';
import { ChannelWorker } from './worker.ts';
import type { ChannelSender, FanoutProgress } from './types.ts';

/** Looks for due deliveries at most this often (kicks in between share the next look). */
const KICK_GATHER_MS = 10;

export interface FanoutTuning {
  /** How long a claimed delivery belongs to this process; a crashed process's rows are sent again after it. */
  leaseMs?: number;
  /** Look for new events and due deliveries this often (besides LISTEN). */
  pollMs?: number;
  /** Attempts before a delivery is failed (a sender may set its own). */
  maxAttempts?: number;
  /** First retry delay (doubling, with jitter) and its cap. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Subscribers expanded into deliveries per transaction. */
  expandChunk?: number;
  /** A delivery whose update cannot be rendered yet (no page loaded) is looked at again after this… */
  notReadyDelayMs?: number;
  /** …at most this many times, then failed with an error saying so. */
  maxDeferrals?: number;
}

export interface FanoutOptions extends FanoutTuning {
  /** One per channel; a channel without a sender keeps its deliveries pending for a process that has one. */
  senders: readonly ChannelSender[];
  /** The public page as it is now (updates are rendered from it). */
  snapshot: () => PageSnapshot | null;
  /** Reloads the page snapshot (when none is loaded yet; an update missing from it is read on its own). */
  refreshSnapshot?: () => Promise<void>;
  log?: (msg: string, err?: unknown) => void;
}

export interface Fanout {
  /**
   * Look for new events and due deliveries now. Nobody needs to: an update's event NOTIFYs at its commit (and
   * the fan-out polls).
   */
  kick(): void;
  /** Expands every event and sends every delivery due now, waiting until they are recorded (tests). */
  drain(): Promise<void>;
  /** Stops claiming, finishes sends in flight, gives back rows claimed but not sent, closes the senders. */
  stop(): Promise<void>;
  /** Per channel sent / pending / failed / skipped for one incident or maintenance update (the console). */
  progress(updateId: string): Promise<FanoutProgress>;
}

export const FANOUT_DEFAULTS: Required<FanoutTuning> = {
  leaseMs: 120_000,
  pollMs: 1_000,
  maxAttempts: 25,
  retryBaseMs: 30_000,
  retryMaxMs: 60 * 60_000,
  expandChunk: EXPAND_CHUNK,
  notReadyDelayMs: 2_000,
  // With the 2 s delay: about five minutes.
  maxDeferrals: 150,
};

/** Above a sender's own timeout: the lease must outlast a send that is cut off by it. */
export const LEASE_MARGIN_MS = 5_000;

/**
 * Starts the fan-out on `db`: a sweeper that expands notification events into deliveries and one worker per
 * sender. Several processes may run it on one PostgreSQL server (events and rows are claimed with SKIP LOCKED).
 */
export function startFanout(db: Db, opts: FanoutOptions): Fanout {
  const tuning = { ...FANOUT_DEFAULTS, ...definedOnly(opts) };
  const userLog = opts.log;
  const log = (msg: string, err?: unknown) => {
    try {
      userLog?.(msg, err);
    } catch {
      /* a failing logger must not stop the fan-out */
    }
  };
  const views = new DeliveryViews(db);
  const owner = `${hostname()}.${process.pid}.${randomBytes(4).toString('hex')}`;
  const workers = opts.senders.map(
    (sender) =>
      new ChannelWorker(db, sender, {
        owner,
        leaseMs: leaseFor(sender, tuning.leaseMs, log),
        maxAttempts: tuning.maxAttempts,
        retryBaseMs: tuning.retryBaseMs,
        retryMaxMs: tuning.retryMaxMs,
        notReadyDelayMs: tuning.notReadyDelayMs,
        maxDeferrals: Math.max(1, Math.floor(tuning.maxDeferrals)),
        snapshot: opts.snapshot,
        views,
        refreshSnapshot: opts.refreshSnapshot ?? (async () => undefined),
        log,
      }),
  );
  let stopped = false;
  // Wakes the channel workers that have deliveries due, with one probe for all of them. Kicks come in bursts (an
  // update is several events, each expanded and each waking): a burst shares a probe running and one more after it,
  // at most one every KICK_GATHER_MS. If the probe fails every worker is woken: its claim then says what is wrong,
  // or finds the rows.
  const probe = coalesce(async () => {
    if (stopped) return;
    const due = await dueChannels(db, workers.map((w) => w.channel)).catch(() => null);
    for (const w of workers) if (!due || due.has(w.channel)) w.kick();
  }, KICK_GATHER_MS);
  const kickWorkers = (): void => void probe.trigger();
  // The sweeper is a job queue of its own: a "job" is one expansion round (it claims its events with SKIP LOCKED and
  // commits the deliveries with their cursors); a round that made deliveries wakes the channel workers. So do the
  // sweeper's polls and the other NOTIFYs (another process's deliveries), for retries that became due; a new event's
  // NOTIFY does not: its expansion wakes them if it matched anyone.
  const sweeper = new JobWorker<Expansion>(db, {
    claim: async () => {
      const expansion = await expandEvents(db, tuning.expandChunk);
      return expansion.events > 0 ? [expansion] : [];
    },
    run: async (expansion) => {
      if (expansion.deliveries > 0) kickWorkers();
    },
    // A round that took fewer events than it could, without filling its chunk, left none: new ones NOTIFY.
    claimAgain: (expansion) => expansion.more,
  }, {
    queue: FANOUT_QUEUE, channel: FANOUT_CHANNEL, concurrency: 1, pollMs: tuning.pollMs, log,
    onWake: (payload) => {
      if (payload !== NEW_EVENT_PAYLOAD) kickWorkers();
    },
    claimFailedMessage: 'fanout: cannot expand notification events; will retry',
  }).start();

  return {
    kick: () => sweeper.wake(),
    async drain() {
      for (;;) {
        const expanded = await sweeper.drain();
        for (const w of workers) await w.drain();
        if (expanded === 0 || stopped) return;
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await probe.settled();
      await sweeper.stop();
      await Promise.all(workers.map((w) => w.stop()));
      for (const s of opts.senders) await s.close?.().catch((err) => log(`fanout ${s.channel}: closing the sender failed`, err));
    },
    progress: (updateId) => progressOf(db, updateId),
  };
}

/**
 * The lease for a sender's rows: at least its timeout plus a margin. The lease is extended while a send is in
 * progress, but only while this process runs its timers; a stalled process must not see its send go out twice.
 */
function leaseFor(sender: ChannelSender, leaseMs: number, log: (msg: string) => void): number {
  if (sender.timeoutMs === undefined) return leaseMs;
  const least = sender.timeoutMs + LEASE_MARGIN_MS;
  if (leaseMs >= least) return leaseMs;
  log(`fanout ${sender.channel}: lease of ${leaseMs} ms is shorter than the sender's timeout (${sender.timeoutMs} ms) plus ${LEASE_MARGIN_MS} ms; using ${least} ms`);
  return least;
}

function definedOnly(t: FanoutTuning): FanoutTuning {
  return Object.fromEntries(
    Object.entries({
      leaseMs: t.leaseMs, pollMs: t.pollMs, maxAttempts: t.maxAttempts, retryBaseMs: t.retryBaseMs, retryMaxMs: t.retryMaxMs,
      expandChunk: t.expandChunk, notReadyDelayMs: t.notReadyDelayMs, maxDeferrals: t.maxDeferrals,
    })
      .filter(([, v]) => typeof v === 'number' && Number.isFinite(v)),
  );
}
