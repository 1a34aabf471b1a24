/**
 * The staff queue: views, filters, paging, and the incident grouping that keeps a surge on one row.
 *
 * Order, most pressing first: urgent security reports above everything (a surge of "is it down?" must never bury
 * an account takeover), then tickets whose triage needs a human, then by priority, then the nearest SLA due date,
 * then the oldest. Grouped (the console's default), the open tickets linked to an incident — other than security
 * reports and tickets that need a human, which always keep their own row — are one row per incident, placed where
 * its most pressing ticket would be, with their count. Paging is by offset over rows (tickets or incidents) with
 * the total; every filter is a WHERE clause. Over open tickets a page reads its rows in order from an index
 * (migration 030) and counts the matching tickets once; it never sorts them all.
 */
import type { Queryable } from '../store/db.ts';
import { KinkyuError } from '../domain/errors.ts';
import { isPriority, isTicketStatus, isTicketType, type Priority, type TicketStatus, type TicketType } from '../domain/ticket.ts';
import { mapTicket, TICKET_COLUMNS, TICKET_FROM, type Ticket } from './ticket-repository.ts';

/** The queue's tabs: each is a preset of the filters below. */
export const QUEUE_VIEWS = ['all', 'mine', 'unassigned', 'security', 'needs_human', 'incidents'] as const;
export type QueueView = (typeof QUEUE_VIEWS)[number];

export const QUEUE_PAGE_SIZE = 100;

/** What the queue can be narrowed to. Every value comes from the query string: unknown values are refused. */
export interface QueueFilter {
  view?: QueueView;
  status?: TicketStatus | 'active' | 'all';
  priority?: Priority;
  type?: TicketType;
  /** breached: a due date has passed unmet; due_soon: due within the next hour. */
  sla?: 'breached' | 'due_soon';
  /** An incident id, 'any' (linked to some incident) or 'none'. */
  incident?: string;
  /** A staff id, or 'none' = unassigned. */
  assignee?: string;
  /** Only open urgent security reports. */
  urgentSecurity?: boolean;
  /** Only tickets whose triage needs a human. */
  needsHuman?: boolean;
  /** 'incident': an incident's linked tickets are one row; 'none': every ticket its own row. */
  group?: 'incident' | 'none';
  limit?: number;
  offset?: number;
}

/** One row of the queue: a ticket, or an incident standing for its linked tickets (`lead` is the most pressing). */
export type QueueItem =
  | { kind: 'ticket'; ticket: Ticket }
  | { kind: 'incident'; incidentId: string; nameJa: string; nameEn: string | null; count: number; lead: Ticket };

export interface QueuePage {
  items: QueueItem[];
  /** The tickets among the rows (every row when not grouped). */
  tickets: Ticket[];
  /** Rows in all (tickets + incident rows), for paging. */
  total: number;
  /** Tickets in all (those the incident rows stand for included). */
  ticketTotal: number;
}

const ID = /^[0-9a-z]{1,40}$/;

/**
 * The filters of a query string. `me` is the signed-in staff member (the "mine" view). A view sets the filters
 * it stands for unless the query sets them itself.
 */
export function parseQueueFilter(query: Record<string, unknown>, me?: string): QueueFilter {
  const filter: QueueFilter = {};
  const str = (key: string): string | undefined => {
    const v = query[key];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string' || v.length > 60) throw new KinkyuError('VALIDATION', { field: key, rule: 'enum' });
    return v;
  };
  const oneOf = <T extends string>(key: string, values: readonly T[]): T | undefined => {
    const v = str(key);
    if (v === undefined) return undefined;
    const known = values.find((x) => x === v);
    if (known === undefined) throw new KinkyuError('VALIDATION', { field: key, rule: 'enum' });
    return known;
  };
  const view = oneOf('view', QUEUE_VIEWS);
  if (view !== undefined) filter.view = view;
  const status = str('status');
  if (status !== undefined) {
    if (status !== 'active' && status !== 'all' && !isTicketStatus(status)) throw new KinkyuError('VALIDATION', { field: 'status', rule: 'enum' });
    filter.status = status;
  }
  const priority = str('priority');
  if (priority !== undefined) {
    if (!isPriority(priority)) throw new KinkyuError('VALIDATION', { field: 'priority', rule: 'enum' });
    filter.priority = priority;
  }
  const type = str('type');
  if (type !== undefined) {
    if (!isTicketType(type)) throw new KinkyuError('VALIDATION', { field: 'type', rule: 'enum' });
    filter.type = type;
  }
  const sla = oneOf('sla', ['breached', 'due_soon'] as const);
  if (sla !== undefined) filter.sla = sla;
  const incident = str('incident');
  if (incident !== undefined) {
    if (!ID.test(incident)) throw new KinkyuError('VALIDATION', { field: 'incident', rule: 'id' });
    filter.incident = incident;
  }
  const assignee = str('assignee');
  if (assignee !== undefined) {
    if (!ID.test(assignee)) throw new KinkyuError('VALIDATION', { field: 'assignee', rule: 'id' });
    filter.assignee = assignee;
  }
  const group = oneOf('group', ['incident', 'none'] as const);
  if (group !== undefined) filter.group = group;
  const offset = str('offset');
  if (offset !== undefined) {
    if (!/^\d{1,6}$/.test(offset)) throw new KinkyuError('VALIDATION', { field: 'offset', rule: 'enum' });
    filter.offset = Number(offset);
  }
  if (view === 'mine' && me && filter.assignee === undefined) filter.assignee = me;
  if (view === 'unassigned' && filter.assignee === undefined) filter.assignee = 'none';
  if (view === 'security') filter.urgentSecurity = true;
  if (view === 'needs_human') filter.needsHuman = true;
  if (view === 'incidents' && filter.incident === undefined) filter.incident = 'any';
  return filter;
}

const ACTIVE = `t.status IN ('new','open','pending_user')`;
const PRIORITY_RANK = `array_position(ARRAY['urgent','high','normal','low'], t.priority)`;
const DUE = `CASE WHEN t.first_responded_at IS NULL THEN t.first_response_due_at ELSE t.resolution_due_at END`;
/**
 * The queue's order as sort keys (k1 … k6), the same for tickets and for incident rows. Over open tickets only,
 * the keys are those of the index `tickets_open_queue` (migration 030), so a page reads its first rows from the
 * index instead of sorting every open ticket; over any status, the first two keys also ask whether it is open.
 */
const OPEN_KEYS = `(t.type = 'security' AND t.priority = 'urgent') AS k1, t.needs_human AS k2, ${PRIORITY_RANK} AS k3, ${DUE} AS k4,
                   t.created_at AS k5, t.number AS k6`;
const ANY_KEYS = `(t.type = 'security' AND t.priority = 'urgent' AND ${ACTIVE}) AS k1, (t.needs_human AND ${ACTIVE}) AS k2,
                  ${PRIORITY_RANK} AS k3, ${DUE} AS k4, t.created_at AS k5, t.number AS k6`;
const ORDER = (p: string) => `${p}k1 DESC, ${p}k2 DESC, ${p}k3, ${p}k4 NULLS LAST, ${p}k5, ${p}k6`;
/** An open ticket that an incident row stands for: linked, not a security report, not waiting for a human. */
const GROUPED = `(t.incident_id IS NOT NULL AND t.type <> 'security' AND NOT t.needs_human AND ${ACTIVE})`;
/** The same among open tickets (the partial index `tickets_open_by_incident`, whose order skips k1 and k2: both false). */
const GROUPED_OPEN = `(t.incident_id IS NOT NULL AND t.type <> 'security' AND NOT t.needs_human)`;

/** Whether the page groups by incident: asked for, and not already narrowed to one incident. */
export function groupsByIncident(filter: QueueFilter): boolean {
  return filter.group === 'incident' && (filter.incident === undefined || filter.incident === 'any');
}

/** Whether the filter keeps to open tickets (the queue's normal case, which the indexes serve). */
function openOnly(filter: QueueFilter): boolean {
  const status = filter.status ?? 'active';
  return status === 'active' || status === 'new' || status === 'open' || status === 'pending_user' || !!filter.sla || !!filter.urgentSecurity || !!filter.needsHuman;
}

interface Where {
  /** The conditions, joined by AND (always at least one). */
  conditions: string[];
  params: unknown[];
  /** Adds a parameter, returns its placeholder. */
  p: (v: unknown) => string;
}

function whereOf(filter: QueueFilter, now: Date): Where {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const status = filter.status ?? 'active';
  if (status === 'active' || openOnly(filter)) conditions.push(ACTIVE);
  if (status !== 'active' && status !== 'all') conditions.push(`t.status = ${p(status)}`);
  if (filter.priority) conditions.push(`t.priority = ${p(filter.priority)}`);
  if (filter.type) conditions.push(`t.type = ${p(filter.type)}`);
  if (filter.urgentSecurity) conditions.push(`t.type = 'security' AND t.priority = 'urgent'`);
  if (filter.needsHuman) conditions.push('t.needs_human');
  if (filter.incident === 'any') conditions.push('t.incident_id IS NOT NULL');
  else if (filter.incident === 'none') conditions.push('t.incident_id IS NULL');
  else if (filter.incident) conditions.push(`t.incident_id = ${p(filter.incident)}`);
  if (filter.assignee === 'none') conditions.push('t.assignee_id IS NULL');
  else if (filter.assignee) conditions.push(`t.assignee_id = ${p(filter.assignee)}`);
  if (filter.sla) {
    // The same rule as the badges: a first response is late if it came, or the clock stopped, or now is, after
    // its due date; a resolution likewise (finished tickets are not in this filter).
    const breached = (at: string) => `(t.first_response_due_at < COALESCE(t.first_responded_at, t.sla_paused_at, ${at})
      OR t.resolution_due_at < COALESCE(t.sla_paused_at, ${at}))`;
    if (filter.sla === 'breached') conditions.push(breached(p(now)));
    else conditions.push(`t.sla_paused_at IS NULL AND NOT ${breached(p(now))} AND ${breached(p(new Date(now.getTime() + 60 * 60_000)))}`);
  }
  if (!conditions.length) conditions.push('true');
  return { conditions, params, p };
}

const sqlWhere = (w: Where, ...more: string[]) => `WHERE ${[...w.conditions, ...more].join(' AND ')}`;

function itemOf(r: Record<string, unknown>): QueueItem {
  const ticket = mapTicket(r);
  const group = typeof r.group_id === 'string' ? r.group_id : null;
  const nameEn = typeof r.incident_name_en === 'string' ? r.incident_name_en : null;
  return group
    ? { kind: 'incident', incidentId: group, nameJa: ticket.incidentName ?? group, nameEn, count: Number(r.group_count), lead: ticket }
    : { kind: 'ticket', ticket };
}

function pageOf(items: QueueItem[], total: number, ticketTotal: number): QueuePage {
  return { items, tickets: items.flatMap((x) => (x.kind === 'ticket' ? [x.ticket] : [])), total, ticketTotal };
}

/** One page of the queue. */
export async function listQueue(q: Queryable, filter: QueueFilter, now: Date): Promise<QueuePage> {
  const w = whereOf(filter, now);
  const limit = Math.min(filter.limit ?? QUEUE_PAGE_SIZE, 500);
  const offset = filter.offset ?? 0;
  const open = openOnly(filter);
  const keys = open ? OPEN_KEYS : ANY_KEYS;

  if (!groupsByIncident(filter)) {
    const [count] = await q.query<{ n: string }>(`SELECT count(*) AS n FROM tickets t ${sqlWhere(w)}`, w.params);
    const rows = await q.query(
      `SELECT ${TICKET_COLUMNS} FROM (SELECT t.id, ${keys} FROM tickets t ${sqlWhere(w)} ORDER BY ${ORDER('')} LIMIT ${w.p(limit)} OFFSET ${w.p(offset)}) page
         JOIN (${TICKET_FROM}) ON t.id = page.id ORDER BY ${ORDER('page.')}`,
      w.params,
    );
    const total = Number(count?.n ?? 0);
    return pageOf(rows.map(itemOf), total, total);
  }

  if (open) {
    // 1. One pass over the matching open tickets: how many stand alone, and how many each incident's row stands for.
    const stats = await q.query<{ grp: string | null; n: string }>(
      `SELECT CASE WHEN ${GROUPED_OPEN} THEN t.incident_id END AS grp, count(*) AS n FROM tickets t ${sqlWhere(w)} GROUP BY 1`,
      w.params,
    );
    const groups = stats.filter((r) => r.grp !== null);
    const singles = Number(stats.find((r) => r.grp === null)?.n ?? 0);
    const ticketTotal = stats.reduce((sum, r) => sum + Number(r.n), 0);
    // 2. The page: the first tickets standing alone, in queue order (read from the index), and each incident's most
    // pressing ticket (one probe of its index each), sorted together and cut.
    const rows = await q.query(
      `WITH singles AS (
         SELECT t.id, NULL::text AS group_id, 1::bigint AS n, ${OPEN_KEYS} FROM tickets t ${sqlWhere(w, `NOT ${GROUPED_OPEN}`)}
          ORDER BY ${ORDER('')} LIMIT ${w.p(offset + limit)}
       ), leaders AS (
         SELECT l.id, g.id AS group_id, g.n, l.k1, l.k2, l.k3, l.k4, l.k5, l.k6
           FROM unnest(${w.p(groups.map((g) => g.grp))}::text[], ${w.p(groups.map((g) => Number(g.n)))}::bigint[]) AS g(id, n)
          CROSS JOIN LATERAL (
            SELECT t.id, ${OPEN_KEYS} FROM tickets t ${sqlWhere(w, GROUPED_OPEN, 't.incident_id = g.id')}
             ORDER BY k3, k4 NULLS LAST, k5, k6 LIMIT 1
          ) l
       ), page AS (
         SELECT * FROM singles UNION ALL SELECT * FROM leaders ORDER BY ${ORDER('')} LIMIT ${w.p(limit)} OFFSET ${w.p(offset)}
       )
       SELECT page.group_id, page.n AS group_count, i.name_en AS incident_name_en, ${TICKET_COLUMNS}
         FROM page JOIN (${TICKET_FROM}) ON t.id = page.id
        ORDER BY ${ORDER('page.')}`,
      w.params,
    );
    return pageOf(rows.map(itemOf), singles + groups.length, ticketTotal);
  }

  // Any status (rare): one scan — every matching ticket's sort keys; an incident's grouped tickets reduced to their
  // most pressing one (with the count); the rows sorted, counted and cut to the page; the page's tickets read in full.
  const rows = await q.query(
    `WITH f AS (
       SELECT t.id, t.incident_id, ${GROUPED} AS grouped, ${ANY_KEYS} FROM tickets t ${sqlWhere(w)}
     ), heads AS (
       SELECT id, NULL::text AS group_id, 1 AS n, k1, k2, k3, k4, k5, k6 FROM f WHERE NOT grouped
       UNION ALL
       SELECT * FROM (
         SELECT DISTINCT ON (incident_id) id, incident_id, count(*) OVER (PARTITION BY incident_id), k1, k2, k3, k4, k5, k6
           FROM f WHERE grouped ORDER BY incident_id, ${ORDER('')}
       ) g
     ), page AS (
       SELECT heads.*, count(*) OVER () AS total, sum(n) OVER () AS ticket_total FROM heads ORDER BY ${ORDER('')} LIMIT ${w.p(limit)} OFFSET ${w.p(offset)}
     )
     SELECT page.group_id, page.n AS group_count, page.total AS page_total, page.ticket_total, i.name_en AS incident_name_en, ${TICKET_COLUMNS}
       FROM page JOIN (${TICKET_FROM}) ON t.id = page.id
      ORDER BY ${ORDER('page.')}`,
    w.params,
  );
  if (!rows.length && offset > 0) {
    const { total, ticketTotal } = await listQueue(q, { ...filter, offset: 0, limit: 1 }, now);
    return pageOf([], total, ticketTotal);
  }
  return pageOf(rows.map(itemOf), Number(rows[0]?.page_total ?? 0), Number(rows[0]?.ticket_total ?? 0));
}

/** How many open tickets each tab holds (one scan of the open tickets). */
export interface QueueCounts {
  all: number;
  mine: number;
  unassigned: number;
  security: number;
  needsHuman: number;
  /** Incidents with open linked tickets. */
  incidents: number;
}

export async function queueCounts(q: Queryable, me: string): Promise<QueueCounts> {
  const [r] = await q.query<Record<string, string | number>>(
    `SELECT count(*) AS all_open,
            count(*) FILTER (WHERE t.assignee_id = $1) AS mine,
            count(*) FILTER (WHERE t.assignee_id IS NULL) AS unassigned,
            count(*) FILTER (WHERE t.type = 'security' AND t.priority = 'urgent') AS security,
            count(*) FILTER (WHERE t.needs_human) AS needs_human,
            count(DISTINCT t.incident_id) AS incidents
       FROM tickets t WHERE ${ACTIVE}`,
    [me],
  );
  const n = (k: string) => Number(r?.[k] ?? 0);
  return { all: n('all_open'), mine: n('mine'), unassigned: n('unassigned'), security: n('security'), needsHuman: n('needs_human'), incidents: n('incidents') };
}
