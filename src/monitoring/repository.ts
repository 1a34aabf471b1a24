import type { Queryable } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { KinkyuError } from '../domain/errors.ts';
import type { MonitorConfig, MonitorInput } from './config.ts';
import type { Health, MonitorKind } from './types.ts';

export interface Monitor {
  id: string;
  name: string;
  kind: MonitorKind;
  config: MonitorConfig;
  intervalS: number;
  timeoutMs: number;
  failThreshold: number;
  recoverThreshold: number;
  componentIds: string[];
  enabled: boolean;
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
  if (input.componentIds.length) {
    const found = await tx.query<{ id: string }>('SELECT id FROM components WHERE id = ANY($1::text[]) AND NOT is_group', [input.componentIds]);
    if (found.length !== input.componentIds.length) throw new KinkyuError('VALIDATION', { field: 'componentIds', rule: 'id' });
  }
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
