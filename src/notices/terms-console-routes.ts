import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { KinkyuError } from '../domain/errors.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { csvDocument } from './csv.ts';
import { todayIn } from './days.ts';
import { termsDiffFor } from './public-routes.ts';
import { pendingUsers, termsCounts } from './report.ts';
import { createTerms, getTermsByLabel, listTermsVersions, previousTerms, publishTerms, updateTermsDraft } from './terms.ts';
import { parseTermsInput } from './validation.ts';
import { NoticeSchemas } from './schemas.ts';
import type { Lang } from '../web/i18n.ts';
import { formAction, consoleContext, sendPage, staffActor } from '../console/form-action.ts';
import { bodyOf } from '../web/body.ts';
import { FLASH, type NoticeConsoleOptions } from './console-routes.ts';
import * as views from './console-views.ts';

const PAGE_SIZE = 50;
/** The CSV holds at most this many rows; beyond that, the page-by-page report. */
const CSV_MAX_ROWS = 200_000;

/**
 * Terms versions in the staff console, and the report of who has not acknowledged one. Reading needs
 * `console.view`; writing, and the report (a list of users' addresses), need `notice.publish`.
 */
export function registerTermsConsole(app: FastifyInstance, opts: NoticeConsoleOptions): void {
  const { db, config, accounts, clock } = opts;
  const ctx = (request: FastifyRequest, reply: FastifyReply, extra: { lang?: Lang; error?: string } = {}) =>
    consoleContext(request, reply, config.timeZone, FLASH, extra);
  const today = () => todayIn(clock(), config.timeZone);
  const read = { config: { permission: 'console.view' as const } };
  const write = { config: { permission: 'notice.publish' as const } };
  const form = (schema: FastifySchema) => ({ schema, config: { ...write.config, refusesInHandler: true } });

  // ------------------------------------------------------------------------------------------ terms

  app.get('/staff/terms', read, async (request, reply) => sendPage(reply, views.termsListPage(ctx(request, reply), await listTermsVersions(db))));

  app.get('/staff/terms/new', write, async (request, reply) => sendPage(reply, views.newTermsPage(ctx(request, reply))));

  app.post('/staff/terms', form(NoticeSchemas.createTerms), async (request, reply) =>
    formAction(request, reply, {
      scope: 'notices',
      run: async () => {
        const body = bodyOf(request);
        const version = await createTerms(db, staffActor(request), parseTermsInput(body), { publish: body.intent === 'publish', now: clock(), today: today() });
        return { label: version.label, status: version.status };
      },
      onSuccess: (r) => reply.redirect(`/staff/terms/${encodeURIComponent(r.label)}?ok=${r.status === 'published' ? 'termsPublished' : 'termsCreated'}`, 303),
      onRefusal: async (lang, error) => views.newTermsPage(ctx(request, reply, { lang, error }), bodyOf(request)),
    }),
  );

  const renderVersion = async (request: FastifyRequest<{ Params: { label: string } }>, reply: FastifyReply, extra: { lang?: Lang; error?: string; values?: views.FormValues } = {}) => {
    const version = await getTermsByLabel(db, request.params.label, { publishedOnly: false });
    const counts = version.status === 'published' ? await termsCounts(db, version) : null;
    const hasPrevious = (await previousTerms(db, version)) !== null;
    return views.termsVersionPage(ctx(request, reply, extra), version, { counts, hasPrevious, ...(extra.values ? { values: extra.values } : {}) });
  };

  app.get<{ Params: { label: string } }>('/staff/terms/:label', read, async (request, reply) => sendPage(reply, await renderVersion(request, reply)));

  app.post<{ Params: { label: string } }>('/staff/terms/:label', form(NoticeSchemas.updateTerms), async (request, reply) =>
    formAction(request, reply, {
      scope: 'notices',
      run: async () => ({ label: (await updateTermsDraft(db, staffActor(request), request.params.label, parseTermsInput(bodyOf(request)), clock())).label }),
      onSuccess: (r) => reply.redirect(`/staff/terms/${encodeURIComponent(r.label)}?ok=termsSaved`, 303),
      onRefusal: (lang, error) => renderVersion(request, reply, { lang, error, values: bodyOf(request) }),
    }),
  );

  app.post<{ Params: { label: string } }>('/staff/terms/:label/publish', { schema: NoticeSchemas.publishTerms, config: write.config }, async (request, reply) =>
    formAction(request, reply, {
      scope: 'notices',
      run: async () => ({ label: (await publishTerms(db, staffActor(request), request.params.label, { now: clock(), today: today() })).label }),
      onSuccess: (r) => reply.redirect(`/staff/terms/${encodeURIComponent(r.label)}?ok=termsPublished`, 303),
      onRefusal: (lang, error) => renderVersion(request, reply, { lang, error }),
    }),
  );

  app.get<{ Params: { label: string } }>('/staff/terms/:label/diff', read, async (request, reply) => {
    const version = await getTermsByLabel(db, request.params.label, { publishedOnly: false });
    const previous = await previousTerms(db, version);
    if (!previous) throw new KinkyuError('NOT_FOUND', { what: 'terms' });
    const c = ctx(request, reply);
    return sendPage(reply, views.termsDiffStaffPage(c, version, previous, termsDiffFor(version, previous, c.lang).diff));
  });

  // ------------------------------------------------------------------------------------------ the report

  const publishedVersion = async (label: string) => {
    const version = await getTermsByLabel(db, label, { publishedOnly: false });
    if (version.status !== 'published') throw new KinkyuError('NOT_FOUND', { what: 'terms' });
    return version;
  };

  app.get<{ Params: { label: string }; Querystring: { offset?: string } }>('/staff/terms/:label/pending', write, async (request, reply) => {
    const version = await publishedVersion(request.params.label);
    const raw = Number(request.query.offset ?? 0);
    const offset = Number.isInteger(raw) && raw >= 0 && raw <= 10_000_000 ? raw : 0;
    const counts = await termsCounts(db, version);
    const users = await pendingUsers(db, accounts, version, { offset, limit: PAGE_SIZE });
    if (request.headers.accept?.includes('application/json')) return reply.header('cache-control', 'no-store').send({ counts, users, offset, limit: PAGE_SIZE });
    return sendPage(reply, views.pendingReportPage(ctx(request, reply), version, { counts, users, offset, limit: PAGE_SIZE }));
  });

  app.get<{ Params: { label: string } }>('/staff/terms/:label/pending.csv', write, async (request, reply) => {
    const version = await publishedVersion(request.params.label);
    const users = await pendingUsers(db, accounts, version, { offset: 0, limit: CSV_MAX_ROWS });
    // A list of users' addresses leaving the system: who took it, and when, is on record.
    await db.transaction((tx) =>
      appendAudit(tx, {
        actorType: 'staff', actorId: request.staff?.id ?? null, ip: request.ip, action: 'terms.report_export',
        targetType: 'terms', targetId: version.label, data: { rows: users.length },
      }, clock()),
    );
    const rows = [
      ['email', 'account_id', 'lang', 'reminders', 'last_reminded_at'],
      ...users.map((u) => [u.email, u.accountId, u.lang, u.reminders.join(' '), u.lastRemindedAt?.toISOString() ?? '']),
    ];
    const filename = `terms-${version.label}-pending.csv`;
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${filename}"`)
      .header('cache-control', 'no-store')
      .send(csvDocument(rows));
  });
}
