/**
 * Every SQL statement of the post-incident review: what the record says about an incident (read from the status
 * history, monitors, tickets, deliveries and locks — or, for a drill, from its sandbox tables), and what people
 * wrote (sections and follow-up actions).
 */
import type { Queryable } from '../store/db.ts';
import type { ComponentStatus } from '../domain/component.ts';
import type { Incident } from '../domain/incident.ts';
import type { Channel, ReviewRecord, StatusChange } from './compute.ts';

/** How far before the declaration a monitor failure or a component's degradation still belongs to the incident. */
export const LOOKBACK_MS = 24 * 3_600_000;

export interface ReviewSections {
  cause: string;
  wentWell: string;
  wentBadly: string;
  postmortemJa: string;
  postmortemEn: string;
  version: number;
  updatedAt: Date | null;
  updatedBy: string | null;
}

export interface ReviewAction {
  id: string;
  title: string;
  ownerId: string | null;
  ownerName: string | null;
  dueOn: string | null;
  doneAt: Date | null;
  createdAt: Date;
}

export interface StaffOption {
  id: string;
  name: string;
  email: string;
  role: string;
}

export const EMPTY_SECTIONS: ReviewSections = {
  cause: '', wentWell: '', wentBadly: '', postmortemJa: '', postmortemEn: '', version: 0, updatedAt: null, updatedBy: null,
};

// ---------------------------------------------------------------------------------------------------------------
// The record

async function componentHistory(q: Queryable, incident: Incident, from: Date, to: Date): Promise<Map<string, StatusChange[]>> {
  const ids = incident.componentIds;
  const map = new Map<string, StatusChange[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return map;
  const table = incident.drillId ? 'drill_component_history' : 'component_status_history';
  // A drill's history is its own; before its first entry a component is as the real one was then (operational
  // for the purpose of the drill: the sandbox starts clean).
  const scope = incident.drillId ? 'AND incident_id = $4' : '';
  const params: unknown[] = [ids, from, to];
  if (incident.drillId) params.push(incident.id);
  const rows = await q.query<{ component_id: string; status: ComponentStatus; at: Date }>(
    `SELECT * FROM (
       SELECT component_id, status, at, id FROM ${table} WHERE component_id = ANY($1) AND at >= $2 AND at <= $3 ${scope}
       UNION ALL
       (SELECT DISTINCT ON (component_id) component_id, status, at, id FROM ${table}
         WHERE component_id = ANY($1) AND at < $2 ${scope} ORDER BY component_id, at DESC, id DESC)
     ) h ORDER BY at, id`,
    params,
  );
  for (const r of rows) map.get(r.component_id)?.push({ status: r.status, at: new Date(r.at) });
  return map;
}

/**
 * The first failing check of the failure run that led to the incident: for each monitor bound to one of its
 * components, the first failure after its last success before the declaration (looking back at most a day), up
 * to the resolution. A drill reads its synthetic failures instead.
 */
async function firstFailure(q: Queryable, incident: Incident, declaredAt: Date, end: Date): Promise<{ at: Date; source: string } | null> {
  const lookback = new Date(declaredAt.getTime() - LOOKBACK_MS);
  if (incident.drillId) {
    const [row] = await q.query<{ at: Date; detail: string }>(
      'SELECT at, detail FROM drill_monitor_failures WHERE drill_id = $1 ORDER BY at, id LIMIT 1',
      [incident.drillId],
    );
    return row ? { at: new Date(row.at), source: row.detail } : null;
  }
  if (incident.componentIds.length === 0) return null;
  const [row] = await q.query<{ at: Date | null; name: string }>(
    `SELECT f.at, m.name FROM monitors m
       CROSS JOIN LATERAL (
         SELECT min(r.at) AS at FROM monitor_results r
          WHERE r.monitor_id = m.id AND NOT r.ok AND r.at >= $2 AND r.at <= $4
            AND r.at > COALESCE((SELECT max(o.at) FROM monitor_results o
                                  WHERE o.monitor_id = m.id AND o.ok AND o.at >= $2 AND o.at < $3), $2 - interval '1 millisecond')
       ) f
      WHERE m.component_ids && $1::text[] AND f.at IS NOT NULL
      ORDER BY f.at LIMIT 1`,
    [incident.componentIds, lookback, declaredAt, end],
  );
  return row?.at ? { at: new Date(row.at), source: row.name } : null;
}

async function linkedTickets(q: Queryable, incident: Incident): Promise<ReviewRecord['tickets']> {
  if (incident.drillId) {
    // A drill's synthetic tickets: one linked to the drill incident got its automatic answer when it was filed.
    const rows = await q.query<{ created_at: Date; incident_linked: boolean; type: string }>(
      'SELECT created_at, incident_linked, type FROM drill_tickets WHERE drill_id = $1 AND incident_linked',
      [incident.drillId],
    );
    return rows.map((r) => ({ createdAt: new Date(r.created_at), answeredAt: new Date(r.created_at), security: r.type === 'security' }));
  }
  const rows = await q.query<{ created_at: Date; answered_at: Date | null; type: string }>(
    `SELECT t.created_at, t.type,
            LEAST(t.first_responded_at,
                  (SELECT min(m.created_at) FROM ticket_messages m WHERE m.ticket_id = t.id AND m.kind IN ('auto','reply'))) AS answered_at
       FROM tickets t WHERE t.incident_id = $1`,
    [incident.id],
  );
  return rows.map((r) => ({ createdAt: new Date(r.created_at), answeredAt: r.answered_at ? new Date(r.answered_at) : null, security: r.type === 'security' }));
}

export async function notificationsOf(q: Queryable, incidentId: string): Promise<ReviewRecord['notifications']> {
  const rows = await q.query<{ channel: Channel; status: 'sent' | 'pending' | 'failed' | 'skipped'; n: number }>(
    `SELECT d.channel, d.status, count(*)::int AS n FROM deliveries d
       JOIN notification_events e ON e.id = d.event_id
      WHERE e.incident_id = $1 AND e.kind = 'incident_update'
      GROUP BY d.channel, d.status`,
    [incidentId],
  );
  const out: ReviewRecord['notifications'] = {};
  for (const r of rows) {
    const c = (out[r.channel] ??= { sent: 0, pending: 0, failed: 0, skipped: 0 });
    c[r.status] += Number(r.n);
  }
  return out;
}

export async function standInsOf(q: Queryable, drillId: string): Promise<NonNullable<ReviewRecord['standIns']>> {
  const rows = await q.query<{ channel: 'x' | 'slack'; n: number }>(
    'SELECT channel, count(*)::int AS n FROM drill_stand_in_posts WHERE drill_id = $1 GROUP BY channel',
    [drillId],
  );
  return Object.fromEntries(rows.map((r) => [r.channel, Number(r.n)]));
}

async function locksDuring(q: Queryable, from: Date, to: Date): Promise<Record<string, number>> {
  const rows = await q.query<{ source: string; n: number }>(
    'SELECT source, count(*)::int AS n FROM account_locks WHERE locked_at >= $1 AND locked_at <= $2 GROUP BY source ORDER BY source',
    [from, to],
  );
  return Object.fromEntries(rows.map((r) => [r.source, Number(r.n)]));
}

/** Everything the review's figures are computed from. `now` ends the window of an incident not yet resolved. */
export async function readRecord(q: Queryable, incident: Incident, now: Date): Promise<ReviewRecord> {
  const declaredAt = incident.startedAt;
  const end = incident.resolvedAt ?? now;
  const publicUpdates = incident.updates.filter((u) => u.visibility === 'public').map((u) => u.createdAt.getTime());
  const failure = await firstFailure(q, incident, declaredAt, end);
  const windowStart = failure && failure.at < declaredAt ? failure.at : declaredAt;
  const historyFrom = new Date(Math.min(windowStart.getTime(), declaredAt.getTime() - LOOKBACK_MS));
  return {
    declaredAt,
    firstPublicUpdateAt: publicUpdates.length ? new Date(Math.min(...publicUpdates)) : null,
    resolvedAt: incident.resolvedAt,
    firstFailureAt: failure?.at ?? null,
    firstFailureSource: failure?.source ?? null,
    componentHistory: await componentHistory(q, incident, historyFrom, end),
    tickets: await linkedTickets(q, incident),
    notifications: await notificationsOf(q, incident.id),
    ...(incident.drillId ? { standIns: await standInsOf(q, incident.drillId) } : {}),
    locks: incident.drillId ? null : await locksDuring(q, windowStart, end),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// What people wrote

export async function readSections(q: Queryable, incidentId: string): Promise<ReviewSections> {
  const [r] = await q.query<{ cause: string; went_well: string; went_badly: string; postmortem_ja: string; postmortem_en: string; version: number; updated_at: Date; updated_by: string | null }>(
    'SELECT * FROM incident_reviews WHERE incident_id = $1',
    [incidentId],
  );
  if (!r) return EMPTY_SECTIONS;
  return {
    cause: r.cause, wentWell: r.went_well, wentBadly: r.went_badly, postmortemJa: r.postmortem_ja, postmortemEn: r.postmortem_en,
    version: Number(r.version), updatedAt: new Date(r.updated_at), updatedBy: r.updated_by,
  };
}

/** Writes the sections if the stored version is still `expected` (0: none yet); false when someone saved meanwhile. */
export async function writeSections(q: Queryable, incidentId: string, s: Pick<ReviewSections, 'cause' | 'wentWell' | 'wentBadly'>, expected: number, by: string | null, at: Date): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO incident_reviews (incident_id, cause, went_well, went_badly, version, updated_at, updated_by)
     VALUES ($1,$2,$3,$4,1,$5,$6)
     ON CONFLICT (incident_id) DO UPDATE SET cause = $2, went_well = $3, went_badly = $4,
       version = incident_reviews.version + 1, updated_at = $5, updated_by = $6
       WHERE incident_reviews.version = $7
     RETURNING 1`,
    [incidentId, s.cause, s.wentWell, s.wentBadly, at, by, expected],
  );
  // expected 0 with a row already there: the conflict's WHERE (version = 0) never holds, nothing is returned.
  return rows.length > 0;
}

/** The public postmortem's text as being written (no version check: it has its own form). */
export async function writePostmortemDraft(q: Queryable, incidentId: string, ja: string, en: string, by: string | null, at: Date): Promise<void> {
  await q.query(
    `INSERT INTO incident_reviews (incident_id, postmortem_ja, postmortem_en, updated_at, updated_by) VALUES ($1,$2,$3,$4,$5)
     ON CONFLICT (incident_id) DO UPDATE SET postmortem_ja = $2, postmortem_en = $3, version = incident_reviews.version + 1, updated_at = $4, updated_by = $5`,
    [incidentId, ja, en, at, by],
  );
}

export async function listActions(q: Queryable, incidentId: string): Promise<ReviewAction[]> {
  const rows = await q.query<{ id: string; title: string; owner_id: string | null; owner_name: string | null; due_on: string | Date | null; done_at: Date | null; created_at: Date }>(
    `SELECT a.id, a.title, a.owner_id, s.name AS owner_name, a.due_on, a.done_at, a.created_at
       FROM review_actions a LEFT JOIN staff s ON s.id = a.owner_id
      WHERE a.incident_id = $1 ORDER BY a.created_at, a.id`,
    [incidentId],
  );
  return rows.map((r) => ({
    id: r.id, title: r.title, ownerId: r.owner_id, ownerName: r.owner_name,
    dueOn: r.due_on === null ? null : r.due_on instanceof Date ? r.due_on.toISOString().slice(0, 10) : String(r.due_on).slice(0, 10),
    doneAt: r.done_at ? new Date(r.done_at) : null, createdAt: new Date(r.created_at),
  }));
}

export async function insertAction(q: Queryable, a: { id: string; incidentId: string; title: string; ownerId: string | null; dueOn: string | null; at: Date; by: string | null }): Promise<void> {
  await q.query(
    `INSERT INTO review_actions (id, incident_id, title, owner_id, due_on, created_at, created_by) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
    [a.id, a.incidentId, a.title, a.ownerId, a.dueOn, a.at, a.by],
  );
}

/** Marks an action done (or not); false when there is no such action on that incident. */
export async function setActionDone(q: Queryable, incidentId: string, actionId: string, doneAt: Date | null): Promise<boolean> {
  const rows = await q.query('UPDATE review_actions SET done_at = $3 WHERE id = $1 AND incident_id = $2 RETURNING 1', [actionId, incidentId, doneAt]);
  return rows.length > 0;
}

/** Active staff, for owner choices. */
export async function listStaff(q: Queryable): Promise<StaffOption[]> {
  return q.query<StaffOption>('SELECT id, name, email, role FROM staff WHERE disabled_at IS NULL ORDER BY name, id');
}

export async function activeStaffExists(q: Queryable, id: string): Promise<boolean> {
  return (await q.query('SELECT 1 FROM staff WHERE id = $1 AND disabled_at IS NULL', [id])).length > 0;
}

/** Whether the exchange's X account is a live subscriber (a postmortem with notifications then goes to X too). */
export async function xAccountActive(q: Queryable): Promise<boolean> {
  const rows = await q.query(
    `SELECT 1 FROM subscribers WHERE channel = 'x' AND confirmed_at IS NOT NULL AND unsubscribed_at IS NULL AND disabled_at IS NULL LIMIT 1`,
  );
  return rows.length > 0;
}

export async function setPostmortemFlags(q: Queryable, incidentId: string, flags: { ignored?: boolean; notifiedTwitter?: boolean }): Promise<void> {
  await q.query(
    `UPDATE incidents SET postmortem_ignored = COALESCE($2, postmortem_ignored),
            postmortem_notified_twitter = COALESCE($3, postmortem_notified_twitter) WHERE id = $1`,
    [incidentId, flags.ignored ?? null, flags.notifiedTwitter ?? null],
  );
}
