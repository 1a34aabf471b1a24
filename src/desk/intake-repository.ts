import type { Queryable } from '../store/db.ts';
import { AUTOMATIC_MAIL_HEADERS } from '../mail/automatic.ts';

/** The number goes into mails composed before the row exists; the intake statement fills it in. */
export const NUMBER_PLACEHOLDER = '{{ticket-number}}';

/** One contact-form submission, triaged and with its confirmation mail composed: what the intake statement stores. */
export interface IntakeRow {
  id: string;
  email: string;
  lang: 'ja' | 'en';
  body: string;
  orderId: string | null;
  transactionId: string | null;
  asset: string | null;
  amount: string | null;
  userCategory: string | null;
  type: string;
  priority: string;
  /** The triage reasons, as JSON. */
  reasons: string;
  /** The open incident to link to (linked only if it is still open when the statement runs). */
  incidentId: string | null;
  firstResponseDueAt: Date;
  resolutionDueAt: Date;
  createdAt: Date;
  ip: string | null;
  /** The incident's latest public update, posted as the automatic answer when the link holds. */
  autoAnswer: { updateId: string; body: string } | null;
  mail: { messageId: string; subject: string; text: string; textWithAnswer: string } | null;
  submissionKey: string | null;
  /** A number the caller already took from the sequence. */
  number: number | null;
  needsHuman: boolean;
  modelVersion: string | null;
}

export interface StoredTicket {
  id: string;
  number: number;
}

/**
 * Every row in one statement, which commits on its own: the tickets, the user's message and the automatic answer,
 * and the confirmation mails. One statement for many submissions (the desk groups those that arrive while the
 * previous statement runs) costs the database one parse, one lock on the incident and one commit instead of one
 * each. A submission whose key was already used gets the earlier ticket (its own email) or nothing.
 * Returns, for each row's id, the ticket it became; a row without an entry was refused.
 */
export async function insertTickets(q: Queryable, rows: readonly IntakeRow[]): Promise<Map<string, StoredTicket>> {
  const column = <T>(pick: (r: IntakeRow) => T): T[] => rows.map(pick);
  const result = await q.query<{ submitted: string; id: string; number: string | number }>(
    `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                            $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::timestamptz[], $15::timestamptz[],
                            $16::timestamptz[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[],
                            $23::text[], $24::text[], $25::bigint[], $26::boolean[], $27::text[])
         WITH ORDINALITY AS x(id, email, lang, body, order_id, transaction_id, asset, amount,
                              user_category, type, priority, reasons, incident_id, first_due, resolution_due,
                              created_at, ip, auto_body, auto_update_id, message_id, subject, text_body,
                              text_with_answer, submission_key, number, needs_human, model_version, n)
     ), link AS (
       SELECT id FROM incidents
        WHERE id IN (SELECT incident_id FROM input) AND kind = 'incident' AND status IN ('investigating','identified','monitoring')
          FOR SHARE
     ), t AS (
       INSERT INTO tickets (id, email, lang, body, order_id, transaction_id, asset, amount, user_category, type, priority,
                            triage_type, triage_priority, triage_reasons, status, incident_id, incident_link,
                            first_response_due_at, resolution_due_at, created_at, updated_at, ip, submission_key, number,
                            needs_human, triage_model_version)
       SELECT x.id, x.email, x.lang, x.body, x.order_id, x.transaction_id, x.asset, x.amount, x.user_category, x.type, x.priority,
              x.type, x.priority, x.reasons::jsonb,
              CASE WHEN link.id IS NULL THEN 'new' ELSE 'open' END, link.id, CASE WHEN link.id IS NULL THEN NULL ELSE 'auto' END,
              x.first_due, x.resolution_due, x.created_at, x.created_at, x.ip, x.submission_key,
              COALESCE(x.number, nextval('ticket_number_seq')), x.needs_human, x.model_version
         FROM input x LEFT JOIN link ON link.id = x.incident_id
        ORDER BY x.n
       ON CONFLICT (submission_key) WHERE submission_key IS NOT NULL DO NOTHING
       RETURNING id, number, incident_id
     ), m AS (
       INSERT INTO ticket_messages (ticket_id, kind, body, incident_update_id, created_at)
       SELECT t.id, v.kind, v.body, v.update_id, x.created_at
         FROM t JOIN input x ON x.id = t.id,
              LATERAL (VALUES (1, 'user', x.body, NULL::text), (2, 'auto', x.auto_body, x.auto_update_id)) AS v(k, kind, body, update_id)
        WHERE v.body IS NOT NULL AND (v.kind = 'user' OR t.incident_id IS NOT NULL)
        ORDER BY x.n, v.k
     ), o AS (
       INSERT INTO mail_outbox (message_id, to_address, subject, text_body, ticket_id, lang, headers)
       SELECT x.message_id, x.email, replace(x.subject, $28, t.number::text),
              replace(CASE WHEN t.incident_id IS NULL THEN x.text_body ELSE x.text_with_answer END, $28, t.number::text),
              t.id, x.lang, $29::jsonb
         FROM t JOIN input x ON x.id = t.id
        WHERE x.message_id IS NOT NULL
     )
     SELECT t.id AS submitted, t.id, t.number FROM t
     UNION ALL
     SELECT x.id, k.id, k.number
       FROM input x JOIN tickets k ON k.submission_key = x.submission_key AND k.email = x.email
      WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.id = x.id)`,
    [
      column((r) => r.id), column((r) => r.email), column((r) => r.lang), column((r) => r.body), column((r) => r.orderId),
      column((r) => r.transactionId), column((r) => r.asset), column((r) => r.amount), column((r) => r.userCategory),
      column((r) => r.type), column((r) => r.priority), column((r) => r.reasons), column((r) => r.incidentId),
      column((r) => r.firstResponseDueAt), column((r) => r.resolutionDueAt), column((r) => r.createdAt), column((r) => r.ip),
      column((r) => r.autoAnswer?.body ?? null), column((r) => r.autoAnswer?.updateId ?? null),
      column((r) => r.mail?.messageId ?? null), column((r) => r.mail?.subject ?? null), column((r) => r.mail?.text ?? null),
      column((r) => r.mail?.textWithAnswer ?? null), column((r) => r.submissionKey), column((r) => r.number),
      column((r) => r.needsHuman), column((r) => r.modelVersion),
      NUMBER_PLACEHOLDER, JSON.stringify(AUTOMATIC_MAIL_HEADERS),
    ],
    { name: 'kinkyu_ticket_intake_rows' },
  );
  return new Map(result.map((r) => [r.submitted, { id: r.id, number: Number(r.number) }]));
}
