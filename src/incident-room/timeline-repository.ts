/**
 * The reads that put one incident's timeline together from the tables that already hold its parts: updates,
 * monitor changes and proposals, linked tickets, detection locks, and deliveries.
 */
import type { Queryable } from '../store/db.ts';
import type { ComponentStatus } from '../domain/component.ts';
import type { AffectedComponent, IncidentStatus, MaintenanceStatus, Visibility } from '../domain/incident.ts';
import { date, json } from './repository-rows.ts';

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
