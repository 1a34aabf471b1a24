import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Db } from '../../store/db.ts';
import type { PageSnapshot } from '../../status/page/snapshot.ts';
import { EXPAND_CHUNK, expandEvents, FANOUT_CHANNEL } from './expand.ts';
import { DeliveryViews } from './incident-view.ts';
import { progressOf } from './store.ts';
import { ChannelWorker } from './worker.ts';
import type { ChannelSender, FanoutProgress } from './types.ts';

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
  /** Look for new events and due deliveries now (e.g. right after publishing in this process). */
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
  let sweeping: Promise<number> | null = null;
  let sweepAgain = false;
  let sweepErrorLogged = false;

  const kickWorkers = () => {
    for (const w of workers) w.kick();
  };

  /** Expands until no event is left; resolves with how many chunks were expanded. Never rejects. */
  const sweep = (): Promise<number> => {
    if (sweeping) {
      sweepAgain = true;
      return sweeping;
    }
    sweeping = (async () => {
      let chunks = 0;
      do {
        sweepAgain = false;
        try {
          while (!stopped && (await expandEvents(db, tuning.expandChunk))) {
            chunks++;
            kickWorkers();
          }
          sweepErrorLogged = false;
        } catch (err) {
          if (!sweepErrorLogged) log('fanout: cannot expand notification events; will retry', err);
          sweepErrorLogged = true;
          break;
        }
      } while (sweepAgain && !stopped);
      return chunks;
    })().finally(() => {
      sweeping = null;
    });
    return sweeping;
  };

  const kick = () => {
    if (stopped) return;
    void sweep();
    kickWorkers();
  };

  let unlisten: (() => Promise<void>) | null = null;
  let listening: Promise<void> | null = null;
  let listenWarned = false;
  const subscribe = () => {
    if (listening || unlisten || stopped) return;
    listening = db
      .listen(FANOUT_CHANNEL, () => kick())
      .then(async (u) => {
        if (stopped) await u().catch(() => undefined);
        else unlisten = u;
      })
      .catch((err) => {
        if (!listenWarned) log(`fanout: cannot listen for ${FANOUT_CHANNEL}, polling only for now`, err);
        listenWarned = true;
      })
      .finally(() => {
        listening = null;
      });
  };

  const timer = setInterval(() => {
    subscribe();
    kick();
  }, tuning.pollMs);
  timer.unref();
  subscribe();
  kick();

  return {
    kick,
    async drain() {
      for (;;) {
        while (sweeping) await sweeping;
        let expanded = 0;
        while (!stopped && (await expandEvents(db, tuning.expandChunk))) expanded++;
        for (const w of workers) await w.drain();
        if (expanded === 0 || stopped) return;
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (listening) await listening;
      await unlisten?.().catch(() => undefined);
      unlisten = null;
      while (sweeping) await sweeping;
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
