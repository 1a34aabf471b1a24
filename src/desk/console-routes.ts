import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import type { BusinessCalendar } from '../domain/business-calendar.ts';
import { KinkyuError } from '../domain/errors.ts';
import { listStaff } from '../staff/accounts.ts';
import { cannedRepliesFor, findCannedReply } from './canned-replies.ts';
import type { SupportDesk } from './desk.ts';
import { DEFAULT_SLA_POLICY, slaState } from './sla.ts';
import { listQueue } from './queue.ts';
import { getTicket, ticketMessages, triageCorrections, type Ticket } from './ticket-repository.ts';
import { t, type Lang, localized, type MessageKey, known } from '../web/i18n.ts';
import { linkedTicketsPage, staffTicketPage } from './console-views.ts';
import { consoleContext, formAction, sendPage, staffActor } from '../console/form-action.ts';
import { bodyOf } from '../web/body.ts';
import { registerQueueRoutes } from './queue-routes.ts';
import { LinkedTicketSchemas, TicketActionSchemas, TicketSchemas } from './schemas.ts';
import { incidentOption as findIncidentOption } from '../status/repository.ts';

export interface DeskRoutesOptions {
  db: Db;
  config: Config;
  desk: SupportDesk;
  calendar: BusinessCalendar;
  clock?: () => Date;
}

const checklistLabel = (lang: Lang, item: string): string => known(lang, `checklist.${item}`, item);

const FLASH: Readonly<Record<string, MessageKey>> = {
  replied: 'desk.replied',
  noted: 'desk.noted',
  assigned: 'desk.assigned',
  status: 'desk.statusChanged',
  triage: 'desk.triageCorrected',
  requested: 'desk.requested',
  checklist: 'desk.checklistUpdated',
  linked: 'desk.linked',
  unlinked: 'desk.unlinked',
};

/** The staff side of the desk: the queue (queue-routes.ts), one ticket, and the incident's linked tickets with the bulk reply. */
export function registerDeskRoutes(app: FastifyInstance, opts: DeskRoutesOptions): void {
  const { db, config, desk, calendar } = opts;
  const clock = opts.clock ?? (() => new Date());
  const ctx = (request: FastifyRequest, reply: FastifyReply, extra: { lang?: Lang; error?: string } = {}) =>
    consoleContext(request, reply, config.timeZone, FLASH, extra);
  const withSla = (ticket: Ticket, now: Date) => ({
    ticket,
    sla: slaState(
      {
        priority: ticket.priority,
        createdAt: ticket.createdAt,
        firstRespondedAt: ticket.firstRespondedAt,
        resolvedAt: ticket.solvedAt,
        firstResponseDueAt: ticket.firstResponseDueAt,
        resolutionDueAt: ticket.resolutionDueAt,
        pausedAt: ticket.slaPausedAt,
      },
      now,
      DEFAULT_SLA_POLICY,
      calendar,
    ),
  });
  registerQueueRoutes(app, { db, config, desk, calendar, clock });
  const staffOptions = async () => (await listStaff(db)).filter((s) => !s.disabledAt).map((s) => ({ id: s.id, name: s.name }));

  const renderTicket = async (request: FastifyRequest, reply: FastifyReply, id: string, extra: { lang?: Lang; error?: string; replyText?: string; noteText?: string } = {}) => {
    const ticket = await getTicket(db, id);
    const c = ctx(request, reply, extra);
    const canned = findCannedReply((request.query as Record<string, unknown>)?.canned);
    const replyText = extra.replyText ?? (canned ? (localized(ticket.lang, canned.bodyJa, canned.bodyEn)).replaceAll('{exchange}', localized(ticket.lang, config.exchangeNameJa, config.exchangeNameEn)) : '');
    return staffTicketPage(c, {
      ...withSla(ticket, clock()),
      messages: await ticketMessages(db, ticket.id, { includeNotes: true }),
      corrections: await triageCorrections(db, ticket.id),
      staff: await staffOptions(),
      incidents: await desk.openIncidents(),
      canned: cannedRepliesFor(ticket.type),
      replyText,
      ...(extra.noteText !== undefined ? { noteText: extra.noteText } : {}),
    });
  };

  app.get<{ Params: { id: string } }>('/staff/tickets/:id', { schema: TicketSchemas.one, config: { permission: 'ticket.view' } }, async (request, reply) => {
    if (request.headers.accept?.includes('application/json')) {
      const ticket = await getTicket(db, request.params.id);
      return reply.send({ ...withSla(ticket, clock()), messages: await ticketMessages(db, ticket.id, { includeNotes: true }) });
    }
    return sendPage(reply, await renderTicket(request, reply, request.params.id));
  });

  /** One form on the ticket page: run it, then back to the ticket with a flash, or the page again with the error. */
  const ticketAction = (
    path: string,
    flash: keyof typeof FLASH,
    run: (request: FastifyRequest<{ Params: { id: string } }>) => Promise<unknown>,
    schema?: FastifySchema,
  ) =>
    app.post<{ Params: { id: string } }>(`/staff/tickets/:id/${path}`, { schema, config: { permission: 'ticket.write', refusesInHandler: true } }, async (request, reply) =>
      formAction(request, reply, {
        run: async () => {
          await run(request);
          return {};
        },
        onSuccess: () => reply.redirect(`/staff/tickets/${request.params.id}?ok=${flash}`, 303),
        onRefusal: async (lang, error) => {
          const body = bodyOf(request);
          const text = typeof body.body === 'string' ? body.body.slice(0, 20_000) : '';
          return renderTicket(request, reply, request.params.id, { lang, error, ...(path === 'reply' ? { replyText: text } : path === 'notes' ? { noteText: text } : {}) });
        },
      }),
    );

  ticketAction('reply', 'replied', (r) => desk.reply(staffActor(r), r.params.id, { body: bodyOf(r).body, status: bodyOf(r).status, after: bodyOf(r).after }), TicketSchemas.reply);
  ticketAction('notes', 'noted', (r) => desk.note(staffActor(r), r.params.id, bodyOf(r).body), TicketSchemas.note);
  ticketAction('assign', 'assigned', (r) => desk.assign(staffActor(r), r.params.id, bodyOf(r).assignee), TicketActionSchemas.assign);
  ticketAction('status', 'status', (r) => desk.setStatus(staffActor(r), r.params.id, bodyOf(r).status), TicketActionSchemas.status);
  ticketAction('triage', 'triage', (r) => desk.correctTriage(staffActor(r), r.params.id, { type: bodyOf(r).type, priority: bodyOf(r).priority, note: bodyOf(r).note }), TicketActionSchemas.triage);
  ticketAction('request-info', 'requested', (r) =>
    desk.requestInformation(staffActor(r), r.params.id, { items: bodyOf(r).items, body: bodyOf(r).body }, checklistLabel),
    TicketActionSchemas['request-info'],
  );
  ticketAction('checklist', 'checklist', (r) => desk.markReceived(staffActor(r), r.params.id, bodyOf(r).item, bodyOf(r).received !== 'false' && bodyOf(r).received !== false), TicketActionSchemas.checklist);
  ticketAction('link', 'linked', (r) => desk.linkIncident(staffActor(r), r.params.id, bodyOf(r).incident), TicketActionSchemas.link);
  ticketAction('unlink', 'unlinked', (r) => desk.unlinkIncident(staffActor(r), r.params.id), TicketActionSchemas.unlink);

  const incidentOption = async (id: string) => {
    const option = /^[0-9a-z]{1,40}$/.test(id) ? await findIncidentOption(db, id) : null;
    if (!option) throw new KinkyuError('NOT_FOUND', { what: 'incident' });
    return option;
  };
  const renderLinked = async (request: FastifyRequest, reply: FastifyReply, id: string, extra: { lang?: Lang; error?: string; body?: string; bodyEn?: string } = {}) => {
    const incident = await incidentOption(id);
    const now = clock();
    const { tickets, total } = await listQueue(db, { incident: id, status: 'active', limit: 500 }, now);
    const c = ctx(request, reply, extra);
    const sent = (request.query as Record<string, unknown>)?.sent;
    if (typeof sent === 'string' && /^\d{1,7}$/.test(sent) && !extra.error) c.flash = t(c.lang, 'desk.bulkSent', { count: sent });
    return linkedTicketsPage(c, { incident, open: total, tickets: tickets.map((x) => withSla(x, now)), ...(extra.body !== undefined ? { body: extra.body } : {}), ...(extra.bodyEn !== undefined ? { bodyEn: extra.bodyEn } : {}) });
  };

  app.get<{ Params: { id: string } }>('/staff/incidents/:id/tickets', { config: { permission: 'ticket.view' } }, async (request, reply) =>
    sendPage(reply, await renderLinked(request, reply, request.params.id)),
  );

  app.post<{ Params: { id: string } }>('/staff/incidents/:id/tickets/reply', { schema: LinkedTicketSchemas.reply, config: { permission: 'ticket.write', refusesInHandler: true } }, async (request, reply) =>
    formAction(request, reply, {
      run: () => {
        const body = bodyOf(request);
        return desk.replyToLinked(staffActor(request), request.params.id, { body: body.body, bodyEn: body.bodyEn, key: body.key, solve: body.solve === true || body.solve === 'true' });
      },
      onSuccess: (result) => reply.redirect(`/staff/incidents/${request.params.id}/tickets?sent=${result.count}`, 303),
      onRefusal: (lang, error) => {
        const body = bodyOf(request);
        const text = (v: unknown) => (typeof v === 'string' ? v.slice(0, 20_000) : '');
        return renderLinked(request, reply, request.params.id, { lang, error, body: text(body.body), bodyEn: text(body.bodyEn) });
      },
    }),
  );
}
