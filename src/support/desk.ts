import type { Db, Queryable } from '../store/db.ts';
import { newId } from '../store/ids.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Actor } from '../domain/actor.ts';
import type { BusinessCalendar } from '../domain/business-calendar.ts';
import { KinkyuError } from '../domain/errors.ts';
import { isIncidentOpen, type Incident } from '../domain/incident.ts';
import { cleanText, requireText } from '../domain/text.ts';
import {
  isPriority,
  isTicketStatus,
  isTicketType,
  type Priority,
  type TicketStatus,
  type TicketType,
  type TriageResult,
} from '../domain/ticket.ts';
import { enqueueMail } from '../mail/outbox.ts';
import type { PageSnapshot } from '../public/snapshot.ts';
import { parseChecklistItems, type ChecklistEntry } from './checklist.ts';
import { confirmationMail, replyMail, solvedMail, type MailContext } from './emails.ts';
import { matchIncident } from './incident-match.ts';
import { DEFAULT_SLA_POLICY, initialDueDates, pauseClock, repriorize, resumeClock, type SlaPolicy } from './sla.ts';
import type { TicketLinks } from './ticket-links.ts';
import { getTicket, type Ticket } from './ticket-repository.ts';
import { triage } from './triage.ts';

export const MESSAGE_MAX = 20_000;
/** The number goes into mails composed before the row exists; the intake statement fills it in. */
const NUMBER_PLACEHOLDER = '{{ticket-number}}';
// Compatible with what the outbox accepts, and with a dot in the domain: a typo here means no answer ever arrives.
const USER_EMAIL = /^[^\s@<>,;:"()[\]\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

export interface ContactInput {
  body: unknown;
  email: unknown;
  orderId?: unknown;
  transactionId?: unknown;
  asset?: unknown;
  amount?: unknown;
  category?: unknown;
}

export interface SubmitResult {
  ticketId: string;
  number: number;
  link: string;
  type: TicketType;
  priority: Priority;
  incidentId: string | null;
}

export interface DeskOptions {
  links: TicketLinks;
  calendar: BusinessCalendar;
  sla?: SlaPolicy;
  /** Domain for Message-IDs. */
  mailDomain: string;
  exchangeName: { ja: string; en: string };
  supportPhone: string;
  /** The public page's current state: which incidents are open, and their latest public update. */
  snapshot: () => PageSnapshot | null;
  clock?: () => Date;
}

export function parseUserEmail(value: unknown): string {
  const email = requireText(value, 'email', 254);
  if (!USER_EMAIL.test(email)) throw new KinkyuError('VALIDATION', { field: 'email', rule: 'email' });
  return email;
}

function optionalLine(value: unknown, field: string, max: number, pattern?: RegExp): string | null {
  const text = cleanText(value, field, { max });
  if (text !== null && pattern && !pattern.test(text)) throw new KinkyuError('VALIDATION', { field, rule: 'format' });
  return text;
}

/** The contact form's fields, cleaned; anything malformed is refused before triage or storage. */
export function parseContact(input: ContactInput) {
  const category = input.category === undefined || input.category === null || input.category === '' ? null : input.category;
  if (category !== null && !isTicketType(category)) throw new KinkyuError('VALIDATION', { field: 'category', rule: 'enum' });
  return {
    body: requireText(input.body, 'message', MESSAGE_MAX, true),
    email: parseUserEmail(input.email),
    orderId: optionalLine(input.orderId, 'orderId', 100),
    transactionId: optionalLine(input.transactionId, 'transactionId', 200, /^[\w\-:.]+$/),
    asset: optionalLine(input.asset, 'asset', 20, /^[A-Za-z0-9]+$/)?.toUpperCase() ?? null,
    amount: optionalLine(input.amount, 'amount', 40, /^\d[\d,]*(\.\d+)?$/),
    category: category as TicketType | null,
  };
}

/** The latest public update of an incident, in a language, for automatic answers. */
function latestPublicUpdate(incident: Incident, lang: 'ja' | 'en'): { id: string; text: string } | null {
  const update = [...incident.updates].filter((u) => u.visibility === 'public').sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
  if (!update) return null;
  const name = lang === 'en' ? incident.nameEn ?? incident.nameJa : incident.nameJa;
  const body = lang === 'en' ? update.bodyEn ?? update.bodyJa : update.bodyJa;
  return { id: update.id, text: `${name}\n${body}` };
}

const staffIdOf = (actor: Actor) => (actor.type === 'staff' ? actor.id : null);

/**
 * The support desk's commands. Every change to a ticket, its thread message, its emails and its audit entry
 * commit together: a ticket number shown to the user, or a reply staff saw as sent, is never lost, and an
 * email exists exactly when the change it reports does.
 */
export class SupportDesk {
  private readonly sla: SlaPolicy;
  private readonly clock: () => Date;

  constructor(
    private readonly db: Db,
    private readonly opts: DeskOptions,
  ) {
    this.sla = opts.sla ?? DEFAULT_SLA_POLICY;
    this.clock = opts.clock ?? (() => new Date());
  }

  private mailContext(ticket: { id: string; lang: 'ja' | 'en'; number: number | string }): MailContext {
    return {
      lang: ticket.lang,
      exchangeName: this.opts.exchangeName[ticket.lang],
      number: String(ticket.number),
      link: this.opts.links.url(ticket.id),
    };
  }

  phoneHours(lang: 'ja' | 'en'): string {
    const c = this.opts.calendar.config;
    return lang === 'ja' ? `平日 ${c.opensAt}〜${c.closesAt}` : `weekdays ${c.opensAt}–${c.closesAt} JST`;
  }

  /**
   * A new ticket from the contact form: triaged, linked to a matching open incident (answered at once with its
   * latest public update), the confirmation email queued — all in one statement, so the number the user sees
   * exists, and nothing exists if it is not shown.
   */
  async submit(input: ContactInput, meta: { lang: 'ja' | 'en'; ip: string | null }): Promise<SubmitResult> {
    const form = parseContact(input);
    const result: TriageResult = triage({
      text: form.body,
      category: form.category ?? undefined,
      fields: { orderId: form.orderId ?? undefined, transactionId: form.transactionId ?? undefined, asset: form.asset ?? undefined, amount: form.amount ?? undefined },
    });
    const now = this.clock();
    const snapshot = this.opts.snapshot();
    const match = snapshot ? matchIncident({ type: result.type, text: form.body }, [...snapshot.incidents, ...snapshot.maintenances], snapshot.components) : null;
    const incident = match && snapshot ? [...snapshot.incidents, ...snapshot.maintenances].find((i) => i.id === match.incidentId) ?? null : null;
    const autoAnswer = incident ? latestPublicUpdate(incident, meta.lang) : null;
    const reasons = match ? [...result.reasons, ...match.reasons.map((r) => ({ rule: 'incident.link', matched: match.incidentId, effect: r }))] : result.reasons;
    const due = initialDueDates(this.sla, this.opts.calendar, result.priority, now);
    const id = newId();
    const mail = confirmationMail(
      this.mailContext({ id, lang: meta.lang, number: NUMBER_PLACEHOLDER }),
      { type: result.type, body: form.body, phone: this.opts.supportPhone, phoneHours: this.phoneHours(meta.lang) },
      autoAnswer?.text ?? null,
    );
    const rows = await this.db.query<{ number: string }>(
      `WITH t AS (
         INSERT INTO tickets (id, email, lang, body, order_id, transaction_id, asset, amount, user_category, type, priority,
                              triage_type, triage_priority, triage_reasons, status, incident_id, incident_link,
                              first_response_due_at, resolution_due_at, first_responded_at, created_at, updated_at, ip)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$10,$11,$12::jsonb,$13,$14,$15,$16,$17,$18,$19,$19,$20)
         RETURNING id, number
       ), m AS (
         INSERT INTO ticket_messages (ticket_id, kind, body, incident_update_id, created_at)
         SELECT t.id, v.kind, v.body, v.update_id, $19 FROM t,
                (VALUES (1, 'user', $4::text, NULL::text), (2, 'auto', $21::text, $22::text)) AS v(n, kind, body, update_id)
          WHERE v.body IS NOT NULL ORDER BY v.n
       ), o AS (
         INSERT INTO mail_outbox (message_id, to_address, subject, text_body, ticket_id)
         SELECT $23, $2, replace($24, $26, t.number::text), replace($25, $26, t.number::text), t.id FROM t
       )
       SELECT number FROM t`,
      [
        id, form.email, meta.lang, form.body, form.orderId, form.transactionId, form.asset, form.amount, form.category,
        result.type, result.priority, JSON.stringify(reasons), incident ? 'open' : 'new', incident?.id ?? null,
        incident ? 'auto' : null, due.firstResponseDueAt, due.resolutionDueAt, autoAnswer ? now : null, now, meta.ip,
        autoAnswer?.text ?? null, autoAnswer?.id ?? null,
        `<ticket-${id}-received@${this.opts.mailDomain}>`, mail.subject, mail.text, NUMBER_PLACEHOLDER,
      ],
    );
    return {
      ticketId: id,
      number: Number(rows[0]!.number),
      link: this.opts.links.path(id),
      type: result.type,
      priority: result.priority,
      incidentId: incident?.id ?? null,
    };
  }

  /** The user's reply through the secret link: reopens a waiting or solved ticket and restarts its clock. */
  async userReply(ticketId: string, bodyInput: unknown): Promise<void> {
    const body = requireText(bodyInput, 'message', MESSAGE_MAX, true);
    await this.db.transaction(async (tx) => {
      const ticket = await getTicket(tx, ticketId, { forUpdate: true });
      if (ticket.status === 'closed') throw new KinkyuError('CONFLICT', { rule: 'ticket_closed' });
      const now = this.clock();
      await tx.query(`INSERT INTO ticket_messages (ticket_id, kind, body, created_at) VALUES ($1, 'user', $2, $3)`, [ticket.id, body, now]);
      const reopened = ticket.status === 'pending_user' || ticket.status === 'solved';
      await this.writeStatus(tx, ticket, reopened ? 'open' : ticket.status, now);
    });
  }

  /** Sets status columns and keeps the SLA clock right: paused while pending on the user, resumed after. */
  private async writeStatus(tx: Queryable, ticket: Ticket, status: TicketStatus, now: Date, extra: { responded?: boolean } = {}): Promise<void> {
    let clock = { firstResponseDueAt: ticket.firstResponseDueAt, resolutionDueAt: ticket.resolutionDueAt, pausedAt: ticket.slaPausedAt };
    const firstRespondedAt = ticket.firstRespondedAt ?? (extra.responded ? now : null);
    if (status === 'pending_user') clock = pauseClock(clock, now);
    else if (clock.pausedAt) clock = resumeClock({ ...clock, firstRespondedAt }, this.sla[ticket.priority].clock, this.opts.calendar, now);
    const solved = status === 'solved' || status === 'closed';
    await tx.query(
      `UPDATE tickets SET status = $2, sla_paused_at = $3, first_response_due_at = $4, resolution_due_at = $5,
              first_responded_at = $6, solved_at = $7, updated_at = $8 WHERE id = $1`,
      [ticket.id, status, solved ? null : clock.pausedAt, clock.firstResponseDueAt, clock.resolutionDueAt, firstRespondedAt,
        solved ? ticket.solvedAt ?? now : null, now],
    );
  }

  /** A public reply: in the thread, emailed to the user, and the ticket moves to the chosen status. */
  async reply(actor: Actor, ticketId: string, input: { body: unknown; status?: unknown }): Promise<void> {
    const body = requireText(input.body, 'body', MESSAGE_MAX, true);
    const status = input.status === undefined || input.status === '' ? 'pending_user' : input.status;
    if (!isTicketStatus(status) || status === 'new') throw new KinkyuError('VALIDATION', { field: 'status', rule: 'enum' });
    await this.db.transaction(async (tx) => {
      const ticket = await getTicket(tx, ticketId, { forUpdate: true });
      await this.postReply(tx, actor, ticket, body, status);
    });
  }

  private async postReply(tx: Queryable, actor: Actor, ticket: Ticket, body: string, status: TicketStatus): Promise<void> {
    const now = this.clock();
    const [message] = await tx.query<{ id: string }>(
      `INSERT INTO ticket_messages (ticket_id, kind, author_id, body, created_at) VALUES ($1, 'reply', $2, $3, $4) RETURNING id`,
      [ticket.id, staffIdOf(actor), body, now],
    );
    const ctx = this.mailContext(ticket);
    const mail = status === 'solved' ? solvedMail(ctx, body) : replyMail(ctx, body);
    await enqueueMail(tx, { to: ticket.email, subject: mail.subject, text: mail.text, ticketId: ticket.id,
      messageId: `<ticket-${ticket.id}-reply-${message!.id}@${this.opts.mailDomain}>` }, { domain: this.opts.mailDomain });
    await this.writeStatus(tx, ticket, status, now, { responded: true });
    await this.audit(tx, actor, 'ticket.reply', ticket.id, { messageId: Number(message!.id), status });
  }

  async note(actor: Actor, ticketId: string, bodyInput: unknown): Promise<void> {
    const body = requireText(bodyInput, 'body', MESSAGE_MAX, true);
    await this.db.transaction(async (tx) => {
      const ticket = await getTicket(tx, ticketId, { forUpdate: true });
      await tx.query(`INSERT INTO ticket_messages (ticket_id, kind, author_id, body, created_at) VALUES ($1, 'note', $2, $3, $4)`, [
        ticket.id, staffIdOf(actor), body, this.clock(),
      ]);
      if (ticket.status === 'new') await this.writeStatus(tx, ticket, 'open', this.clock());
    });
  }

  async assign(actor: Actor, ticketId: string, assigneeInput: unknown): Promise<void> {
    const assigneeId = assigneeInput === '' || assigneeInput === undefined || assigneeInput === null ? null : assigneeInput;
    if (assigneeId !== null && (typeof assigneeId !== 'string' || !/^[0-9a-z]{1,40}$/.test(assigneeId))) {
      throw new KinkyuError('VALIDATION', { field: 'assignee', rule: 'id' });
    }
    await this.db.transaction(async (tx) => {
      const ticket = await getTicket(tx, ticketId, { forUpdate: true });
      if (assigneeId) {
        const [staff] = await tx.query(`SELECT 1 FROM staff WHERE id = $1 AND disabled_at IS NULL`, [assigneeId]);
        if (!staff) throw new KinkyuError('NOT_FOUND', { what: 'staff' });
      }
      await tx.query(`UPDATE tickets SET assignee_id = $2, updated_at = $3 WHERE id = $1`, [ticket.id, assigneeId, this.clock()]);
      if (ticket.status === 'new' && assigneeId) await this.writeStatus(tx, ticket, 'open', this.clock());
      await this.audit(tx, actor, 'ticket.assign', ticket.id, { from: ticket.assigneeId, to: assigneeId });
    });
  }

  async setStatus(actor: Actor, ticketId: string, statusInput: unknown): Promise<void> {
    if (!isTicketStatus(statusInput)) throw new KinkyuError('VALIDATION', { field: 'status', rule: 'enum' });
    await this.db.transaction(async (tx) => {
      const ticket = await getTicket(tx, ticketId, { forUpdate: true });
      if (statusInput === ticket.status) return;
      if (statusInput === 'new') throw new KinkyuError('VALIDATION', { field: 'status', rule: 'enum' });
      await this.writeStatus(tx, ticket, statusInput, this.clock());
      await this.audit(tx, actor, 'ticket.status', ticket.id, { from: ticket.status, to: statusInput });
    });
  }

  /** Staff override triage; the automatic answer stays on the ticket and the correction is kept for tuning. */
  async correctTriage(actor: Actor, ticketId: string, input: { type: unknown; priority: unknown; note?: unknown }): Promise<void> {
    if (!isTicketType(input.type)) throw new KinkyuError('VALIDATION', { field: 'type', rule: 'enum' });
    if (!isPriority(input.priority)) throw new KinkyuError('VALIDATION', { field: 'priority', rule: 'enum' });
    const type = input.type;
    const priority = input.priority;
    const note = cleanText(input.note, 'note', { max: 2000, multiline: true }) ?? '';
    await this.db.transaction(async (tx) => {
      const ticket = await getTicket(tx, ticketId, { forUpdate: true });
      if (ticket.type === type && ticket.priority === priority) return;
      const clock = repriorize(this.sla, this.opts.calendar, {
        priority: ticket.priority, createdAt: ticket.createdAt, firstRespondedAt: ticket.firstRespondedAt, resolvedAt: ticket.solvedAt,
        firstResponseDueAt: ticket.firstResponseDueAt, resolutionDueAt: ticket.resolutionDueAt, pausedAt: ticket.slaPausedAt,
      }, priority);
      await tx.query(
        `UPDATE tickets SET type = $2, priority = $3, first_response_due_at = $4, resolution_due_at = $5, updated_at = $6 WHERE id = $1`,
        [ticket.id, type, priority, clock.firstResponseDueAt, clock.resolutionDueAt, this.clock()],
      );
      await tx.query(
        `INSERT INTO triage_corrections (ticket_id, staff_id, from_type, from_priority, to_type, to_priority, body) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
        [ticket.id, staffIdOf(actor), ticket.type, ticket.priority, type, priority, note],
      );
      // A ticket that turns out to be a security report leaves the outage it was filed under.
      if (type === 'security' && ticket.incidentId) await tx.query(`UPDATE tickets SET incident_id = NULL, incident_link = NULL WHERE id = $1`, [ticket.id]);
      await this.audit(tx, actor, 'ticket.triage_correct', ticket.id, { from: { type: ticket.type, priority: ticket.priority }, to: { type, priority } });
    });
  }

  /** Asks the user for information (seed §3.3): a public reply listing the items, the ticket waits on the user. */
  async requestInformation(actor: Actor, ticketId: string, input: { items: unknown; body?: unknown }, itemLabel: (lang: 'ja' | 'en', item: string) => string): Promise<void> {
    const items = parseChecklistItems(input.items);
    const extra = cleanText(input.body, 'body', { max: MESSAGE_MAX, multiline: true });
    await this.db.transaction(async (tx) => {
      const ticket = await getTicket(tx, ticketId, { forUpdate: true });
      const now = this.clock().toISOString();
      const checklist: ChecklistEntry[] = ticket.checklist.filter((e) => !items.includes(e.item));
      for (const item of items) checklist.push({ item, requestedAt: now, receivedAt: null });
      const intro = ticket.lang === 'ja' ? '調査のため、次の情報をこのチケットへの返信でお知らせください:' : 'To look into this, please reply to this ticket with:';
      const body = [intro, ...items.map((i) => `・${itemLabel(ticket.lang, i)}`), ...(extra ? ['', extra] : [])].join('\n');
      await tx.query(`UPDATE tickets SET checklist = $2::jsonb WHERE id = $1`, [ticket.id, JSON.stringify(checklist)]);
      await this.postReply(tx, actor, { ...ticket, checklist }, body, 'pending_user');
    });
  }

  async markReceived(actor: Actor, ticketId: string, itemInput: unknown, received: boolean): Promise<void> {
    const [item] = parseChecklistItems(itemInput);
    await this.db.transaction(async (tx) => {
      const ticket = await getTicket(tx, ticketId, { forUpdate: true });
      const entry = ticket.checklist.find((e) => e.item === item);
      if (!entry) throw new KinkyuError('NOT_FOUND', { what: 'checklist item' });
      entry.receivedAt = received ? this.clock().toISOString() : null;
      await tx.query(`UPDATE tickets SET checklist = $2::jsonb, updated_at = $3 WHERE id = $1`, [ticket.id, JSON.stringify(ticket.checklist), this.clock()]);
      await this.audit(tx, actor, 'ticket.checklist', ticket.id, { item, received });
    });
  }

  async linkIncident(actor: Actor, ticketId: string, incidentInput: unknown): Promise<void> {
    if (typeof incidentInput !== 'string' || !/^[0-9a-z]{1,40}$/.test(incidentInput)) throw new KinkyuError('VALIDATION', { field: 'incident', rule: 'id' });
    await this.db.transaction(async (tx) => {
      const ticket = await getTicket(tx, ticketId, { forUpdate: true });
      const [incident] = await tx.query(`SELECT id FROM incidents WHERE id = $1`, [incidentInput]);
      if (!incident) throw new KinkyuError('NOT_FOUND', { what: 'incident' });
      await tx.query(`UPDATE tickets SET incident_id = $2, incident_link = 'staff', updated_at = $3 WHERE id = $1`, [ticket.id, incidentInput, this.clock()]);
      await this.audit(tx, actor, 'ticket.link', ticket.id, { incidentId: incidentInput, from: ticket.incidentId });
    });
  }

  async unlinkIncident(actor: Actor, ticketId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const ticket = await getTicket(tx, ticketId, { forUpdate: true });
      if (!ticket.incidentId) return;
      await tx.query(`UPDATE tickets SET incident_id = NULL, incident_link = NULL, updated_at = $2 WHERE id = $1`, [ticket.id, this.clock()]);
      await this.audit(tx, actor, 'ticket.unlink', ticket.id, { incidentId: ticket.incidentId });
    });
  }

  /**
   * One public reply to every open ticket linked to an incident: each user gets one email on their own ticket,
   * in their language when an English text is given. With `solve`, the tickets are solved with it.
   */
  async replyToLinked(actor: Actor, incidentId: string, input: { body: unknown; bodyEn?: unknown; solve?: boolean }): Promise<{ count: number }> {
    const body = requireText(input.body, 'body', MESSAGE_MAX, true);
    const bodyEn = cleanText(input.bodyEn, 'bodyEn', { max: MESSAGE_MAX, multiline: true });
    if (typeof incidentId !== 'string' || !/^[0-9a-z]{1,40}$/.test(incidentId)) throw new KinkyuError('NOT_FOUND', { what: 'incident' });
    return this.db.transaction(async (tx) => {
      const [incident] = await tx.query(`SELECT id FROM incidents WHERE id = $1`, [incidentId]);
      if (!incident) throw new KinkyuError('NOT_FOUND', { what: 'incident' });
      return this.replyToLinkedIn(tx, actor, incidentId, { body, bodyEn, solve: input.solve === true });
    });
  }

  /** The same, inside a caller's transaction (resolving the incident and solving its tickets commit together). */
  async replyToLinkedIn(tx: Queryable, actor: Actor, incidentId: string, input: { body: string; bodyEn: string | null; solve: boolean }): Promise<{ count: number }> {
    const ids = await tx.query<{ id: string }>(
      `SELECT id FROM tickets WHERE incident_id = $1 AND status IN ('new','open','pending_user') ORDER BY number FOR UPDATE`,
      [incidentId],
    );
    const status: TicketStatus = input.solve ? 'solved' : 'pending_user';
    for (const { id } of ids) {
      const ticket = await getTicket(tx, id);
      await this.postReply(tx, actor, ticket, ticket.lang === 'en' && input.bodyEn ? input.bodyEn : input.body, status);
    }
    await this.audit(tx, actor, input.solve ? 'incident.solve_linked' : 'incident.reply_linked', incidentId, { tickets: ids.length }, 'incident');
    return { count: ids.length };
  }

  /** Open incidents staff can link a ticket to. */
  async openIncidents(): Promise<{ id: string; nameJa: string; nameEn: string | null; type: TicketType }[]> {
    const rows = await this.db.query<{ id: string; name_ja: string; name_en: string | null; type: TicketType; status: Incident['status'] }>(
      `SELECT id, name_ja, name_en, type, status FROM incidents WHERE kind = 'incident' ORDER BY created_at DESC LIMIT 50`,
    );
    return rows.filter((r) => isIncidentOpen(r.status)).map((r) => ({ id: r.id, nameJa: r.name_ja, nameEn: r.name_en, type: r.type }));
  }

  private async audit(tx: Queryable, actor: Actor, action: string, targetId: string, data: Record<string, unknown>, targetType = 'ticket'): Promise<void> {
    await appendAudit(tx, { actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action, targetType, targetId, data });
  }
}
