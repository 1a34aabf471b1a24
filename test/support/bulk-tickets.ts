/**
 * Many tickets at once, straight into the database (one INSERT … SELECT over generate_series): what a surge
 * leaves in the queue, made in milliseconds instead of one contact form at a time. The triage reasons are those
 * of the real triage of the same text, so the queue shows what it would show.
 */
import type { Queryable } from '../../src/store/db.ts';
import type { Priority, TicketType, TriageReason } from '../../src/domain/ticket.ts';

export interface BulkTicketsInput {
  count: number;
  /** Ids are `${prefix}${n}` (lower-case letters and digits). */
  prefix: string;
  body: string;
  type: TicketType;
  priority: Priority;
  reasons: readonly TriageReason[];
  createdAt: Date;
  /** Seconds between two tickets' creation. */
  spacingS?: number;
  incidentId?: string | null;
  lang?: 'ja' | 'en';
  status?: 'new' | 'open';
  needsHuman?: boolean;
  firstResponseDueAt?: Date | null;
  resolutionDueAt?: Date | null;
}

/** Inserts `count` tickets (and each one's first message); returns their ids in creation order. */
export async function insertTickets(q: Queryable, input: BulkTicketsInput): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `WITH t AS (
       INSERT INTO tickets (id, email, lang, body, type, priority, triage_type, triage_priority, triage_reasons, status,
                            incident_id, incident_link, first_response_due_at, resolution_due_at, created_at, updated_at, needs_human)
       SELECT $1 || g::text, $1 || g::text || '@example.jp', $2, $3 || ' #' || g::text, $4, $5, $4, $5, $6::jsonb, $7,
              $8::text, CASE WHEN $8::text IS NULL THEN NULL ELSE 'auto' END,
              $9::timestamptz + make_interval(secs => g * $11::double precision), $10::timestamptz + make_interval(secs => g * $11::double precision),
              $12::timestamptz + make_interval(secs => g * $11::double precision), $12::timestamptz + make_interval(secs => g * $11::double precision), $14
         FROM generate_series(1, $13::int) g
       RETURNING id, body, created_at
     ), m AS (
       INSERT INTO ticket_messages (ticket_id, kind, body, created_at) SELECT id, 'user', body, created_at FROM t
     )
     SELECT id FROM t ORDER BY created_at`,
    [
      input.prefix, input.lang ?? 'ja', input.body, input.type, input.priority, JSON.stringify(input.reasons), input.status ?? (input.incidentId ? 'open' : 'new'),
      input.incidentId ?? null, input.firstResponseDueAt ?? null, input.resolutionDueAt ?? null, input.spacingS ?? 1, input.createdAt, input.count, input.needsHuman === true,
    ],
  );
  return rows.map((r) => r.id);
}
