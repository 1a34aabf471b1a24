import type { Queryable } from '../store/db.ts';
import { KinkyuError } from '../domain/errors.ts';
import { isTicketType, type Priority, type TicketStatus, type TicketType, type TriageReason } from '../domain/ticket.ts';
import type { ChecklistEntry } from './checklist.ts';

export interface Ticket {
  id: string;
  number: number;
  email: string;
  lang: 'ja' | 'en';
  body: string;
  orderId: string | null;
  transactionId: string | null;
  asset: string | null;
  amount: string | null;
  userCategory: TicketType | null;
  type: TicketType;
  priority: Priority;
  triageType: TicketType;
  triagePriority: Priority;
  triageReasons: TriageReason[];
  /** The system was unsure: staff should check type and priority (shown at the top of the queue). */
  needsHuman: boolean;
  /** The learned model that took part in the triage (null: before the model, or filed by kinkyu itself). */
  triageModelVersion: string | null;
  status: TicketStatus;
  assigneeId: string | null;
  assigneeName: string | null;
  incidentId: string | null;
  incidentName: string | null;
  incidentLink: 'auto' | 'staff' | null;
  checklist: ChecklistEntry[];
  firstResponseDueAt: Date | null;
  resolutionDueAt: Date | null;
  slaPausedAt: Date | null;
  firstRespondedAt: Date | null;
  solvedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type MessageKind = 'user' | 'reply' | 'note' | 'auto';

export interface TicketMessage {
  id: number;
  kind: MessageKind;
  authorId: string | null;
  authorName: string | null;
  body: string;
  createdAt: Date;
}

export interface TriageCorrection {
  staffName: string | null;
  fromType: TicketType;
  fromPriority: Priority;
  toType: TicketType;
  toPriority: Priority;
  body: string;
  createdAt: Date;
}

type Row = Record<string, unknown>;
const dateOrNull = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
const jsonValue = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

export const TICKET_COLUMNS = `t.*, s.name AS assignee_name, i.name_ja AS incident_name`;
export const TICKET_FROM = `tickets t LEFT JOIN staff s ON s.id = t.assignee_id LEFT JOIN incidents i ON i.id = t.incident_id`;

export function mapTicket(r: Row): Ticket {
  return {
    id: r.id as string,
    number: Number(r.number),
    email: r.email as string,
    lang: r.lang === 'en' ? 'en' : 'ja',
    body: r.body as string,
    orderId: (r.order_id as string | null) ?? null,
    transactionId: (r.transaction_id as string | null) ?? null,
    asset: (r.asset as string | null) ?? null,
    amount: (r.amount as string | null) ?? null,
    userCategory: isTicketType(r.user_category) ? r.user_category : null,
    type: r.type as TicketType,
    priority: r.priority as Priority,
    triageType: r.triage_type as TicketType,
    triagePriority: r.triage_priority as Priority,
    triageReasons: jsonValue<TriageReason[]>(r.triage_reasons) ?? [],
    needsHuman: r.needs_human === true,
    triageModelVersion: (r.triage_model_version as string | null) ?? null,
    status: r.status as TicketStatus,
    assigneeId: (r.assignee_id as string | null) ?? null,
    assigneeName: (r.assignee_name as string | null) ?? null,
    incidentId: (r.incident_id as string | null) ?? null,
    incidentName: (r.incident_name as string | null) ?? null,
    incidentLink: (r.incident_link as 'auto' | 'staff' | null) ?? null,
    checklist: jsonValue<ChecklistEntry[]>(r.checklist) ?? [],
    firstResponseDueAt: dateOrNull(r.first_response_due_at),
    resolutionDueAt: dateOrNull(r.resolution_due_at),
    slaPausedAt: dateOrNull(r.sla_paused_at),
    firstRespondedAt: dateOrNull(r.first_responded_at),
    solvedAt: dateOrNull(r.solved_at),
    createdAt: new Date(r.created_at as string),
    updatedAt: new Date(r.updated_at as string),
  };
}

export async function findTicket(q: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<Ticket | null> {
  if (typeof id !== 'string' || !/^[0-9a-z]{1,40}$/.test(id)) return null;
  const rows = opts.forUpdate
    ? await q.query(`SELECT ${TICKET_COLUMNS} FROM ${TICKET_FROM} WHERE t.id = $1 FOR UPDATE OF t`, [id])
    : await q.query(`SELECT ${TICKET_COLUMNS} FROM ${TICKET_FROM} WHERE t.id = $1`, [id]);
  return rows[0] ? mapTicket(rows[0]) : null;
}

export async function getTicket(q: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<Ticket> {
  const ticket = await findTicket(q, id, opts);
  if (!ticket) throw new KinkyuError('NOT_FOUND', { what: 'ticket' });
  return ticket;
}

/** The thread; without `includeNotes` only what the user may see (their messages, replies, automatic answers). */
export async function ticketMessages(q: Queryable, ticketId: string, opts: { includeNotes: boolean }): Promise<TicketMessage[]> {
  const rows = await q.query(
    `SELECT m.id, m.kind, m.author_id, s.name AS author_name, m.body, m.created_at
       FROM ticket_messages m LEFT JOIN staff s ON s.id = m.author_id
      WHERE m.ticket_id = $1 ${opts.includeNotes ? '' : `AND m.kind <> 'note'`}
      ORDER BY m.id`,
    [ticketId],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    kind: r.kind as MessageKind,
    authorId: (r.author_id as string | null) ?? null,
    authorName: (r.author_name as string | null) ?? null,
    body: r.body as string,
    createdAt: new Date(r.created_at as string),
  }));
}

export async function triageCorrections(q: Queryable, ticketId: string): Promise<TriageCorrection[]> {
  const rows = await q.query(
    `SELECT s.name AS staff_name, c.* FROM triage_corrections c LEFT JOIN staff s ON s.id = c.staff_id
      WHERE c.ticket_id = $1 ORDER BY c.id`,
    [ticketId],
  );
  return rows.map((r) => ({
    staffName: (r.staff_name as string | null) ?? null,
    fromType: r.from_type as TicketType,
    fromPriority: r.from_priority as Priority,
    toType: r.to_type as TicketType,
    toPriority: r.to_priority as Priority,
    body: r.body as string,
    createdAt: new Date(r.created_at as string),
  }));
}
