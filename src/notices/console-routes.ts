import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import type { ExchangeAccounts } from '../exchange/adapter.ts';
import { createNotice, getNotice, listNotices, noticeRevisions, publishNotice, updateNotice, withdrawNotice } from './notices.ts';
import { parseNoticeInput, parseWithdrawReason } from './validation.ts';
import { NoticeSchemas } from './schemas.ts';
import type { Lang, MessageKey } from '../web/i18n.ts';
import { formAction, consoleContext, sendPage, staffActor } from '../console/form-action.ts';
import { bodyOf } from '../web/body.ts';
import * as views from './console-views.ts';

export interface NoticeConsoleOptions {
  db: Db;
  config: Config;
  accounts: ExchangeAccounts;
  clock: () => Date;
}

export const FLASH: Readonly<Record<string, MessageKey>> = {
  created: 'notices.staff.created',
  published: 'notices.staff.publishedFlash',
  edited: 'notices.staff.edited',
  withdrawn: 'notices.staff.withdrawnFlash',
  termsCreated: 'terms.staff.created',
  termsPublished: 'terms.staff.publishedFlash',
  termsSaved: 'terms.staff.saved',
};


/**
 * Notices in the staff console (terms and the report: terms-console-routes.ts). Reading needs `console.view`; writing, and the report of who has
 * not acknowledged (a list of users' addresses), need `notice.publish`. The auth hook checks both.
 */
export function registerNoticeConsole(app: FastifyInstance, opts: NoticeConsoleOptions): void {
  const { db, config, clock } = opts;
  const ctx = (request: FastifyRequest, reply: FastifyReply, extra: { lang?: Lang; error?: string } = {}) =>
    consoleContext(request, reply, config.timeZone, FLASH, extra);
  const read = { config: { permission: 'console.view' as const } };
  const write = { config: { permission: 'notice.publish' as const } };
  const form = (schema: FastifySchema) => ({ schema, config: { ...write.config, refusesInHandler: true } });

  // ------------------------------------------------------------------------------------------ notices

  app.get('/staff/notices', read, async (request, reply) => sendPage(reply, views.noticesListPage(ctx(request, reply), await listNotices(db))));

  app.get('/staff/notices/new', write, async (request, reply) => sendPage(reply, views.newNoticePage(ctx(request, reply))));

  app.post('/staff/notices', form(NoticeSchemas.create), async (request, reply) =>
    formAction(request, reply, {
      scope: 'notices',
      run: async () => {
        const body = bodyOf(request);
        const notice = await createNotice(db, staffActor(request), parseNoticeInput(body), { publish: body.intent === 'publish', now: clock() });
        return { id: notice.id, status: notice.status };
      },
      onSuccess: (r) => reply.redirect(`/staff/notices/${r.id}?ok=${r.status === 'published' ? 'published' : 'created'}`, 303),
      onRefusal: async (lang, error) => views.newNoticePage(ctx(request, reply, { lang, error }), bodyOf(request)),
    }),
  );

  app.get<{ Params: { id: string } }>('/staff/notices/:id', read, async (request, reply) => {
    const notice = await getNotice(db, request.params.id);
    return sendPage(reply, views.noticePage(ctx(request, reply), notice, await noticeRevisions(db, notice.id)));
  });

  const rerenderNotice = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, lang: Lang, error: string, withValues: boolean) => {
    const notice = await getNotice(db, request.params.id);
    return views.noticePage(ctx(request, reply, { lang, error }), notice, await noticeRevisions(db, notice.id), withValues ? bodyOf(request) : undefined);
  };

  app.post<{ Params: { id: string } }>('/staff/notices/:id', form(NoticeSchemas.update), async (request, reply) =>
    formAction(request, reply, {
      scope: 'notices',
      run: async () => {
        const notice = await updateNotice(db, staffActor(request), request.params.id, parseNoticeInput(bodyOf(request)), clock());
        return { id: notice.id, revision: notice.revision };
      },
      onSuccess: () => reply.redirect(`/staff/notices/${request.params.id}?ok=edited`, 303),
      onRefusal: (lang, error) => rerenderNotice(request, reply, lang, error, true),
    }),
  );

  app.post<{ Params: { id: string } }>('/staff/notices/:id/publish', { schema: NoticeSchemas.publish, config: write.config }, async (request, reply) =>
    formAction(request, reply, {
      scope: 'notices',
      run: async () => ({ id: (await publishNotice(db, staffActor(request), request.params.id, clock())).id }),
      onSuccess: () => reply.redirect(`/staff/notices/${request.params.id}?ok=published`, 303),
      onRefusal: (lang, error) => rerenderNotice(request, reply, lang, error, false),
    }),
  );

  app.post<{ Params: { id: string } }>('/staff/notices/:id/withdraw', form(NoticeSchemas.withdraw), async (request, reply) =>
    formAction(request, reply, {
      scope: 'notices',
      run: async () => ({ id: (await withdrawNotice(db, staffActor(request), request.params.id, parseWithdrawReason(bodyOf(request)), clock())).id }),
      onSuccess: () => reply.redirect(`/staff/notices/${request.params.id}?ok=withdrawn`, 303),
      onRefusal: (lang, error) => rerenderNotice(request, reply, lang, error, false),
    }),
  );
}
