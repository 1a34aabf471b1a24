/**
 * The room itself: its row and lock, the incident as the room reads it, and the room's own timeline events.
 */
import type { Queryable } from '../store/db.ts';
import type { IncidentStatus, IncidentType, MaintenanceStatus, Severity } from '../domain/incident.ts';
import { date, json } from './repository-rows.ts';

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
  /** Set for a drill's incident (src/drills): kept off every public surface. */
  drillId: string | null;
}

interface HeadRow {
  id: string; kind: 'incident' | 'maintenance'; type: IncidentType; severity: Severity; name_ja: string; name_en: string | null;
  status: IncidentStatus | MaintenanceStatus; started_at: Date; resolved_at: Date | null; component_ids: string[] | null; drill_id: string | null;
}

const HEAD_SELECT = `SELECT i.id, i.kind, i.type, i.severity, i.name_ja, i.name_en, i.status, i.started_at, i.resolved_at, i.drill_id,
  (SELECT array_agg(ic.component_id ORDER BY ic.component_id) FROM incident_components ic WHERE ic.incident_id = i.id) AS component_ids
  FROM incidents i`;

const toHead = (r: HeadRow): IncidentHead => ({
  id: r.id, kind: r.kind, type: r.type, severity: r.severity, nameJa: r.name_ja, nameEn: r.name_en, status: r.status,
  startedAt: new Date(r.started_at), resolvedAt: date(r.resolved_at), componentIds: r.component_ids ?? [], drillId: r.drill_id ?? null,
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
