/**
 * Monitor history on the public uptime bars. A component's bar comes from its status history (what users were
 * told); for a component bound to a monitor, a day on which the monitor's checks succeeded less often than that
 * history says shows the monitor's figure instead — the lower of the two, so short failures below the flap
 * threshold still count, and an outage staff declared without a monitor still counts. Colours (the worst
 * status of the day) stay those of the status history: a bar never shows a status nobody announced.
 */
import type { Queryable } from '../store/db.ts';
import type { DayWindow, UptimeHistory } from '../domain/uptime.ts';

export interface MonitorHour {
  hour: Date;
  checks: number;
  okChecks: number;
}

/** Hourly check counts per bound component since `since` (a component bound to two monitors sums both). */
export async function monitorHoursByComponent(q: Queryable, since: Date): Promise<Map<string, MonitorHour[]>> {
  const rows = await q.query<{ component_id: string; hour: Date; checks: number; ok_checks: number }>(
    `SELECT c.component_id, h.hour, sum(h.checks)::int AS checks, sum(h.ok_checks)::int AS ok_checks
       FROM monitor_result_hours h JOIN monitors m ON m.id = h.monitor_id
       CROSS JOIN LATERAL unnest(m.component_ids) AS c(component_id)
      WHERE h.hour >= $1 GROUP BY 1, 2 ORDER BY 1, 2`,
    [since],
  );
  const out = new Map<string, MonitorHour[]>();
  for (const r of rows) {
    const list = out.get(r.component_id) ?? [];
    list.push({ hour: new Date(r.hour), checks: r.checks, okChecks: r.ok_checks });
    out.set(r.component_id, list);
  }
  return out;
}

export function withMonitorChecks(history: UptimeHistory, hours: readonly MonitorHour[] | undefined, window: DayWindow, createdAt: Date, now: Date): UptimeHistory {
  if (!hours?.length || history.overall === null) return history;
  const starts = window.starts.map((d) => d.getTime());
  const checks = new Array<number>(starts.length).fill(0);
  const ok = new Array<number>(starts.length).fill(0);
  let i = 0;
  for (const h of hours) {
    const at = h.hour.getTime();
    if (at < starts[0]!) continue;
    while (i + 1 < starts.length && at >= starts[i + 1]!) i++;
    checks[i]! += h.checks;
    ok[i]! += h.okChecks;
  }
  let total = 0;
  let extraDown = 0;
  const days = history.days.map((d, k) => {
    const end = k + 1 < starts.length ? starts[k + 1]! : now.getTime();
    const span = Math.max(0, (end - Math.max(starts[k]!, createdAt.getTime())) / 1000);
    total += span;
    if (d.uptime === null || !checks[k]) return d;
    const measured = ok[k]! / checks[k]!;
    if (measured >= d.uptime) return d;
    extraDown += (d.uptime - measured) * span;
    return { ...d, uptime: measured };
  });
  return { days, overall: total > 0 ? Math.max(0, history.overall - extraDown / total) : history.overall };
}
