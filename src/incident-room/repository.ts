/**
 * All of the incident room's SQL: rooms, roles, tasks, room events, update templates, and the reads that put
 * one incident's timeline together from the tables that already hold its parts.
 */
import type { Queryable } from '../store/db.ts';
import type { ComponentStatus } from '../domain/component.ts';
import type { AffectedComponent, IncidentStatus, IncidentType, MaintenanceStatus, Severity, Visibility } from '../domain/incident.ts';
import type { Role } from '../staff/permissions.ts';

const date = (d: Date | string | null | undefined): Date | null => (d === null || d === undefined ? null : new Date(d));
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

/** Rooms of different incidents never wait for each other; one room's writes go one at a time. */
const ROOM_LOCK_SPACE = 7_301_960;

export async function lockRoom(tx: Queryable, incidentId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ROOM_LOCK_SPACE, incidentId]);
}

// ---------------------------------------------------------------------------------------------------------
// Incidents as the room needs them

export interface IncidentHead {
  id: string;
  kind: 'incident' | 'maintenance';
  type: IncidentType;
  severity: Severity;
  nameJa: string;
  nameEn: string | null;
  status: IncidentStatus | MaintenanceStatus;
  startedAt: Date;
  resolvedAt: Date | null;
  componentIds: string[];
}

interface HeadRow {
  id: string; kind: 'incident' | 'maintenance'; type: IncidentType; severity: Severity; name_ja: string; name_en: string | null;
  status: IncidentStatus | MaintenanceStatus; started_at: Date; resolved_at: Date | null; component_ids: string[] | null;
}

const HEAD_SELECT = `SELECT i.id, i.kind, i.type, i.severity, i.name_ja, i.name_en, i.status, i.started_at, i.resolved_at,
  (SELECT array_agg(ic.component_id ORDER BY ic.component_id) FROM incident_components ic WHERE ic.incident_id = i.id) AS component_ids
  FROM incidents i`;

const toHead = (r: HeadRow): IncidentHead => ({
  id: r.id, kind: r.kind, type: r.type, severity: r.severity, nameJa: r.name_ja, nameEn: r.name_en, status: r.status,
  startedAt: new Date(r.started_at), resolvedAt: date(r.resolved_at), componentIds: r.component_ids ?? [],
});

export async function incidentHead(q: Queryable, id: string): Promise<IncidentHead | null> {
  const [row] = await q.query<HeadRow>(`${HEAD_SELECT} WHERE i.id = $1`, [id]);
  return row ? toHead(row) : null;
}

/** Open incidents (not maintenances), most severe first, then the oldest. */
export async function openIncidentHeads(q: Queryable): Promise<IncidentHead[]> {
  const rows = await q.query<HeadRow>(
    `${HEAD_SELECT} WHERE i.kind = 'incident' AND i.status IN ('investigating','identified','monitoring')
     ORDER BY i.severity, i.started_at`,
  );
  return rows.map(toHead);
}

export async function componentMetadata(q: Queryable, ids: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
  if (ids.length === 0) return new Map();
  const rows = await q.query<{ id: string; metadata: Record<string, unknown> | string | null }>(
    'SELECT id, metadata FROM components WHERE id = ANY($1::text[])', [ids],
  );
  return new Map(rows.map((r) => [r.id, json<Record<string, unknown> | null>(r.metadata) ?? {}]));
}

// ---------------------------------------------------------------------------------------------------------
// Rooms

/** Creates the room row; false when it existed already (the checklist was added then). */
export async function insertRoom(tx: Queryable, incidentId: string, at: Date, checklistType: string): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO incident_rooms (incident_id, opened_at, checklist_type) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING RETURNING incident_id`,
    [incidentId, at, checklistType],
  );
  return rows.length === 1;
}

export async function incidentsWithoutRoom(q: Queryable, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await q.query<{ id: string }>(
    'SELECT id FROM unnest($1::text[]) AS x(id) WHERE NOT EXISTS (SELECT 1 FROM incident_rooms r WHERE r.incident_id = x.id)', [ids],
  );
  return rows.map((r) => r.id);
}

// ---------------------------------------------------------------------------------------------------------
// Staff

export interface StaffRow {
  id: string;
  name: string;
  email: string;
  role: Role;
  disabledAt: Date | null;
}

export async function staffById(q: Queryable, id: string): Promise<StaffRow | null> {
  const [r] = await q.query<{ id: string; name: string; email: string; role: Role; disabled_at: Date | null }>(
    'SELECT id, name, email, role, disabled_at FROM staff WHERE id = $1', [id],
  );
  return r ? { id: r.id, name: r.name, email: r.email, role: r.role, disabledAt: date(r.disabled_at) } : null;
}

export async function activeStaff(q: Queryable): Promise<StaffRow[]> {
  const rows = await q.query<{ id: string; name: string; email: string; role: Role }>(
    'SELECT id, name, email, role FROM staff WHERE disabled_at IS NULL ORDER BY name, id',
  );
  return rows.map((r) => ({ ...r, disabledAt: null }));
}

// ---------------------------------------------------------------------------------------------------------
// Roles

export interface Assignment {
  id: string;
  incidentId: string;
  role: string;
  staffId: string;
  staffName: string;
  staffEmail: string;
  staffRole: Role;
  assignedAt: Date;
}

export async function activeAssignments(q: Queryable, incidentIds: readonly string[]): Promise<Assignment[]> {
  if (incidentIds.length === 0) return [];
  const rows = await q.query<{ id: string; incident_id: string; role: string; staff_id: string; name: string; email: string; staff_role: Role; assigned_at: Date }>(
    `SELECT a.id, a.incident_id, a.role, a.staff_id, s.name, s.email, s.role AS staff_role, a.assigned_at
       FROM incident_role_assignments a JOIN staff s ON s.id = a.staff_id
      WHERE a.incident_id = ANY($1::text[]) AND a.released_at IS NULL
      ORDER BY a.assigned_at, a.id`,
    [incidentIds],
  );
  return rows.map((r) => ({
    id: r.id, incidentId: r.incident_id, role: r.role, staffId: r.staff_id, staffName: r.name, staffEmail: r.email,
    staffRole: r.staff_role, assignedAt: new Date(r.assigned_at),
  }));
}

export async function insertAssignment(
  tx: Queryable,
  a: { id: string; incidentId: string; role: string; staffId: string; assignedBy: string | null; at: Date },
): Promise<void> {
  await tx.query(
    `INSERT INTO incident_role_assignments (id, incident_id, role, staff_id, assigned_by, assigned_at) VALUES ($1,$2,$3,$4,$5,$6)`,
    [a.id, a.incidentId, a.role, a.staffId, a.assignedBy, a.at],
  );
}

export async function releaseAssignment(tx: Queryable, id: string, at: Date, by: string | null): Promise<void> {
  await tx.query('UPDATE incident_role_assignments SET released_at = $2, released_by = $3 WHERE id = $1 AND released_at IS NULL', [id, at, by]);
}

// ---------------------------------------------------------------------------------------------------------
// Tasks

export interface Task {
  id: string;
  incidentId: string;
  position: number;
  checklistKey: string | null;
  titleJa: string;
  titleEn: string | null;
  ownerId: string | null;
  ownerName: string | null;
  ownerRole: string | null;
  dueAt: Date | null;
  doneAt: Date | null;
  doneBy: string | null;
  doneByName: string | null;
  createdAt: Date;
}

interface TaskRow {
  id: string; incident_id: string; position: number; checklist_key: string | null; title_ja: string; title_en: string | null;
  owner_id: string | null; owner_name: string | null; owner_role: string | null; due_at: Date | null; done_at: Date | null;
  done_by: string | null; done_by_name: string | null; created_at: Date;
}

const TASK_SELECT = `SELECT t.*, o.name AS owner_name, d.name AS done_by_name
  FROM incident_tasks t LEFT JOIN staff o ON o.id = t.owner_id LEFT JOIN staff d ON d.id = t.done_by`;

const toTask = (r: TaskRow): Task => ({
  id: r.id, incidentId: r.incident_id, position: r.position, checklistKey: r.checklist_key, titleJa: r.title_ja, titleEn: r.title_en,
  ownerId: r.owner_id, ownerName: r.owner_name, ownerRole: r.owner_role, dueAt: date(r.due_at), doneAt: date(r.done_at),
  doneBy: r.done_by, doneByName: r.done_by_name, createdAt: new Date(r.created_at),
});

export async function tasksOf(q: Queryable, incidentId: string): Promise<Task[]> {
  const rows = await q.query<TaskRow>(`${TASK_SELECT} WHERE t.incident_id = $1 ORDER BY t.position, t.created_at, t.id`, [incidentId]);
  return rows.map(toTask);
}

export async function findTask(q: Queryable, incidentId: string, taskId: string): Promise<Task | null> {
  const [row] = await q.query<TaskRow>(`${TASK_SELECT} WHERE t.incident_id = $1 AND t.id = $2`, [incidentId, taskId]);
  return row ? toTask(row) : null;
}

export async function nextTaskPosition(tx: Queryable, incidentId: string): Promise<number> {
  const [row] = await tx.query<{ n: number }>('SELECT COALESCE(max(position), 0)::int + 1 AS n FROM incident_tasks WHERE incident_id = $1', [incidentId]);
  return row?.n ?? 1;
}

export async function insertTask(
  tx: Queryable,
  t: {
    id: string; incidentId: string; position: number; checklistKey: string | null; titleJa: string; titleEn: string | null;
    ownerId: string | null; ownerRole: string | null; dueAt: Date | null; createdBy: string | null; at: Date;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO incident_tasks (id, incident_id, position, checklist_key, title_ja, title_en, owner_id, owner_role, due_at,
       created_at, created_by, updated_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$10)`,
    [t.id, t.incidentId, t.position, t.checklistKey, t.titleJa, t.titleEn, t.ownerId, t.ownerRole, t.dueAt, t.at, t.createdBy],
  );
}

export async function updateTask(
  tx: Queryable,
  id: string,
  t: { titleJa: string; titleEn: string | null; ownerId: string | null; ownerRole: string | null; dueAt: Date | null; at: Date },
): Promise<void> {
  await tx.query(
    `UPDATE incident_tasks SET title_ja = $2, title_en = $3, owner_id = $4, owner_role = $5, due_at = $6, updated_at = $7 WHERE id = $1`,
    [id, t.titleJa, t.titleEn, t.ownerId, t.ownerRole, t.dueAt, t.at],
  );
}

/** Ticks (`done`) or unticks a task at `at`. */
export async function setTaskDone(tx: Queryable, id: string, done: boolean, at: Date, by: string | null): Promise<void> {
  await tx.query('UPDATE incident_tasks SET done_at = $2, done_by = $3, updated_at = $4 WHERE id = $1', [id, done ? at : null, done ? by : null, at]);
}

/** Open tasks of a staff member in open incidents: theirs by name, or by a role they hold in that incident. */
export interface MyTask extends Task {
  incidentNameJa: string;
  incidentNameEn: string | null;
  severity: Severity;
}

export async function openTasksOf(q: Queryable, staffId: string): Promise<MyTask[]> {
  const rows = await q.query<TaskRow & { incident_name_ja: string; incident_name_en: string | null; severity: Severity }>(
    `SELECT t.*, o.name AS owner_name, NULL::text AS done_by_name, i.name_ja AS incident_name_ja, i.name_en AS incident_name_en, i.severity
       FROM incident_tasks t JOIN incidents i ON i.id = t.incident_id LEFT JOIN staff o ON o.id = t.owner_id
      WHERE t.done_at IS NULL AND i.status IN ('investigating','identified','monitoring')
        AND (t.owner_id = $1 OR (t.owner_id IS NULL AND t.owner_role IS NOT NULL AND EXISTS (
              SELECT 1 FROM incident_role_assignments a
               WHERE a.incident_id = t.incident_id AND a.role = t.owner_role AND a.staff_id = $1 AND a.released_at IS NULL)))
      ORDER BY t.due_at NULLS LAST, i.severity, t.position
      LIMIT 200`,
    [staffId],
  );
  return rows.map((r) => ({ ...toTask(r), incidentNameJa: r.incident_name_ja, incidentNameEn: r.incident_name_en, severity: r.severity }));
}

// ---------------------------------------------------------------------------------------------------------
// Room events

export type RoomEventKind =
  | 'room_opened' | 'role_assigned' | 'role_handover' | 'role_released' | 'task_added' | 'task_edited' | 'task_done' | 'task_reopened'
  | 'update_composed';

export interface RoomEvent {
  id: number;
  at: Date;
  actorType: 'staff' | 'system' | 'user';
  actorId: string | null;
  actorName: string | null;
  kind: RoomEventKind;
  data: Record<string, unknown>;
}

export async function insertRoomEvent(
  tx: Queryable,
  e: { incidentId: string; at: Date; actorType: 'staff' | 'system' | 'user'; actorId: string | null; kind: RoomEventKind; data: Record<string, unknown> },
): Promise<void> {
  await tx.query(
    'INSERT INTO incident_room_events (incident_id, at, actor_type, actor_id, kind, data) VALUES ($1,$2,$3,$4,$5,$6::jsonb)',
    [e.incidentId, e.at, e.actorType, e.actorId, e.kind, JSON.stringify(e.data)],
  );
}

export async function roomEvents(q: Queryable, incidentId: string): Promise<RoomEvent[]> {
  const rows = await q.query<{ id: string | number; at: Date; actor_type: RoomEvent['actorType']; actor_id: string | null; name: string | null; kind: RoomEventKind; data: unknown }>(
    `SELECT e.id, e.at, e.actor_type, e.actor_id, s.name, e.kind, e.data
       FROM incident_room_events e LEFT JOIN staff s ON e.actor_type = 'staff' AND s.id = e.actor_id
      WHERE e.incident_id = $1 ORDER BY e.at, e.id LIMIT 2000`,
    [incidentId],
  );
  return rows.map((r) => ({
    id: Number(r.id), at: new Date(r.at), actorType: r.actor_type, actorId: r.actor_id, actorName: r.name, kind: r.kind,
    data: json<Record<string, unknown>>(r.data) ?? {},
  }));
}

// ---------------------------------------------------------------------------------------------------------
// Update templates

export interface UpdateTemplate {
  id: string;
  builtinKey: string | null;
  nameJa: string;
  nameEn: string | null;
  status: IncidentStatus | null;
  bodyJa: string;
  bodyEn: string | null;
  position: number;
  updatedAt: Date;
  updatedByName: string | null;
  archivedAt: Date | null;
}

interface TemplateRow {
  id: string; builtin_key: string | null; name_ja: string; name_en: string | null; status: IncidentStatus | null; body_ja: string;
  body_en: string | null; position: number; updated_at: Date; updated_by_name: string | null; archived_at: Date | null;
}

const toTemplate = (r: TemplateRow): UpdateTemplate => ({
  id: r.id, builtinKey: r.builtin_key, nameJa: r.name_ja, nameEn: r.name_en, status: r.status, bodyJa: r.body_ja, bodyEn: r.body_en,
  position: r.position, updatedAt: new Date(r.updated_at), updatedByName: r.updated_by_name, archivedAt: date(r.archived_at),
});

const TEMPLATE_SELECT = 'SELECT t.*, s.name AS updated_by_name FROM update_templates t LEFT JOIN staff s ON s.id = t.updated_by';

export async function listTemplates(q: Queryable, opts: { includeArchived: boolean }): Promise<UpdateTemplate[]> {
  const rows = await q.query<TemplateRow>(
    `${TEMPLATE_SELECT} ${opts.includeArchived ? '' : 'WHERE t.archived_at IS NULL'} ORDER BY t.archived_at IS NOT NULL, t.position, t.created_at, t.id`,
  );
  return rows.map(toTemplate);
}

export async function findTemplate(q: Queryable, id: string): Promise<UpdateTemplate | null> {
  const [row] = await q.query<TemplateRow>(`${TEMPLATE_SELECT} WHERE t.id = $1`, [id]);
  return row ? toTemplate(row) : null;
}

export interface TemplateFields {
  nameJa: string;
  nameEn: string | null;
  status: IncidentStatus | null;
  bodyJa: string;
  bodyEn: string | null;
}

/** A built-in template, added once: never again after staff archived or changed it. */
export async function insertBuiltinTemplate(q: Queryable, t: TemplateFields & { id: string; key: string; position: number; at: Date }): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO update_templates (id, builtin_key, name_ja, name_en, status, body_ja, body_en, position, created_at, updated_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$9) ON CONFLICT (builtin_key) DO NOTHING RETURNING id`,
    [t.id, t.key, t.nameJa, t.nameEn, t.status, t.bodyJa, t.bodyEn, t.position, t.at],
  );
  return rows.length === 1;
}

export async function insertTemplate(tx: Queryable, t: TemplateFields & { id: string; by: string | null; at: Date }): Promise<void> {
  await tx.query(
    `INSERT INTO update_templates (id, name_ja, name_en, status, body_ja, body_en, position, created_at, updated_at, updated_by)
     VALUES ($1,$2,$3,$4,$5,$6,(SELECT COALESCE(max(position), 0) + 1 FROM update_templates),$7,$7,$8)`,
    [t.id, t.nameJa, t.nameEn, t.status, t.bodyJa, t.bodyEn, t.at, t.by],
  );
}

export async function updateTemplate(tx: Queryable, id: string, t: TemplateFields & { by: string | null; at: Date }): Promise<boolean> {
  const rows = await tx.query(
    `UPDATE update_templates SET name_ja = $2, name_en = $3, status = $4, body_ja = $5, body_en = $6, updated_at = $7, updated_by = $8
      WHERE id = $1 RETURNING id`,
    [id, t.nameJa, t.nameEn, t.status, t.bodyJa, t.bodyEn, t.at, t.by],
  );
  return rows.length === 1;
}

export async function setTemplateArchived(tx: Queryable, id: string, archivedAt: Date | null, by: string | null): Promise<boolean> {
  const rows = await tx.query(
    'UPDATE update_templates SET archived_at = $2, updated_at = COALESCE($2, updated_at), updated_by = $3 WHERE id = $1 RETURNING id',
    [id, archivedAt, by],
  );
  return rows.length === 1;
}

// ---------------------------------------------------------------------------------------------------------
// Timeline sources

export interface UpdateRecord {
  id: string;
  status: IncidentStatus | MaintenanceStatus;
  visibility: Visibility;
  bodyJa: string;
  bodyEn: string | null;
  affected: AffectedComponent[];
  authorId: string | null;
  authorName: string | null;
  createdAt: Date;
}

export async function updatesOf(q: Queryable, incidentId: string): Promise<UpdateRecord[]> {
  const rows = await q.query<{
    id: string; status: UpdateRecord['status']; visibility: Visibility; body_ja: string; body_en: string | null;
    affected_components: AffectedComponent[] | string; author_id: string | null; name: string | null; created_at: Date;
  }>(
    `SELECT u.id, u.status, u.visibility, u.body_ja, u.body_en, u.affected_components, u.author_id, s.name, u.created_at
       FROM incident_updates u LEFT JOIN staff s ON s.id = u.author_id
      WHERE u.incident_id = $1 ORDER BY u.created_at, u.id`,
    [incidentId],
  );
  return rows.map((r) => ({
    id: r.id, status: r.status, visibility: r.visibility, bodyJa: r.body_ja, bodyEn: r.body_en,
    affected: json<AffectedComponent[]>(r.affected_components) ?? [], authorId: r.author_id, authorName: r.name, createdAt: new Date(r.created_at),
  }));
}

export interface MonitorChange {
  at: Date;
  monitorName: string;
  fromHealth: string;
  toHealth: string;
  detail: string;
  componentStatuses: Record<string, ComponentStatus>;
}

/** Damped state changes of monitors bound to the incident's components, in the incident's window. */
export async function monitorChangesFor(q: Queryable, componentIds: readonly string[], from: Date, to: Date): Promise<MonitorChange[]> {
  if (componentIds.length === 0) return [];
  const rows = await q.query<{ at: Date; name: string; from_health: string; to_health: string; detail: string; component_statuses: unknown }>(
    `SELECT c.at, m.name, c.from_health, c.to_health, c.detail, c.component_statuses
       FROM monitor_changes c JOIN monitors m ON m.id = c.monitor_id
      WHERE c.at >= $2 AND c.at <= $3
        AND EXISTS (SELECT 1 FROM jsonb_object_keys(c.component_statuses) k WHERE k = ANY($1::text[]))
      ORDER BY c.at, c.id LIMIT 500`,
    [componentIds, from, to],
  );
  return rows.map((r) => ({
    at: new Date(r.at), monitorName: r.name, fromHealth: r.from_health, toHealth: r.to_health, detail: r.detail,
    componentStatuses: json<Record<string, ComponentStatus>>(r.component_statuses) ?? {},
  }));
}

export interface ProposalRecord {
  id: string;
  kind: 'declare' | 'resolve';
  monitorName: string;
  status: 'open' | 'accepted' | 'dismissed';
  createdAt: Date;
  decidedAt: Date | null;
  decidedByName: string | null;
}

export async function proposalsFor(q: Queryable, incidentId: string): Promise<ProposalRecord[]> {
  const rows = await q.query<{ id: string; kind: 'declare' | 'resolve'; monitor_name: string; status: ProposalRecord['status']; created_at: Date; decided_at: Date | null; name: string | null }>(
    `SELECT p.id, p.kind, p.monitor_name, p.status, p.created_at, p.decided_at, s.name
       FROM monitor_proposals p LEFT JOIN staff s ON s.id = p.decided_by
      WHERE p.incident_id = $1 ORDER BY p.created_at LIMIT 100`,
    [incidentId],
  );
  return rows.map((r) => ({
    id: r.id, kind: r.kind, monitorName: r.monitor_name, status: r.status, createdAt: new Date(r.created_at),
    decidedAt: date(r.decided_at), decidedByName: r.name,
  }));
}

/** Counts per quarter hour (the last one's time), oldest first. */
export interface Bucket {
  at: Date;
  count: number;
}

const BUCKET_SECONDS = 900;

export async function linkedTicketBuckets(q: Queryable, incidentId: string): Promise<Bucket[]> {
  const rows = await q.query<{ last: Date; n: number }>(
    `SELECT max(created_at) AS last, count(*)::int AS n FROM tickets WHERE incident_id = $1
      GROUP BY floor(extract(epoch FROM created_at) / ${BUCKET_SECONDS}) ORDER BY 1 LIMIT 2000`,
    [incidentId],
  );
  return rows.map((r) => ({ at: new Date(r.last), count: r.n }));
}

export async function detectionLockBuckets(q: Queryable, from: Date, to: Date): Promise<Bucket[]> {
  const rows = await q.query<{ last: Date; n: number }>(
    `SELECT max(locked_at) AS last, count(*)::int AS n FROM account_locks
      WHERE source = 'detection' AND locked_at >= $1 AND locked_at <= $2
      GROUP BY floor(extract(epoch FROM locked_at) / ${BUCKET_SECONDS}) ORDER BY 1 LIMIT 2000`,
    [from, to],
  );
  return rows.map((r) => ({ at: new Date(r.last), count: r.n }));
}

export interface DeliveryCount {
  updateId: string;
  channel: string;
  status: 'pending' | 'sent' | 'failed' | 'skipped';
  count: number;
  lastSentAt: Date | null;
  queuedAt: Date;
}

export async function deliveryCounts(q: Queryable, incidentId: string): Promise<DeliveryCount[]> {
  const rows = await q.query<{ update_id: string; channel: string; status: DeliveryCount['status']; n: number; last_sent: Date | null; queued: Date }>(
    `SELECT e.update_id, d.channel, d.status, count(*)::int AS n, max(d.sent_at) AS last_sent, min(e.created_at) AS queued
       FROM notification_events e JOIN deliveries d ON d.event_id = e.id
      WHERE e.kind = 'incident_update' AND e.incident_id = $1
      GROUP BY e.update_id, d.channel, d.status`,
    [incidentId],
  );
  return rows.map((r) => ({
    updateId: r.update_id, channel: r.channel, status: r.status, count: r.n, lastSentAt: date(r.last_sent), queuedAt: new Date(r.queued),
  }));
}

// ---------------------------------------------------------------------------------------------------------
// The staff home and the composer

export interface PendingUnlock {
  id: string;
  accountId: string;
  requesterName: string;
  requestedAt: Date;
  note: string;
}

/** Unlock requests another staff member made that are waiting for a second person's decision. */
export async function pendingUnlocksFor(q: Queryable, staffId: string): Promise<PendingUnlock[]> {
  const rows = await q.query<{ id: string; account_id: string; name: string; requested_at: Date; note: string }>(
    `SELECT r.id, r.account_id, s.name, r.requested_at, r.note
       FROM unlock_requests r JOIN staff s ON s.id = r.requested_by
      WHERE r.decision IS NULL AND r.requested_by <> $1
      ORDER BY r.requested_at LIMIT 50`,
    [staffId],
  );
  return rows.map((r) => ({ id: r.id, accountId: r.account_id, requesterName: r.name, requestedAt: new Date(r.requested_at), note: r.note }));
}

/**
 * Active subscribers per channel and language who would hear about an update touching `componentIds`, by the
 * fan-out's own rule (src/notify/fanout/expand.ts): a subscriber with a component list hears when one of the
 * components or its group is in it; news about no component reaches everyone.
 */
export async function audienceCounts(q: Queryable, componentIds: readonly string[]): Promise<{ channel: string; lang: string; count: number }[]> {
  const rows = await q.query<{ channel: string; lang: string; n: number }>(
    `WITH comps AS (SELECT c.id, c.group_id FROM components c WHERE c.id = ANY($1::text[]))
     SELECT s.channel, s.lang, count(*)::int AS n FROM subscribers s
      WHERE s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL AND s.disabled_at IS NULL
        AND (s.components IS NULL OR NOT EXISTS (SELECT 1 FROM comps)
             OR EXISTS (SELECT 1 FROM comps WHERE s.components ? comps.id OR (comps.group_id IS NOT NULL AND s.components ? comps.group_id)))
      GROUP BY s.channel, s.lang`,
    [componentIds],
  );
  return rows.map((r) => ({ channel: r.channel, lang: r.lang, count: r.n }));
}
