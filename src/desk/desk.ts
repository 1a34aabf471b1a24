import type { Db, Queryable } from '../store/db.ts';
import { phoneHoursText } from '../web/phone-hours.ts';
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
  type TicketStatus,
  type TicketType,
  type TriageResult,
} from '../domain/ticket.ts';
import { enqueueMail, notifyMailQueued, wakeMailAfterCommit } from '../mail/outbox.ts';
import { GroupCommit } from '../store/group-commit.ts';
import { insertTickets, NUMBER_PLACEHOLDER, type IntakeRow, type StoredTicket } from './intake-repository.ts';
import type { PageSnapshot } from '../status/page/snapshot.ts';
import { parseChecklistItems, type ChecklistEntry } from './checklist.ts';
import { confirmationMail, replyMail, solvedMail, type MailContext } from './emails.ts';
import { matchIncident } from './incident-match.ts';
import { DEFAULT_SLA_POLICY, initialDueDates, pauseClock, repriorize, resumeClock, type SlaPolicy } from './sla.ts';
import type { TicketLinks } from './ticket-links.ts';
import { getTicket, mapTicket, TICKET_COLUMNS, TICKET_FROM, type Ticket } from './ticket-repository.ts';
import { TriageModelSource } from './triage/model-store.ts';
import { TriageHere, TriageOnThread, type Triage } from './triage/triage-thread.ts';
import { MESSAGE_MAX, parseContact, submissionKey, type ContactForm, type ContactInput, type SubmitMeta, type SubmitResult } from './contact-form.ts';


/** Tickets per statement in a bulk reply. */
const BULK_CHUNK = 500;
/** Intake statements running at once, and submissions per statement at most (see GroupCommit). */
const INTAKE_IN_FLIGHT = 2;
const INTAKE_BATCH = 100;

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
  /** The learned triage model in use (default: the database's active model, else the committed one). */
  triageModels?: TriageModelSource;
  /** Where contact-form tickets are triaged: on the process's triage thread (the server), or here (default). */
  triageOn?: 'thread' | 'here';
  log?: (msg: string, err?: unknown) => void;
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
  readonly triageModels: TriageModelSource;
  private readonly triager: Triage;
  private readonly intake: GroupCommit<IntakeRow, StoredTicket>;

  constructor(
    private readonly db: Db,
    private readonly opts: DeskOptions,
  ) {
    this.sla = opts.sla ?? DEFAULT_SLA_POLICY;
    this.clock = opts.clock ?? (() => new Date());
    this.triageModels = opts.triageModels ?? new TriageModelSource(db, this.clock);
    this.triager = opts.triageOn === 'thread' ? new TriageOnThread(db, this.triageModels, opts.log) : new TriageHere(this.triageModels);
    this.intake = new GroupCommit<IntakeRow, StoredTicket>(async (rows) => {
      const stored = await insertTickets(this.db, rows);
      return rows.map((r) => stored.get(r.id) ?? new KinkyuError('CONFLICT', { rule: 'submission_reused' }));
    }, { maxInFlight: INTAKE_IN_FLIGHT, maxBatch: INTAKE_BATCH, keyOf: (r) => r.submissionKey });
  }

  private mailContext(ticket: { id: string; lang: 'ja' | 'en'; number: number | string }, link = this.opts.links.url(ticket.id)): MailContext {
    return { lang: ticket.lang, exchangeName: this.opts.exchangeName[ticket.lang], number: String(ticket.number), link };
  }

  phoneHours(lang: 'ja' | 'en'): string {
    return phoneHoursText(lang, this.opts.calendar.config);
  }

  /**
   * A new ticket from the contact form: triaged, linked to a matching open incident (answered at once with its
   * latest public update), the confirmation email queued — all in one statement, so the number the user sees
   * exists, and nothing exists if it is not shown.
   */
  async submit(input: ContactInput, meta: SubmitMeta): Promise<SubmitResult> {
    return this.submitParsed(parseContact(input), meta);
  }

  async submitParsed(form: ContactForm, meta: SubmitMeta): Promise<SubmitResult> {
    const result: TriageResult & { needsHuman?: boolean; modelVersion?: string } = meta.triage ?? await this.triager.triage({
      text: form.body,
      category: form.category ?? undefined,
      fields: { orderId: form.orderId ?? undefined, transactionId: form.transactionId ?? undefined, asset: form.asset ?? undefined, amount: form.amount ?? undefined },
    });
    const now = this.clock();
    const snapshot = this.opts.snapshot();
    // Matching reads the in-memory page; the statement below links only if the incident is still open then.
    const match = snapshot ? matchIncident({ type: result.type, text: form.body }, snapshot.incidents, snapshot.components) : null;
    const incident = match && snapshot ? snapshot.incidents.find((i) => i.id === match.incidentId) ?? null : null;
    const autoAnswer = incident ? latestPublicUpdate(incident, meta.lang) : null;
    const reasons = match
      ? [...result.reasons, ...match.reasons.map((r, i) => ({ rule: 'incident.link', matched: match.incidentId, effect: r, ...match.codes[i] }))]
      : result.reasons;
    const due = initialDueDates(this.sla, this.opts.calendar, result.priority, now);
    const id = newId();
    const path = this.opts.links.path(id);
    const ctx = this.mailContext({ id, lang: meta.lang, number: NUMBER_PLACEHOLDER }, this.opts.links.base + path);
    const details = { type: result.type, phone: this.opts.supportPhone, phoneHours: this.phoneHours(meta.lang) };
    const sendConfirmation = meta.sendConfirmation !== false;
    const mail = sendConfirmation ? confirmationMail(ctx, details, null) : null;
    const row: IntakeRow = {
      id, email: form.email, lang: meta.lang, body: form.body, orderId: form.orderId, transactionId: form.transactionId,
      asset: form.asset, amount: form.amount, userCategory: form.category, type: result.type, priority: result.priority,
      reasons: JSON.stringify(reasons), incidentId: incident?.id ?? null,
      firstResponseDueAt: due.firstResponseDueAt, resolutionDueAt: due.resolutionDueAt, createdAt: now, ip: meta.ip,
      autoAnswer: autoAnswer ? { updateId: autoAnswer.id, body: autoAnswer.text } : null,
      mail: mail && {
        messageId: `<ticket-${id}-received@${this.opts.mailDomain}>`, subject: mail.subject, text: mail.text,
        textWithAnswer: autoAnswer ? confirmationMail(ctx, details, autoAnswer.text).text : mail.text,
      },
      submissionKey: form.submissionKey, number: meta.number ?? null, needsHuman: result.needsHuman === true,
      modelVersion: result.modelVersion ?? null,
    };
    // Inside the caller's transaction the row goes alone; otherwise it joins the submissions arriving meanwhile.
    const stored = meta.within ? (await insertTickets(meta.within, [row])).get(id) : await this.intake.submit(row);
    // The confirmation went into mail_outbox by the statement (no NOTIFY on this hot path): this process's sender wakes at commit.
    if (sendConfirmation) wakeMailAfterCommit(meta.within ?? this.db);
    // The key was used by someone else's submission: say so rather than show them that ticket.
    if (!stored) throw new KinkyuError('CONFLICT', { rule: 'submission_reused' });
    const ticket = stored.id === id ? null : await getTicket(meta.within ?? this.db, stored.id);
    return {
      ticketId: stored.id,
      number: stored.number,
      link: stored.id === id ? path : this.opts.links.path(stored.id),
      type: ticket?.type ?? result.type,
      priority: ticket?.priority ?? result.priority,
      incidentId: ticket ? ticket.incidentId : incident?.id ?? null,
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

  /**
   * The status columns after a change, with the SLA clock kept right: it stops while the ticket waits on the
   * user or is solved, and runs again (due dates moved by the stopped time) when the ticket is open again.
   */
  private statusColumns(ticket: Ticket, status: TicketStatus, now: Date, responded = false) {
    let clock = { firstResponseDueAt: ticket.firstResponseDueAt, resolutionDueAt: ticket.resolutionDueAt, pausedAt: ticket.slaPausedAt };
    const firstRespondedAt = ticket.firstRespondedAt ?? (responded ? now : null);
    const solved = status === 'solved' || status === 'closed';
    if (status === 'pending_user' || solved) clock = pauseClock(clock, now);
    else if (clock.pausedAt) clock = resumeClock({ ...clock, firstRespondedAt }, this.sla[ticket.priority].clock, this.opts.calendar, now);
    return { status, ...clock, firstRespondedAt, solvedAt: solved ? ticket.solvedAt ?? now : null };
  }

  private async writeStatus(tx: Queryable, ticket: Ticket, status: TicketStatus, now: Date, extra: { responded?: boolean } = {}): Promise<void> {
    const c = this.statusColumns(ticket, status, now, extra.responded);
    await tx.query(
      `UPDATE tickets SET status = $2, sla_paused_at = $3, first_response_due_at = $4, resolution_due_at = $5,
              first_responded_at = $6, solved_at = $7, updated_at = $8 WHERE id = $1`,
      [ticket.id, c.status, c.pausedAt, c.firstResponseDueAt, c.resolutionDueAt, c.firstRespondedAt, c.solvedAt, now],
    );
  }

  /**
   * A public reply: in the thread, emailed to the user, and the ticket moves to the chosen status. `after` is the
   * last message the agent saw: if the user wrote, or a colleague answered, since then, the reply is refused
   * (and a double-submitted form does not answer twice).
   */
  async reply(actor: Actor, ticketId: string, input: { body: unknown; status?: unknown; after?: unknown }): Promise<void> {
    const body = requireText(input.body, 'body', MESSAGE_MAX, true);
    const status = input.status === undefined || input.status === '' ? 'pending_user' : input.status;
    if (!isTicketStatus(status) || status === 'new') throw new KinkyuError('VALIDATION', { field: 'status', rule: 'enum' });
    const after = input.after === undefined || input.after === '' ? null : Number(input.after);
    if (after !== null && !Number.isSafeInteger(after)) throw new KinkyuError('VALIDATION', { field: 'after', rule: 'format' });
    await this.db.transaction(async (tx) => {
      const ticket = await getTicket(tx, ticketId, { forUpdate: true });
      if (after !== null) {
        const [newer] = await tx.query(`SELECT 1 FROM ticket_messages WHERE ticket_id = $1 AND id > $2 AND kind <> 'note' LIMIT 1`, [ticket.id, after]);
        if (newer) throw new KinkyuError('CONFLICT', { rule: 'ticket_changed' });
      }
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
    // Written by the agent: no Auto-Submitted, so an out-of-office answer or a reply by mail is welcome.
    await enqueueMail(tx, { to: ticket.email, subject: mail.subject, text: mail.text, lang: ticket.lang, origin: 'staff', ticketId: ticket.id,
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
      await this.audit(tx, actor, 'ticket.note', ticket.id, {});
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
      // Waiting on the user means something was asked: that happens with a reply, not by a status change.
      if (statusInput === 'new' || statusInput === 'pending_user') throw new KinkyuError('VALIDATION', { field: 'status', rule: 'enum' });
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
      if (ticket.type === type && ticket.priority === priority) {
        // Keeping the triage of a ticket that needed a human confirms it: it leaves the top of the queue.
        if (ticket.needsHuman) {
          await tx.query(`UPDATE tickets SET needs_human = false, updated_at = $2 WHERE id = $1`, [ticket.id, this.clock()]);
          await this.audit(tx, actor, 'ticket.triage_confirm', ticket.id, { type, priority });
        }
        return;
      }
      const clock = repriorize(this.sla, this.opts.calendar, {
        priority: ticket.priority, createdAt: ticket.createdAt, firstRespondedAt: ticket.firstRespondedAt, resolvedAt: ticket.solvedAt,
        firstResponseDueAt: ticket.firstResponseDueAt, resolutionDueAt: ticket.resolutionDueAt, pausedAt: ticket.slaPausedAt,
      }, priority);
      await tx.query(
        `UPDATE tickets SET type = $2, priority = $3, first_response_due_at = $4, resolution_due_at = $5, updated_at = $6, needs_human = false WHERE id = $1`,
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
      const ja = ticket.lang === 'ja';
      const intro = ja ? '調査のため、次の情報をこのお問い合わせへの返信でお知らせください:' : 'To look into this, please reply to this request with:';
      const body = [intro, ...items.map((i) => `${ja ? '・' : '- '}${itemLabel(ticket.lang, i)}`), ...(extra ? ['', extra] : [])].join('\n');
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
      const [incident] = await tx.query(`SELECT id FROM incidents WHERE id = $1 AND drill_id IS NULL`, [incidentInput]);
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
   * in their language when an English text is given. With `solve`, the tickets are solved with it. A `key`
   * (from the form) makes a second submission of the same form a no-op. Security reports linked by hand are
   * left out: they are answered one by one.
   */
  async replyToLinked(actor: Actor, incidentId: string, input: { body: unknown; bodyEn?: unknown; solve?: boolean; key?: unknown }): Promise<{ count: number }> {
    const body = requireText(input.body, 'body', MESSAGE_MAX, true);
    const bodyEn = cleanText(input.bodyEn, 'bodyEn', { max: MESSAGE_MAX, multiline: true });
    const key = submissionKey(input.key);
    if (typeof incidentId !== 'string' || !/^[0-9a-z]{1,40}$/.test(incidentId)) throw new KinkyuError('NOT_FOUND', { what: 'incident' });
    return this.db.transaction(async (tx) => {
      const [incident] = await tx.query(`SELECT id FROM incidents WHERE id = $1 FOR UPDATE`, [incidentId]);
      if (!incident) throw new KinkyuError('NOT_FOUND', { what: 'incident' });
      if (key) {
        const [done] = await tx.query<{ ticket_count: number }>(`SELECT ticket_count FROM ticket_bulk_replies WHERE key = $1`, [key]);
        if (done) return { count: Number(done.ticket_count) };
      }
      const result = await this.replyToLinkedIn(tx, actor, incidentId, { body, bodyEn, solve: input.solve === true });
      if (key) {
        await tx.query(`INSERT INTO ticket_bulk_replies (key, incident_id, staff_id, ticket_count) VALUES ($1,$2,$3,$4)`, [
          key, incidentId, staffIdOf(actor), result.count,
        ]);
      }
      return result;
    });
  }

  /**
   * The same, inside a caller's transaction (resolving the incident and solving its tickets commit together).
   * Set-based: a few statements per 500 tickets, not a few per ticket — thousands of linked tickets are
   * answered in seconds without holding up the server.
   */
  async replyToLinkedIn(tx: Queryable, actor: Actor, incidentId: string, input: { body: string; bodyEn: string | null; solve: boolean }): Promise<{ count: number }> {
    const rows = await tx.query(
      `SELECT ${TICKET_COLUMNS} FROM ${TICKET_FROM}
        WHERE t.incident_id = $1 AND t.status IN ('new','open','pending_user') AND t.type <> 'security'
        ORDER BY t.number FOR UPDATE OF t`,
      [incidentId],
    );
    const tickets = rows.map(mapTicket);
    const status: TicketStatus = input.solve ? 'solved' : 'pending_user';
    const now = this.clock();
    const author = staffIdOf(actor);
    for (let i = 0; i < tickets.length; i += BULK_CHUNK) {
      const chunk = tickets.slice(i, i + BULK_CHUNK);
      const texts = chunk.map((ticket) => (ticket.lang === 'en' && input.bodyEn ? input.bodyEn : input.body));
      const inserted = await tx.query<{ id: string; ticket_id: string }>(
        `INSERT INTO ticket_messages (ticket_id, kind, author_id, body, created_at)
         SELECT u.ticket_id, 'reply', $3, u.body, $4 FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(ticket_id, body, n)
          ORDER BY u.n RETURNING id, ticket_id`,
        [chunk.map((ticket) => ticket.id), texts, author, now],
      );
      const messageIds = new Map(inserted.map((r) => [r.ticket_id, r.id]));
      const mails = chunk.map((ticket, n) => {
        const ctx = this.mailContext(ticket);
        const text = texts[n]!;
        return { ticket, mail: status === 'solved' ? solvedMail(ctx, text) : replyMail(ctx, text) };
      });
      await tx.query(
        // One text by a staff member to many: a person's reply, so no Auto-Submitted (see enqueueMail's origin).
        `INSERT INTO mail_outbox (message_id, to_address, subject, text_body, ticket_id, lang)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
        [
          mails.map(({ ticket }) => `<ticket-${ticket.id}-reply-${messageIds.get(ticket.id)}@${this.opts.mailDomain}>`),
          mails.map(({ ticket }) => ticket.email),
          mails.map(({ mail }) => mail.subject),
          mails.map(({ mail }) => mail.text),
          mails.map(({ ticket }) => ticket.id),
          mails.map(({ ticket }) => ticket.lang),
        ],
      );
      const columns = chunk.map((ticket) => this.statusColumns(ticket, status, now, true));
      await tx.query(
        `UPDATE tickets t SET status = u.status, sla_paused_at = u.paused, first_response_due_at = u.first_due,
                resolution_due_at = u.resolution_due, first_responded_at = u.responded, solved_at = u.solved, updated_at = $8
           FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[])
                AS u(id, status, paused, first_due, resolution_due, responded, solved)
          WHERE t.id = u.id`,
        [
          chunk.map((ticket) => ticket.id),
          columns.map((c) => c.status),
          columns.map((c) => c.pausedAt),
          columns.map((c) => c.firstResponseDueAt),
          columns.map((c) => c.resolutionDueAt),
          columns.map((c) => c.firstRespondedAt),
          columns.map((c) => c.solvedAt),
          now,
        ],
      );
    }
    if (tickets.length) await notifyMailQueued(tx);
    await this.audit(tx, actor, input.solve ? 'incident.solve_linked' : 'incident.reply_linked', incidentId, { tickets: tickets.length }, 'incident');
    return { count: tickets.length };
  }

  /** Open incidents staff can link a ticket to: never a drill's (its sandbox incident is no user's concern). */
  async openIncidents(): Promise<{ id: string; nameJa: string; nameEn: string | null; type: TicketType }[]> {
    const rows = await this.db.query<{ id: string; name_ja: string; name_en: string | null; type: TicketType; status: Incident['status'] }>(
      `SELECT id, name_ja, name_en, type, status FROM incidents WHERE kind = 'incident' AND drill_id IS NULL ORDER BY created_at DESC LIMIT 50`,
    );
    return rows.filter((r) => isIncidentOpen(r.status)).map((r) => ({ id: r.id, nameJa: r.name_ja, nameEn: r.name_en, type: r.type }));
  }

  private async audit(tx: Queryable, actor: Actor, action: string, targetId: string, data: Record<string, unknown>, targetType = 'ticket'): Promise<void> {
    await appendAudit(tx, { actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action, targetType, targetId, data });
  }
}
