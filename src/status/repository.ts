import type { Queryable } from '../store/db.ts';
import type { Component, ComponentStatus } from '../domain/component.ts';
import type { AffectedComponent, Incident, IncidentUpdate, IncidentKind } from '../domain/incident.ts';
import type { StatusChange } from '../domain/uptime.ts';

interface ComponentRow {
  id: string;
  group_id: string | null;
  is_group: boolean;
  name_ja: string;
  name_en: string;
  description_ja: string | null;
  description_en: string | null;
  position: number;
  status: ComponentStatus;
  showcase: boolean;
  only_show_if_degraded: boolean;
  start_date: string | Date | null;
  created_at: Date;
  updated_at: Date;
}

function toComponent(r: ComponentRow): Component {
  return {
    id: r.id,
    groupId: r.group_id,
    isGroup: r.is_group,
    nameJa: r.name_ja,
    nameEn: r.name_en,
    descriptionJa: r.description_ja,
    descriptionEn: r.description_en,
    position: r.position,
    status: r.status,
    showcase: r.showcase,
    onlyShowIfDegraded: r.only_show_if_degraded,
    startDate: r.start_date === null ? null : r.start_date instanceof Date ? r.start_date.toISOString().slice(0, 10) : String(r.start_date).slice(0, 10),
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

export async function listComponents(q: Queryable): Promise<Component[]> {
  const rows = await q.query<ComponentRow>('SELECT * FROM components ORDER BY position, name_en');
  return rows.map(toComponent);
}

export async function lockComponents(q: Queryable, ids: readonly string[]): Promise<Map<string, Component>> {
  if (ids.length === 0) return new Map();
  const rows = await q.query<ComponentRow>('SELECT * FROM components WHERE id = ANY($1) FOR UPDATE', [ids]);
  return new Map(rows.map((r) => [r.id, toComponent(r)]));
}

interface IncidentRow {
  id: string;
  kind: IncidentKind;
  type: Incident['type'];
  severity: Incident['severity'];
  name_ja: string;
  name_en: string | null;
  status: Incident['status'];
  impact: Incident['impact'];
  created_at: Date;
  updated_at: Date;
  started_at: Date;
  monitoring_at: Date | null;
  resolved_at: Date | null;
  scheduled_for: Date | null;
  scheduled_until: Date | null;
  auto_transition: boolean;
  component_ids: string[] | null;
  drill_id?: string | null;
  postmortem_ignored?: boolean;
  postmortem_notified_twitter?: boolean;
}

interface UpdateRow {
  id: string;
  incident_id: string;
  status: IncidentUpdate['status'];
  visibility: IncidentUpdate['visibility'];
  body_ja: string;
  body_en: string | null;
  affected_components: AffectedComponent[];
  deliver_notifications: boolean;
  author_id: string | null;
  created_at: Date;
  display_at: Date;
  edited_at: Date | null;
}

const date = (d: Date | string | null): Date | null => (d === null ? null : new Date(d));

function toUpdate(r: UpdateRow): IncidentUpdate {
  return {
    id: r.id,
    incidentId: r.incident_id,
    status: r.status,
    visibility: r.visibility,
    bodyJa: r.body_ja,
    bodyEn: r.body_en,
    affectedComponents: r.affected_components ?? [],
    deliverNotifications: r.deliver_notifications,
    authorId: r.author_id,
    createdAt: new Date(r.created_at),
    displayAt: new Date(r.display_at),
    editedAt: date(r.edited_at),
  };
}

const INCIDENT_SELECT = `
  SELECT i.*, (SELECT array_agg(ic.component_id ORDER BY ic.component_id) FROM incident_components ic
               WHERE ic.incident_id = i.id) AS component_ids
  FROM incidents i`;

async function attachUpdates(q: Queryable, rows: IncidentRow[], includeInternal: boolean, withUpdates = true): Promise<Incident[]> {
  if (rows.length === 0) return [];
  const updates = !withUpdates ? [] : await q.query<UpdateRow>(
    `SELECT * FROM incident_updates WHERE incident_id = ANY($1) ${includeInternal ? '' : "AND visibility = 'public'"}
     ORDER BY display_at DESC, created_at DESC`,
    [rows.map((r) => r.id)],
  );
  const byIncident = new Map<string, IncidentUpdate[]>();
  for (const u of updates) {
    const list = byIncident.get(u.incident_id) ?? [];
    list.push(toUpdate(u));
    byIncident.set(u.incident_id, list);
  }
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    type: r.type,
    severity: r.severity,
    nameJa: r.name_ja,
    nameEn: r.name_en,
    status: r.status,
    impact: r.impact,
    componentIds: r.component_ids ?? [],
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    startedAt: new Date(r.started_at),
    monitoringAt: date(r.monitoring_at),
    resolvedAt: date(r.resolved_at),
    scheduledFor: date(r.scheduled_for),
    scheduledUntil: date(r.scheduled_until),
    autoTransition: r.auto_transition,
    updates: byIncident.get(r.id) ?? [],
    drillId: r.drill_id ?? null,
    postmortemIgnored: r.postmortem_ignored ?? false,
    postmortemNotifiedTwitter: r.postmortem_notified_twitter ?? false,
  }));
}

/** Open incidents and maintenances, plus the most recent closed ones, newest first. Drills are never among them. */
export async function listIncidentsForPage(
  q: Queryable,
  opts: { recentLimit: number; includeInternal?: boolean },
): Promise<Incident[]> {
  const rows = await q.query<IncidentRow>(
    `${INCIDENT_SELECT}
     WHERE i.drill_id IS NULL AND (i.status NOT IN ('resolved','postmortem','completed')
        OR i.id IN (SELECT id FROM incidents WHERE kind = 'incident' AND status IN ('resolved','postmortem') AND drill_id IS NULL
                    ORDER BY created_at DESC LIMIT $1)
        OR i.id IN (SELECT id FROM incidents WHERE kind = 'maintenance' AND status = 'completed' AND drill_id IS NULL
                    ORDER BY scheduled_for DESC LIMIT $1))
     ORDER BY i.created_at DESC`,
    [opts.recentLimit],
  );
  return attachUpdates(q, rows, opts.includeInternal ?? false);
}

export async function getIncident(
  q: Queryable,
  id: string,
  /** withUpdates false: the incident alone, its `updates` empty (a write that needs only its state). */
  opts: { includeInternal: boolean; forUpdate?: boolean; withUpdates?: boolean },
): Promise<Incident | undefined> {
  const rows = await q.query<IncidentRow>(`${INCIDENT_SELECT} WHERE i.id = $1 ${opts.forUpdate ? 'FOR UPDATE OF i' : ''}`, [id]);
  const [incident] = await attachUpdates(q, rows, opts.includeInternal, opts.withUpdates ?? true);
  return incident;
}

/**
 * Components that other open incidents or running maintenances still hold, with the strongest holder:
 * an open incident outranks a maintenance.
 */
export async function componentHolders(q: Queryable, exceptIncidentId: string): Promise<Map<string, 'incident' | 'maintenance'>> {
  const rows = await q.query<{ component_id: string; kind: 'incident' | 'maintenance' }>(
    `SELECT DISTINCT ic.component_id, i.kind FROM incident_components ic JOIN incidents i ON i.id = ic.incident_id
     WHERE i.id <> $1 AND i.drill_id IS NULL AND i.status IN ('investigating','identified','monitoring','in_progress','verifying')`,
    [exceptIncidentId],
  );
  const holders = new Map<string, 'incident' | 'maintenance'>();
  for (const r of rows) if (holders.get(r.component_id) !== 'incident') holders.set(r.component_id, r.kind);
  return holders;
}

/**
 * Takes the page lock first. Every write that touches components, incidents or updates does so, so locks are
 * always taken in one order (page, then rows) and two staff members acting at once never deadlock.
 */
export async function lockPage(q: Queryable): Promise<void> {
  await q.query('SELECT 1 FROM page_state WHERE id = 1 FOR UPDATE');
}

/** Status changes since `since` per component, plus the last change before it (the starting state). */
export async function statusHistorySince(q: Queryable, since: Date): Promise<Map<string, StatusChange[]>> {
  const rows = await q.query<{ component_id: string; status: ComponentStatus; at: Date }>(
    `SELECT * FROM (
       SELECT component_id, status, at FROM component_status_history WHERE at >= $1
       UNION ALL
       (SELECT DISTINCT ON (component_id) component_id, status, at FROM component_status_history
          WHERE at < $1 ORDER BY component_id, at DESC)
     ) h ORDER BY at`,
    [since],
  );
  const map = new Map<string, StatusChange[]>();
  for (const r of rows) {
    const list = map.get(r.component_id) ?? [];
    list.push({ status: r.status, at: new Date(r.at) });
    map.set(r.component_id, list);
  }
  return map;
}

export async function pageVersion(q: Queryable): Promise<{ version: number; changedAt: Date }> {
  const [row] = await q.query<{ version: number; changed_at: Date }>('SELECT version, changed_at FROM page_state WHERE id = 1');
  if (!row) throw new Error('page_state row is missing');
  return { version: row.version, changedAt: new Date(row.changed_at) };
}

/** Public incidents and maintenances that started (or were scheduled) in [from, to), newest first (no drills). */
export async function listIncidentsBetween(q: Queryable, from: Date, to: Date): Promise<Incident[]> {
  const rows = await q.query<IncidentRow>(
    `${INCIDENT_SELECT}
     WHERE i.drill_id IS NULL AND COALESCE(i.scheduled_for, i.started_at) >= $1 AND COALESCE(i.scheduled_for, i.started_at) < $2
     ORDER BY COALESCE(i.scheduled_for, i.started_at) DESC LIMIT 500`,
    [from, to],
  );
  return attachUpdates(q, rows, false);
}

/** When the oldest incident or maintenance began (its month is where the history's archive starts), or null. */
export async function oldestIncidentStart(q: Queryable): Promise<Date | null> {
  const [row] = await q.query<{ at: Date | null }>('SELECT min(COALESCE(scheduled_for, started_at)) AS at FROM incidents WHERE drill_id IS NULL');
  return row?.at ? new Date(row.at) : null;
}

/** An incident (not a maintenance) by id, as a choice: its names only; null when there is none. */
export async function incidentOption(q: Queryable, id: string): Promise<{ id: string; nameJa: string; nameEn: string | null } | null> {
  const [row] = await q.query<{ id: string; name_ja: string; name_en: string | null }>(`SELECT id, name_ja, name_en FROM incidents WHERE id = $1 AND kind = 'incident'`, [id]);
  return row ? { id: row.id, nameJa: row.name_ja, nameEn: row.name_en } : null;
}
