/**
 * The staff queue (`GET /staff/tickets`), acting on selected tickets (`POST /staff/tickets/bulk`) and the
 * triage retrain started from the queue page. CSRF and the same-origin check are the staff hook's, as for every
 * staff form.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import type { BusinessCalendar } from '../domain/business-calendar.ts';
import { KinkyuError } from '../domain/errors.ts';
import { listStaff } from '../staff/accounts.ts';
import { runBulk, type BulkOutcome } from './bulk.ts';
import { CANNED_REPLIES } from './canned-replies.ts';
import type { SupportDesk } from './desk.ts';
import { listQueue, parseQueueFilter, queueCounts, type QueueFilter } from './queue.ts';
import { DEFAULT_SLA_POLICY, slaState } from './sla.ts';
import type { Ticket } from './ticket-repository.ts';
import { readCorpus } from './triage/corpus.ts';
import { retrain } from './triage/retrain.ts';
import { errorMessage } from '../web/errors.ts';
import type { Lang } from '../web/i18n.ts';
import { requestLang } from '../web/request-lang.ts';
import { triageRetrainPage } from './console-views.ts';
import { consoleContext, formAction, sendPage, staffActor } from '../console/form-action.ts';
import { bodyOf } from '../web/body.ts';
import { bulkResultText, queuePage } from './queue-views.ts';
import { BulkSchemas, QueueSchemas } from './schemas.ts';

export interface QueueRoutesOptions {
  db: Db;
  config: Config;
  desk: SupportDesk;
  calendar: BusinessCalendar;
  clock: () => Date;
}

/** The query keys a queue page keeps in its links (tabs, paging, the bulk form's way back). */
const QUEUE_KEYS = ['view', 'status', 'priority', 'type', 'sla', 'incident', 'assignee', 'group'] as const;

function queryOf(source: Record<string, unknown>, withOffset: boolean): URLSearchParams {
  const out = new URLSearchParams();
  for (const k of [...QUEUE_KEYS, ...(withOffset ? ['offset'] : [])]) {
    const v = source[k];
    if (typeof v === 'string' && v !== '') out.set(k, v);
  }
  return out;
}

/** The bulk form's way back to the page it came from: only queue keys, each valid (checked by the parser). */
function returnQuery(value: unknown, me: string): URLSearchParams {
  if (value === undefined || value === '') return new URLSearchParams();
  if (typeof value !== 'string' || value.length > 500) throw new KinkyuError('VALIDATION', { field: 'q', rule: 'enum' });
  const params = queryOf(Object.fromEntries(new URLSearchParams(value)), true);
  parseQueueFilter(Object.fromEntries(params), me);
  return params;
}

export function registerQueueRoutes(app: FastifyInstance, opts: QueueRoutesOptions): void {
  const { db, config, desk, calendar, clock } = opts;
  const exchangeName = { ja: config.exchangeNameJa, en: config.exchangeNameEn };
  const slaOf = (now: Date) => (ticket: Ticket) =>
    slaState(
      {
        priority: ticket.priority, createdAt: ticket.createdAt, firstRespondedAt: ticket.firstRespondedAt, resolvedAt: ticket.solvedAt,
        firstResponseDueAt: ticket.firstResponseDueAt, resolutionDueAt: ticket.resolutionDueAt, pausedAt: ticket.slaPausedAt,
      },
      now, DEFAULT_SLA_POLICY, calendar,
    );

  /** The queue page for a query (the request's own, or the one a refused bulk form came from). */
  const renderQueue = async (
    request: FastifyRequest,
    reply: FastifyReply,
    extra: { lang?: Lang; error?: string; query?: Record<string, unknown>; selected?: ReadonlySet<string> } = {},
  ): Promise<string> => {
    const me = request.staff!.id;
    const source = extra.query ?? (request.query as Record<string, unknown>);
    const filter: QueueFilter = parseQueueFilter(source, me);
    filter.group ??= 'incident';
    const now = clock();
    const page = await listQueue(db, filter, now);
    const counts = await queueCounts(db, me);
    const staff = (await listStaff(db)).filter((s) => !s.disabledAt).map((s) => ({ id: s.id, name: s.name }));
    const incidents = await desk.openIncidents();
    const c = consoleContext(request, reply, config.timeZone, {}, extra);
    const query = request.query as Record<string, unknown>;
    if (!extra.error && typeof query.bulk === 'string') {
      const count = (v: unknown) => (typeof v === 'string' && /^\d{1,4}$/.test(v) ? Number(v) : 0);
      const numbers = typeof query.fn === 'string' && /^[\d,]{1,400}$/.test(query.fn) ? query.fn.split(',').filter(Boolean).join(', ') : '';
      const result = bulkResultText(c, query.bulk, count(query.done), count(query.failed), numbers);
      c.flash = result.flash;
      c.error = result.error;
    }
    return queuePage(c, {
      items: page.items, total: page.total, ticketTotal: page.ticketTotal, filter, query: queryOf(source, false).toString(), counts, staff, incidents,
      canned: CANNED_REPLIES, slaOf: slaOf(now), ...(extra.selected ? { selected: extra.selected } : {}),
    });
  };

  app.get('/staff/tickets', { schema: QueueSchemas.list, config: { permission: 'ticket.view' } }, async (request, reply) => {
    if (request.headers.accept?.includes('application/json')) {
      // JSON clients get every ticket on its own row unless they ask for the grouping.
      const filter = parseQueueFilter(request.query as Record<string, unknown>, request.staff!.id);
      const now = clock();
      const page = await listQueue(db, filter, now);
      const sla = slaOf(now);
      return reply.send({
        total: page.total,
        tickets: page.tickets.map((x) => ({ ...x, sla: sla(x) })),
        ...(filter.group === 'incident'
          ? { items: page.items.map((i) => (i.kind === 'ticket' ? { kind: i.kind, id: i.ticket.id } : { kind: i.kind, incidentId: i.incidentId, count: i.count, leadId: i.lead.id })) }
          : {}),
      });
    }
    return sendPage(reply, await renderQueue(request, reply));
  });

  app.post('/staff/tickets/bulk', { schema: BulkSchemas.bulk, config: { permission: 'ticket.write', refusesInHandler: true } }, async (request, reply) => {
    const body = bodyOf(request);
    const json = (outcome: BulkOutcome) => {
      const lang = requestLang(request, reply);
      return {
        action: outcome.action,
        succeeded: outcome.succeeded,
        failed: outcome.failed.map((f) => ({ id: f.id, number: f.number, code: f.error.code, message: errorMessage(lang, f.error) })),
      };
    };
    return formAction(request, reply, {
      scope: 'bulk',
      run: async () => {
        const back = returnQuery(body.q, request.staff!.id);
        const outcome = await runBulk(db, desk, staffActor(request), { action: body.action, ids: body.ids, assignee: body.assignee, canned: body.canned, incident: body.incident }, exchangeName);
        return { ...json(outcome), back: back.toString() };
      },
      onSuccess: (result) => {
        const to = new URLSearchParams(result.back);
        to.set('bulk', result.action);
        to.set('done', String(result.succeeded.length));
        if (result.failed.length) {
          to.set('failed', String(result.failed.length));
          to.set('fn', result.failed.slice(0, 20).map((f) => f.number).join(','));
        }
        return reply.redirect(`/staff/tickets?${to.toString()}`, 303);
      },
      onRefusal: async (lang, error) => {
        let query: Record<string, unknown> = {};
        try {
          query = Object.fromEntries(returnQuery(body.q, request.staff!.id));
        } catch {
          // The way back itself was refused: show the default queue.
        }
        const ids = ([] as unknown[]).concat(body.ids ?? []).filter((x): x is string => typeof x === 'string').slice(0, 100);
        return renderQueue(request, reply, { lang, error, query, selected: new Set(ids) });
      },
    });
  });

  // Admins retrain the triage model from the corpus and every correction (as `kinkyu triage retrain` does). It
  // takes a second or two of CPU; the figures before and after are shown whatever the outcome.
  app.post('/staff/triage/retrain', { schema: BulkSchemas.retrain, config: { permission: 'staff.manage', refusesInHandler: true } }, async (request, reply) =>
    formAction(request, reply, {
      run: async () => {
        const result = await retrain(db, staffActor(request), readCorpus());
        if (result.outcome === 'replaced') desk.triageModels.invalidate();
        return { result };
      },
      onSuccess: ({ result }) => sendPage(reply, triageRetrainPage(consoleContext(request, reply, config.timeZone, {}), result)),
      onRefusal: (lang, error) => renderQueue(request, reply, { lang, error, query: {} }),
    }),
  );
}

