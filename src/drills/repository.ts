/** Every SQL statement of the drills. */
import type { Queryable } from '../store/db.ts';
import type { Scenario } from './scenarios.ts';
import type { DrillReport } from './report.ts';

export interface DrillOptionsStored {
  surge: number;
  takeovers: number;
  monitors: boolean;
  scripted: boolean;
}

export interface DrillRow {
  id: string;
  scenario: Scenario;
  status: 'running' | 'finished';
  options: DrillOptionsStored;
  incidentId: string | null;
  startedAt: Date;
  startedBy: string | null;
  startedByName: string | null;
  startedVia: 'cli' | 'console';
  finishedAt: Date | null;
  report: DrillReport | null;
}

interface DrillDbRow {
  id: string;
  scenario: Scenario;
  status: 'running' | 'finished';
  options: DrillOptionsStored;
  incident_id: string | null;
  started_at: Date;
  started_by: string | null;
  started_by_name: string | null;
  started_via: 'cli' | 'console';
  finished_at: Date | null;
  report: DrillReport | null;
}

const toDrill = (r: DrillDbRow): DrillRow => ({
  id: r.id, scenario: r.scenario, status: r.status, options: r.options, incidentId: r.incident_id, startedAt: new Date(r.started_at),
  startedBy: r.started_by, startedByName: r.started_by_name, startedVia: r.started_via, finishedAt: r.finished_at ? new Date(r.finished_at) : null, report: r.report,
});

const DRILL_SELECT = `SELECT d.*, s.name AS started_by_name FROM drills d LEFT JOIN staff s ON s.id = d.started_by`;

export async function insertDrill(q: Queryable, d: { id: string; scenario: Scenario; options: DrillOptionsStored; at: Date; by: string | null; via: 'cli' | 'console' }): Promise<void> {
  await q.query(
    `INSERT INTO drills (id, scenario, options, started_at, started_by, started_via) VALUES ($1,$2,$3::jsonb,$4,$5,$6)`,
    [d.id, d.scenario, JSON.stringify(d.options), d.at, d.by, d.via],
  );
}

export async function setDrillIncident(q: Queryable, drillId: string, incidentId: string): Promise<void> {
  await q.query('UPDATE drills SET incident_id = $2 WHERE id = $1', [drillId, incidentId]);
}

export async function getDrill(q: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<DrillRow | null> {
  const [r] = await q.query<DrillDbRow>(`${DRILL_SELECT} WHERE d.id = $1 ${opts.forUpdate ? 'FOR UPDATE OF d' : ''}`, [id]);
  return r ? toDrill(r) : null;
}

export async function listDrills(q: Queryable, limit = 50): Promise<DrillRow[]> {
  const rows = await q.query<DrillDbRow>(`${DRILL_SELECT} ORDER BY d.started_at DESC, d.id LIMIT $1`, [limit]);
  return rows.map(toDrill);
}

export async function finishDrill(q: Queryable, id: string, at: Date, report: DrillReport): Promise<boolean> {
  const rows = await q.query(
    `UPDATE drills SET status = 'finished', finished_at = $2, report = $3::jsonb WHERE id = $1 AND status = 'running' RETURNING 1`,
    [id, at, JSON.stringify(report)],
  );
  return rows.length > 0;
}

export async function insertMonitorFailures(q: Queryable, drillId: string, rows: readonly { componentId: string; at: Date; detail: string }[]): Promise<void> {
  if (rows.length === 0) return;
  await q.query(
    `INSERT INTO drill_monitor_failures (drill_id, component_id, at, detail)
     SELECT $1, c, a, d FROM unnest($2::text[], $3::timestamptz[], $4::text[]) AS t(c, a, d)`,
    [drillId, rows.map((r) => r.componentId), rows.map((r) => r.at), rows.map((r) => r.detail)],
  );
}

export interface DrillTicketInsert {
  seq: number;
  kind: 'surge' | 'takeover';
  lang: 'ja' | 'en';
  body: string;
  type: string;
  priority: string;
  needsHuman: boolean;
  linked: boolean;
  dueAt: Date | null;
  at: Date;
}

export async function insertTickets(q: Queryable, drillId: string, rows: readonly DrillTicketInsert[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    await q.query(
      `INSERT INTO drill_tickets (drill_id, seq, kind, lang, body, type, priority, needs_human, incident_linked, first_response_due_at, created_at)
       SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::boolean[], $9::boolean[], $10::timestamptz[], $11::timestamptz[])`,
      [
        drillId, chunk.map((r) => r.seq), chunk.map((r) => r.kind), chunk.map((r) => r.lang), chunk.map((r) => r.body), chunk.map((r) => r.type),
        chunk.map((r) => r.priority), chunk.map((r) => r.needsHuman), chunk.map((r) => r.linked), chunk.map((r) => r.dueAt), chunk.map((r) => r.at),
      ],
    );
  }
}

export interface QueuedTicket {
  seq: number;
  kind: 'surge' | 'takeover';
  lang: 'ja' | 'en';
  body: string;
  type: string;
  priority: string;
  needsHuman: boolean;
  linked: boolean;
  rank: number;
}

/**
 * The drill's tickets in the order the desk's queue shows open tickets (src/desk/ticket-repository.ts listQueue:
 * urgent security reports first, then those needing a human, then priority, then the nearest due date, then age).
 */
export async function queueOrder(q: Queryable, drillId: string, limit = 10_000): Promise<QueuedTicket[]> {
  const rows = await q.query<{ seq: number; kind: 'surge' | 'takeover'; lang: 'ja' | 'en'; body: string; type: string; priority: string; needs_human: boolean; incident_linked: boolean; rank: number }>(
    `SELECT seq, kind, lang, body, type, priority, needs_human, incident_linked,
            row_number() OVER (ORDER BY (type = 'security' AND priority = 'urgent') DESC, needs_human DESC,
                                        array_position(ARRAY['urgent','high','normal','low'], priority),
                                        first_response_due_at NULLS LAST, created_at, seq)::int AS rank
       FROM drill_tickets WHERE drill_id = $1 ORDER BY rank LIMIT $2`,
    [drillId, limit],
  );
  return rows.map((r) => ({
    seq: Number(r.seq), kind: r.kind, lang: r.lang, body: r.body, type: r.type, priority: r.priority, needsHuman: r.needs_human, linked: r.incident_linked, rank: Number(r.rank),
  }));
}

export async function ticketCounts(q: Queryable, drillId: string): Promise<{ total: number; surge: number; takeovers: number; linked: number; securityUrgent: number }> {
  const [r] = await q.query<{ total: number; surge: number; takeovers: number; linked: number; security_urgent: number }>(
    `SELECT count(*)::int AS total, count(*) FILTER (WHERE kind = 'surge')::int AS surge, count(*) FILTER (WHERE kind = 'takeover')::int AS takeovers,
            count(*) FILTER (WHERE incident_linked)::int AS linked, count(*) FILTER (WHERE type = 'security' AND priority = 'urgent')::int AS security_urgent
       FROM drill_tickets WHERE drill_id = $1`,
    [drillId],
  );
  return { total: Number(r?.total ?? 0), surge: Number(r?.surge ?? 0), takeovers: Number(r?.takeovers ?? 0), linked: Number(r?.linked ?? 0), securityUrgent: Number(r?.security_urgent ?? 0) };
}

// ---------------------------------------------------------------------------------------------------------------
// Stand-ins and recipients

/** Drill update events the X and Slack stand-ins have not rendered yet. */
export async function eventsWithoutStandIns(q: Queryable, limit = 50): Promise<{ eventId: string; drillId: string; incidentId: string; updateId: string }[]> {
  const rows = await q.query<{ id: string; drill_id: string; incident_id: string; update_id: string }>(
    `SELECT e.id, e.drill_id, e.incident_id, e.update_id FROM notification_events e
      WHERE e.drill_id IS NOT NULL AND e.kind = 'incident_update'
        AND NOT EXISTS (SELECT 1 FROM drill_stand_in_posts p WHERE p.event_id = e.id)
      ORDER BY e.created_at, e.id LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({ eventId: r.id, drillId: r.drill_id, incidentId: r.incident_id, updateId: r.update_id }));
}

export async function insertStandInPost(q: Queryable, p: { eventId: string; channel: 'x' | 'slack'; drillId: string; updateId: string; body: unknown; at: Date }): Promise<void> {
  await q.query(
    `INSERT INTO drill_stand_in_posts (event_id, channel, drill_id, update_id, body, posted_at) VALUES ($1,$2,$3,$4,$5::jsonb,$6)
     ON CONFLICT (event_id, channel) DO NOTHING`,
    [p.eventId, p.channel, p.drillId, p.updateId, JSON.stringify(p.body), p.at],
  );
}

export interface StandInPost {
  channel: 'x' | 'slack';
  updateId: string;
  body: { lang: string; parts?: string[]; text?: string; blocks?: unknown };
  postedAt: Date;
}

export async function standInPosts(q: Queryable, drillId: string): Promise<StandInPost[]> {
  const rows = await q.query<{ channel: 'x' | 'slack'; update_id: string; body: StandInPost['body']; posted_at: Date }>(
    'SELECT channel, update_id, body, posted_at FROM drill_stand_in_posts WHERE drill_id = $1 ORDER BY posted_at, channel',
    [drillId],
  );
  return rows.map((r) => ({ channel: r.channel, updateId: r.update_id, body: r.body, postedAt: new Date(r.posted_at) }));
}

export interface RecipientRow {
  id: string;
  channel: string;
  target: string;
}

export async function drillRecipients(q: Queryable): Promise<RecipientRow[]> {
  return q.query<RecipientRow>(
    `SELECT id, channel, target FROM subscribers
      WHERE drill_recipient AND confirmed_at IS NOT NULL AND unsubscribed_at IS NULL AND disabled_at IS NULL ORDER BY channel, target`,
  );
}

/** Marks (or unmarks) the live subscriber with this id, or this exact address/URL, as a drill recipient. */
export async function setRecipient(q: Queryable, idOrTarget: string, on: boolean): Promise<RecipientRow | null> {
  const [r] = await q.query<RecipientRow>(
    `UPDATE subscribers SET drill_recipient = $2
      WHERE id = (SELECT id FROM subscribers
                   WHERE (id = $1 OR target_key = lower($1) OR target_key = $1)
                     AND channel IN ('email','webhook','slack') AND unsubscribed_at IS NULL AND disabled_at IS NULL
                   ORDER BY (id = $1) DESC LIMIT 1)
     RETURNING id, channel, target`,
    [idOrTarget, on],
  );
  return r ?? null;
}

// ---------------------------------------------------------------------------------------------------------------
// Evidence

/** Deliveries of the drill's events per channel and outcome, to drill recipients (the only ones there should be). */
export async function drillDeliveries(q: Queryable, drillId: string): Promise<{ byChannel: Record<string, { sent: number; pending: number; failed: number; skipped: number }>; outsideRecipients: number }> {
  const rows = await q.query<{ channel: string; status: 'sent' | 'pending' | 'failed' | 'skipped'; n: number; outside: number }>(
    `SELECT d.channel, d.status, count(*)::int AS n, count(*) FILTER (WHERE NOT s.drill_recipient)::int AS outside
       FROM deliveries d JOIN notification_events e ON e.id = d.event_id JOIN subscribers s ON s.id = d.subscriber_id
      WHERE e.drill_id = $1 GROUP BY d.channel, d.status`,
    [drillId],
  );
  const byChannel: Record<string, { sent: number; pending: number; failed: number; skipped: number }> = {};
  let outside = 0;
  for (const r of rows) {
    const c = (byChannel[r.channel] ??= { sent: 0, pending: 0, failed: 0, skipped: 0 });
    c[r.status] += Number(r.n);
    outside += Number(r.outside);
  }
  return { byChannel, outsideRecipients: outside };
}

/** Rows a drill must never write: real component history and public page entries. */
export async function isolationFigures(q: Queryable, incidentId: string): Promise<{ realComponentChanges: number }> {
  const [r] = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM component_status_history WHERE incident_id = $1', [incidentId]);
  return { realComponentChanges: Number(r?.n ?? 0) };
}

/** The incident room's tables (another capability, may not exist): found by name, read only if they have the columns. */
export async function tableColumns(q: Queryable, names: readonly string[]): Promise<Map<string, Set<string>>> {
  const rows = await q.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY($1)`,
    [names],
  );
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    const set = out.get(r.table_name) ?? new Set<string>();
    set.add(r.column_name);
    out.set(r.table_name, set);
  }
  return out;
}
