import type { Queryable } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { KinkyuError } from '../domain/errors.ts';
import type { MonitorConfig, MonitorInput } from './config.ts';
import type { Health, MonitorKind } from './types.ts';

export interface Monitor extends MonitorInput {
  id: string;
}

export interface MonitorRow {
  id: string;
  name: string;
  kind: MonitorKind;
  config: MonitorConfig;
  interval_s: number;
  timeout_ms: number;
  fail_threshold: number;
  recover_threshold: number;
  component_ids: string[];
  enabled: boolean;
}

export function monitorFromRow(r: MonitorRow): Monitor {
  return {
    id: r.id, name: r.name, kind: r.kind, config: r.config, intervalS: r.interval_s, timeoutMs: r.timeout_ms,
    failThreshold: r.fail_threshold, recoverThreshold: r.recover_threshold, componentIds: r.component_ids, enabled: r.enabled,
  };
}

/** Stores a parsed monitor (see parseMonitorInput) and schedules its first check for `now`. */
export async function createMonitor(tx: Queryable, input: MonitorInput, now: Date): Promise<string> {
  await assertComponents(tx, input.componentIds);
  const id = newId();
  await tx.query(
    `INSERT INTO monitors (id, name, kind, config, interval_s, timeout_ms, fail_threshold, recover_threshold, component_ids, enabled, created_at, updated_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9::text[],$10,$11,$11)`,
    [id, input.name, input.kind, JSON.stringify(input.config), input.intervalS, input.timeoutMs, input.failThreshold,
      input.recoverThreshold, input.componentIds, input.enabled, now],
  );
  await tx.query('INSERT INTO monitor_state (monitor_id, next_run_at) VALUES ($1, $2)', [id, now]);
  return id;
}

export interface MonitorResult {
  at: Date;
  ok: boolean;
  health: Health;
  latencyMs: number;
  detail: string;
}

export async function recentResults(q: Queryable, monitorId: string, limit = 100): Promise<MonitorResult[]> {
  const rows = await q.query<{ at: Date; ok: boolean; health: Health; latency_ms: number; detail: string }>(
    'SELECT at, ok, health, latency_ms, detail FROM monitor_results WHERE monitor_id = $1 ORDER BY at DESC, id DESC LIMIT $2',
    [monitorId, limit],
  );
  return rows.map((r) => ({ at: r.at, ok: r.ok, health: r.health, latencyMs: r.latency_ms, detail: r.detail }));
}

export interface MonitorDay {
  /** YYYY-MM-DD in `timeZone`. */
  date: string;
  checks: number;
  okChecks: number;
  /** okChecks / checks, or null without checks. */
  uptime: number | null;
}

/** Checks per calendar day for an uptime bar: the share of checks that were not `down`. */
export async function dailyUptime(q: Queryable, monitorId: string, from: Date, to: Date, timeZone = 'Asia/Tokyo'): Promise<MonitorDay[]> {
  const rows = await q.query<{ day: string; checks: number; ok_checks: number }>(
    `SELECT to_char(at AT TIME ZONE $4, 'YYYY-MM-DD') AS day, count(*)::int AS checks, count(*) FILTER (WHERE ok)::int AS ok_checks
       FROM monitor_results WHERE monitor_id = $1 AND at >= $2 AND at < $3 GROUP BY 1 ORDER BY 1`,
    [monitorId, from, to, timeZone],
  );
  return rows.map((r) => ({ date: r.day, checks: r.checks, okChecks: r.ok_checks, uptime: r.checks ? r.ok_checks / r.checks : null }));
}

/** A monitor with its damped state, for the console. */
export interface MonitorOverview extends Monitor {
  health: Health;
  heldStatuses: Record<string, string>;
  lastCheckedAt: Date | null;
  changedAt: Date | null;
  nextRunAt: Date;
  lastResult: MonitorResult | null;
  createdAt: Date;
  updatedAt: Date;
}

interface OverviewRow extends MonitorRow {
  health: Health;
  component_statuses: Record<string, string>;
  last_checked_at: Date | null;
  changed_at: Date | null;
  next_run_at: Date;
  created_at: Date;
  updated_at: Date;
  r_at: Date | null;
  r_ok: boolean | null;
  r_health: Health | null;
  r_latency_ms: number | null;
  r_detail: string | null;
}

const OVERVIEW_SQL = `SELECT m.*, s.health, s.component_statuses, s.last_checked_at, s.changed_at, s.next_run_at,
    r.at AS r_at, r.ok AS r_ok, r.health AS r_health, r.latency_ms AS r_latency_ms, r.detail AS r_detail
  FROM monitors m JOIN monitor_state s ON s.monitor_id = m.id
  LEFT JOIN LATERAL (SELECT at, ok, health, latency_ms, detail FROM monitor_results WHERE monitor_id = m.id ORDER BY at DESC, id DESC LIMIT 1) r ON true`;

function overviewFromRow(r: OverviewRow): MonitorOverview {
  return {
    ...monitorFromRow(r),
    health: r.health,
    heldStatuses: r.component_statuses,
    lastCheckedAt: r.last_checked_at,
    changedAt: r.changed_at,
    nextRunAt: r.next_run_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastResult: r.r_at ? { at: r.r_at, ok: r.r_ok === true, health: r.r_health ?? 'down', latencyMs: r.r_latency_ms ?? 0, detail: r.r_detail ?? '' } : null,
  };
}

export async function listMonitors(q: Queryable): Promise<MonitorOverview[]> {
  const rows = await q.query<OverviewRow>(`${OVERVIEW_SQL} ORDER BY m.name, m.id`);
  return rows.map(overviewFromRow);
}

export async function getMonitor(q: Queryable, id: string): Promise<MonitorOverview> {
  const [row] = await q.query<OverviewRow>(`${OVERVIEW_SQL} WHERE m.id = $1`, [id]);
  if (!row) throw new KinkyuError('NOT_FOUND', { what: 'monitor' });
  return overviewFromRow(row);
}

async function assertComponents(tx: Queryable, ids: string[]): Promise<void> {
  if (!ids.length) return;
  const found = await tx.query<{ id: string }>('SELECT id FROM components WHERE id = ANY($1::text[]) AND NOT is_group', [ids]);
  if (found.length !== ids.length) throw new KinkyuError('VALIDATION', { field: 'componentIds', rule: 'id' });
}

/**
 * Replaces a monitor's definition and checks it again at once. Its damped state stays: statuses it holds on
 * components are still its own to clear when it recovers.
 */
export async function updateMonitor(tx: Queryable, id: string, input: MonitorInput, now: Date): Promise<void> {
  await assertComponents(tx, input.componentIds);
  const rows = await tx.query(
    `UPDATE monitors SET name = $2, kind = $3, config = $4, interval_s = $5, timeout_ms = $6, fail_threshold = $7,
       recover_threshold = $8, component_ids = $9::text[], enabled = $10, updated_at = $11 WHERE id = $1 RETURNING id`,
    [id, input.name, input.kind, JSON.stringify(input.config), input.intervalS, input.timeoutMs, input.failThreshold,
      input.recoverThreshold, input.componentIds, input.enabled, now],
  );
  if (!rows.length) throw new KinkyuError('NOT_FOUND', { what: 'monitor' });
  await tx.query('UPDATE monitor_state SET next_run_at = $2, consecutive = 0 WHERE monitor_id = $1', [id, now]);
}

export async function setMonitorEnabled(tx: Queryable, id: string, enabled: boolean, now: Date): Promise<void> {
  const rows = await tx.query('UPDATE monitors SET enabled = $2, updated_at = $3 WHERE id = $1 RETURNING id', [id, enabled, now]);
  if (!rows.length) throw new KinkyuError('NOT_FOUND', { what: 'monitor' });
  if (enabled) await tx.query('UPDATE monitor_state SET next_run_at = $2, consecutive = 0 WHERE monitor_id = $1', [id, now]);
}

/** Deletes a monitor with its results; its proposals stay (without the link) for the record. */
export async function deleteMonitor(tx: Queryable, id: string): Promise<{ name: string }> {
  const [row] = await tx.query<{ name: string }>('DELETE FROM monitors WHERE id = $1 RETURNING name', [id]);
  if (!row) throw new KinkyuError('NOT_FOUND', { what: 'monitor' });
  return row;
}

/** Deletes results (and hourly counts) older than `before`; returns how many results went. */
export async function pruneResults(q: Queryable, before: Date): Promise<number> {
  const deleted = await q.query<{ n: number }>(
    'WITH d AS (DELETE FROM monitor_results WHERE at < $1 RETURNING 1) SELECT count(*)::int AS n FROM d', [before],
  );
  await q.query('DELETE FROM monitor_result_hours WHERE hour < $1', [before]);
  await q.query('DELETE FROM monitor_changes WHERE applied_at IS NOT NULL AND applied_at < $1', [before]);
  return deleted[0]?.n ?? 0;
}
