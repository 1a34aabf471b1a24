import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import { KinkyuError } from '../domain/errors.ts';
import { consoleContext, sendPage } from '../console/form-action.ts';
import { wantsJson } from '../web/wants-json.ts';
import { requestLang } from '../web/request-lang.ts';
import { getDemoMail, listDemoMail, rawDemoMail } from './mailbox.ts';
import { staffMailboxPage, staffMailPage, userMailboxPage, userMailPage, type UserPageContext } from './views.ts';
import { localized } from '../web/i18n.ts';

export interface DemoMailboxRoutesOptions {
  db: Db;
  config: Config;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The user signed in on this request (a live, fully signed-in session, the account not locked), or null after
     * answering for it (a redirect to the sign-in page, the locked page). Set by registerUserRoutes.
     */
    signedInUser?: (request: FastifyRequest, reply: FastifyReply) => Promise<{ accountId: string; email: string } | null>;
  }
}

const beforeOf = (request: FastifyRequest): string | null => {
  const before = (request.query as Record<string, unknown> | undefined)?.before;
  return typeof before === 'string' ? before : null;
};

/**
 * The demo mailbox's pages. Registered only when the mailbox is on (src/server.ts): otherwise these paths are the
 * usual 404. Staff with `mailbox.view` read every mail; a signed-in user reads the mail to their own address.
 */
export function registerDemoMailbox(app: FastifyInstance, opts: DemoMailboxRoutesOptions): void {
  const { db, config } = opts;
  app.decorate('kinkyuDemoMailbox', true);
  const route = { config: { permission: 'mailbox.view' as const } };
  const ctx = (request: FastifyRequest, reply: FastifyReply) => consoleContext(request, reply, config.timeZone, {});
  const private_ = (reply: FastifyReply) => reply.header('referrer-policy', 'no-referrer').header('x-robots-tag', 'noindex');

  app.get('/staff/mailbox', route, async (request, reply) => {
    const before = beforeOf(request);
    const page = await listDemoMail(db, { before });
    if (wantsJson(request)) return reply.send(page);
    return sendPage(private_(reply), staffMailboxPage(ctx(request, reply), { ...page, paged: before !== null }));
  });

  app.get<{ Params: { id: string } }>('/staff/mailbox/:id', route, async (request, reply) => {
    const mail = await getDemoMail(db, request.params.id);
    if (!mail) throw new KinkyuError('NOT_FOUND');
    if (wantsJson(request)) return reply.send(mail);
    return sendPage(private_(reply), staffMailPage(ctx(request, reply), mail));
  });

  // The message as an SMTP server would have received it: headers, MIME parts, transfer encodings.
  app.get<{ Params: { id: string } }>('/staff/mailbox/:id/source', route, async (request, reply) => {
    const raw = await rawDemoMail(db, request.params.id);
    if (!raw) throw new KinkyuError('NOT_FOUND');
    return private_(reply).header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-store').send(raw);
  });

  const userContext = (request: FastifyRequest, reply: FastifyReply, address: string): UserPageContext => {
    const lang = requestLang(request, reply);
    return { lang, timeZone: config.timeZone, exchangeName: localized(lang, config.exchangeNameJa, config.exchangeNameEn), address };
  };
  const signedIn = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!app.signedInUser) throw new KinkyuError('NOT_FOUND');
    return app.signedInUser(request, reply);
  };

  app.get('/account/mailbox', async (request, reply) => {
    const user = await signedIn(request, reply);
    if (!user) return reply;
    const before = beforeOf(request);
    const page = await listDemoMail(db, { to: user.email, before });
    return sendPage(private_(reply), userMailboxPage(userContext(request, reply, user.email), { ...page, paged: before !== null }));
  });

  app.get<{ Params: { id: string } }>('/account/mailbox/:id', async (request, reply) => {
    const user = await signedIn(request, reply);
    if (!user) return reply;
    // Another address's mail is not there for this user: the same 404 as a mail that does not exist.
    const mail = await getDemoMail(db, request.params.id, { to: user.email });
    if (!mail) throw new KinkyuError('NOT_FOUND');
    return sendPage(private_(reply), userMailPage(userContext(request, reply, user.email), mail));
  });
}
