/**
 * Runs due monitors. Any number of runners, in any number of processes, may share one database: a runner
 * claims a due monitor by moving its `next_run_at` one interval ahead and taking a lease, in one statement
 * under `FOR UPDATE SKIP LOCKED`, so each monitor is checked once per interval in total. The lease (the
 * timeout plus a margin) keeps a slow check from overlapping the next one; a runner that dies mid-check
 * only loses that one check.
 *
 * The result, the damped state and `onStateChange` share one transaction: a callback that throws rolls the
 * state back, and the next check that agrees calls it again — a change is never recorded without its effect.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { ComponentStatus } from '../domain/component.ts';
import type { Db, Queryable } from '../store/db.ts';
import { checkBitbank } from './bitbank.ts';
import type { MonitorConfig } from './config.ts';
import { dampen, signalOf, statusesToApply, type MonitorSignal } from './damping.ts';
import { checkHttp } from './http-check.ts';
import { monitorFromRow, type Monitor, type MonitorRow } from './repository.ts';
import { checkTcp } from './tcp-check.ts';
import type { BitbankCheckConfig, CheckResult, Health, HttpCheckConfig, PairComponent, TcpCheckConfig } from './types.ts';

export interface StateChange {
  monitor: Monitor;
  from: MonitorSignal;
  to: MonitorSignal;
  /** Statuses to set now: the new ones, and operational for components the monitor no longer holds down. */
  componentStatuses: Record<string, ComponentStatus>;
  /** The detail of the check that completed the change. */
  detail: string;
  at: Date;
}

export interface RunnerOptions {
  db: Db;
  /** Names this runner in leases and results; unique per process by default. */
  owner?: string;
  clock?: () => Date;
  /** Runs inside the transaction that records the change; `tx` is that transaction. */
  onStateChange?: (change: StateChange, tx: Queryable) => Promise<void>;
  onError?: (err: unknown, monitorId: string) => void;
  /** Monitors claimed per round. */
  batchSize?: number;
  /** Added to a monitor's timeout for its lease. */
  leaseMarginMs?: number;
}

const HEALTH_TO_STATUS: Record<Health, ComponentStatus> = {
  up: 'operational',
  degraded: 'degraded_performance',
  maintenance: 'under_maintenance',
  down: 'major_outage',
};

interface ClaimedRow extends MonitorRow {
  lease_until: Date;
}

export class MonitorRunner {
  readonly owner: string;
  private readonly db: Db;
  private readonly clock: () => Date;
  private readonly opts: RunnerOptions;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = true;

  constructor(opts: RunnerOptions) {
    this.opts = opts;
    this.db = opts.db;
    this.clock = opts.clock ?? (() => new Date());
    this.owner = opts.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  }

  /** Claims the monitors due now and checks them concurrently; returns the ids it checked. */
  async runDue(): Promise<string[]> {
    const now = this.clock();
    const claimed = await this.db.query<ClaimedRow>(
      `WITH due AS (
         SELECT s.monitor_id FROM monitor_state s JOIN monitors m ON m.id = s.monitor_id
          WHERE m.enabled AND s.next_run_at <= $1 AND (s.lease_until IS NULL OR s.lease_until <= $1)
          ORDER BY s.next_run_at LIMIT $2
          FOR UPDATE OF s SKIP LOCKED
       )
       UPDATE monitor_state s
          SET next_run_at = $1::timestamptz + make_interval(secs => m.interval_s),
              lease_owner = $3,
              lease_until = $1::timestamptz + (m.timeout_ms + $4::int) * interval '1 millisecond'
         FROM monitors m
        WHERE m.id = s.monitor_id AND s.monitor_id IN (SELECT monitor_id FROM due)
       RETURNING m.*, s.lease_until`,
      [now, this.opts.batchSize ?? 50, this.owner, this.opts.leaseMarginMs ?? 5000],
    );
    await Promise.all(claimed.map((row) => this.runOne(monitorFromRow(row)).catch((err) => this.opts.onError?.(err, row.id))));
    return claimed.map((r) => r.id);
  }

  /** Polls every `pollMs` until stop(). */
  start(pollMs = 1000): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = async () => {
      if (this.stopped) return;
      this.running = this.runDue().catch((err) => this.opts.onError?.(err, ''));
      await this.running;
      if (!this.stopped) this.timer = setTimeout(loop, pollMs);
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private async runOne(monitor: Monitor): Promise<void> {
    const components = await this.componentsOf(monitor);
    const result = await runCheck(monitor, components);
    const statuses = result.componentStatuses
      ?? Object.fromEntries(components.map((c) => [c.id, HEALTH_TO_STATUS[result.health]]));
    const observed = signalOf(result.health, statuses);
    const at = this.clock();
    await this.db.transaction(async (tx) => {
      const [state] = await tx.query<{ health: Health; component_statuses: Record<string, ComponentStatus>; consecutive: number; lease_owner: string | null }>(
        'SELECT health, component_statuses, consecutive, lease_owner FROM monitor_state WHERE monitor_id = $1 FOR UPDATE',
        [monitor.id],
      );
      // Our lease ran out and another runner took the monitor over: its result counts, not this late one.
      if (!state || state.lease_owner !== this.owner) return;
      const current = { signal: signalOf(state.health, state.component_statuses), consecutive: state.consecutive };
      const next = dampen(current, observed, { fail: monitor.failThreshold, recover: monitor.recoverThreshold });
      await tx.query(
        `INSERT INTO monitor_results (monitor_id, at, ok, health, latency_ms, detail, runner) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
        [monitor.id, at, result.ok, result.health, Math.max(0, Math.round(result.latencyMs)), result.detail.slice(0, 1000), this.owner],
      );
      await tx.query(
        `UPDATE monitor_state SET health = $2, component_statuses = $3, consecutive = $4, last_checked_at = $5,
           changed_at = CASE WHEN $6 THEN $5 ELSE changed_at END, lease_owner = NULL, lease_until = NULL
         WHERE monitor_id = $1`,
        [monitor.id, next.state.signal.health, JSON.stringify(next.state.signal.components), next.state.consecutive, at, next.changed],
      );
      if (next.changed && this.opts.onStateChange) {
        await this.opts.onStateChange({
          monitor, from: current.signal, to: next.state.signal,
          componentStatuses: statusesToApply(current.signal, next.state.signal), detail: result.detail, at,
        }, tx);
      }
    });
  }

  /**
   * The components a monitor may set. The exchange adapter without explicit components takes every
   * component whose metadata lists pairs.
   */
  private async componentsOf(monitor: Monitor): Promise<PairComponent[]> {
    if (monitor.componentIds.length === 0 && monitor.kind !== 'bitbank') return [];
    const rows = await this.db.query<{ id: string; metadata: Record<string, unknown> | null }>(
      `SELECT id, metadata FROM components
        WHERE NOT is_group AND (id = ANY($1::text[]) OR (cardinality($1::text[]) = 0 AND $2 AND metadata ? 'pairs'))
        ORDER BY position, id`,
      [monitor.componentIds, monitor.kind === 'bitbank'],
    );
    return rows.map((r) => {
      const pairs = r.metadata?.pairs;
      return { id: r.id, pairs: Array.isArray(pairs) ? pairs.filter((p): p is string => typeof p === 'string') : [] };
    });
  }
}

/** One check of any kind; never throws (an unexpected error is a failed result). */
export async function runCheck(monitor: { kind: Monitor['kind']; config: MonitorConfig; timeoutMs: number }, components: PairComponent[]): Promise<CheckResult> {
  const opts = { timeoutMs: monitor.timeoutMs };
  try {
    if (monitor.kind === 'http') return await checkHttp(monitor.config as HttpCheckConfig, opts);
    if (monitor.kind === 'tcp') return await checkTcp(monitor.config as TcpCheckConfig, opts);
    return await checkBitbank(monitor.config as BitbankCheckConfig, components, opts);
  } catch (err) {
    return { ok: false, health: 'down', latencyMs: 0, detail: `check failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}
