/**
 * One timeline per incident, put together from where each part already lives: public updates and internal notes
 * (incident_updates), status changes (the updates' statuses and component changes), the room's own events
 * (roles, tasks), monitors bound to its components (state changes, proposals), tickets linked to it over time,
 * accounts the detection locked while it ran, and the notifications its updates went out as. Each entry says
 * who and when.
 */
import type { Queryable } from '../store/db.ts';
import type { AffectedComponent, IncidentStatus, MaintenanceStatus } from '../domain/incident.ts';
import type { IncidentHead, RoomEvent } from './room-repository.ts';
import type { MonitorChange, ProposalRecord, UpdateRecord } from './timeline-repository.ts';
import * as timelineRepo from './timeline-repository.ts';
import * as roomRepo from './room-repository.ts';

export const TIMELINE_KINDS = ['update', 'note', 'status', 'role', 'task', 'monitor', 'tickets', 'locks', 'notifications'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];
export const isTimelineKind = (v: unknown): v is TimelineKind => typeof v === 'string' && (TIMELINE_KINDS as readonly string[]).includes(v);

/** Who did it: a staff member (by name), or the part of kinkyu that did. */
export type Who =
  | { type: 'staff'; name: string }
  | { type: 'system' | 'monitor' | 'desk' | 'detection' | 'fanout' };

export interface ChannelTally {
  channel: string;
  sent: number;
  pending: number;
  failed: number;
  skipped: number;
}

export type TimelineEntry =
  | { kind: 'update' | 'note'; at: Date; who: Who; update: UpdateRecord; templateName: string | null }
  | { kind: 'status'; at: Date; who: Who; from: IncidentStatus | MaintenanceStatus | null; to: IncidentStatus | MaintenanceStatus | null; components: AffectedComponent[] }
  | { kind: 'role' | 'task'; at: Date; who: Who; event: RoomEvent }
  | { kind: 'monitor'; at: Date; who: Who; monitorName: string; change?: MonitorChange; proposal?: ProposalRecord; phase?: 'proposed' | 'accepted' | 'dismissed' }
  | { kind: 'tickets' | 'locks'; at: Date; who: Who; added: number; total: number }
  | { kind: 'notifications'; at: Date; who: Who; updateId: string; channels: ChannelTally[] };

/** How far around the incident monitor changes and detection locks still belong to it. */
const MARGIN_MS = 60 * 60_000;

const byWho = (name: string | null, actorType: string): Who => (actorType === 'staff' && name ? { type: 'staff', name } : { type: 'system' });

/** The whole timeline, newest first; `kinds` narrows it (empty or absent: everything). */
export async function incidentTimeline(q: Queryable, incident: IncidentHead, now: Date, kinds?: ReadonlySet<TimelineKind>): Promise<TimelineEntry[]> {
  const want = (k: TimelineKind) => !kinds || kinds.size === 0 || kinds.has(k);
  const from = new Date(incident.startedAt.getTime() - MARGIN_MS);
  const to = new Date((incident.resolvedAt ?? now).getTime() + (incident.resolvedAt ? MARGIN_MS : 0));
  const [updates, events, changes, proposals, tickets, locks, deliveries] = await Promise.all([
    want('update') || want('note') || want('status') ? timelineRepo.updatesOf(q, incident.id) : [],
    want('role') || want('task') || want('update') ? roomRepo.roomEvents(q, incident.id) : [],
    want('monitor') ? timelineRepo.monitorChangesFor(q, incident.componentIds, from, to) : [],
    want('monitor') ? timelineRepo.proposalsFor(q, incident.id) : [],
    want('tickets') ? timelineRepo.linkedTicketBuckets(q, incident.id) : [],
    want('locks') ? timelineRepo.detectionLockBuckets(q, from, to) : [],
    want('notifications') ? timelineRepo.deliveryCounts(q, incident.id) : [],
  ]);
  const out: TimelineEntry[] = [];

  const templateOf = new Map<string, string>();
  for (const e of events) {
    if (e.kind === 'update_composed' && typeof e.data.updateId === 'string' && typeof e.data.templateName === 'string') {
      templateOf.set(e.data.updateId, e.data.templateName);
    }
  }

  let status: IncidentStatus | MaintenanceStatus | null = null;
  for (const u of updates) {
    const who = byWho(u.authorName, u.authorId ? 'staff' : 'system');
    if (u.visibility === 'internal') {
      if (want('note')) out.push({ kind: 'note', at: u.createdAt, who, update: u, templateName: null });
      continue;
    }
    if (want('update')) out.push({ kind: 'update', at: u.createdAt, who, update: u, templateName: templateOf.get(u.id) ?? null });
    const changed = u.affected.filter((a) => a.old_status !== a.new_status);
    if (want('status') && (u.status !== status || changed.length)) {
      out.push({ kind: 'status', at: u.createdAt, who, from: status, to: u.status, components: changed });
    }
    status = u.status;
  }

  for (const e of events) {
    const kind = e.kind.startsWith('role_') ? 'role' : e.kind.startsWith('task_') || e.kind === 'room_opened' ? 'task' : null;
    if (kind && want(kind)) out.push({ kind, at: e.at, who: byWho(e.actorName, e.actorType), event: e });
  }

  for (const c of changes) out.push({ kind: 'monitor', at: c.at, who: { type: 'monitor' }, monitorName: c.monitorName, change: c });
  for (const p of proposals) {
    out.push({ kind: 'monitor', at: p.createdAt, who: { type: 'monitor' }, monitorName: p.monitorName, proposal: p, phase: 'proposed' });
    if (p.decidedAt && p.status !== 'open') {
      out.push({
        kind: 'monitor', at: p.decidedAt, who: p.decidedByName ? { type: 'staff', name: p.decidedByName } : { type: 'system' },
        monitorName: p.monitorName, proposal: p, phase: p.status,
      });
    }
  }

  let ticketTotal = 0;
  for (const b of tickets) {
    ticketTotal += b.count;
    out.push({ kind: 'tickets', at: b.at, who: { type: 'desk' }, added: b.count, total: ticketTotal });
  }
  let lockTotal = 0;
  for (const b of locks) {
    lockTotal += b.count;
    out.push({ kind: 'locks', at: b.at, who: { type: 'detection' }, added: b.count, total: lockTotal });
  }

  const perUpdate = new Map<string, { at: Date; channels: Map<string, ChannelTally> }>();
  for (const d of deliveries) {
    const entry = perUpdate.get(d.updateId) ?? { at: d.queuedAt, channels: new Map<string, ChannelTally>() };
    if (d.lastSentAt && d.lastSentAt.getTime() > entry.at.getTime()) entry.at = d.lastSentAt;
    const tally = entry.channels.get(d.channel) ?? { channel: d.channel, sent: 0, pending: 0, failed: 0, skipped: 0 };
    tally[d.status] += d.count;
    entry.channels.set(d.channel, tally);
    perUpdate.set(d.updateId, entry);
  }
  const channelOrder = ['email', 'webhook', 'slack', 'x'];
  for (const [updateId, e] of perUpdate) {
    const channels = [...e.channels.values()].sort((a, b) => channelOrder.indexOf(a.channel) - channelOrder.indexOf(b.channel));
    out.push({ kind: 'notifications', at: e.at, who: { type: 'fanout' }, updateId, channels });
  }

  // Newest first; at the same moment, the update before what followed from it.
  const rank = (k: TimelineKind) => TIMELINE_KINDS.indexOf(k);
  return out.sort((a, b) => b.at.getTime() - a.at.getTime() || rank(b.kind) - rank(a.kind));
}
