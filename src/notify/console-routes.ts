import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { KinkyuError } from '../domain/errors.ts';
import { cleanText } from '../domain/text.ts';
import { can } from '../staff/permissions.ts';
import type { Db } from '../store/db.ts';
import type { Lang, MessageKey } from '../web/i18n.ts';
import { errorMessage } from '../web/errors.ts';
import { countsByChannel, disableSubscriber, eraseSubscriber, searchSubscribers, stateOf, type SubscriberRow } from './subscriptions/repository.ts';
import { consoleContext, formAction, sendPage, staffActor } from '../console/form-action.ts';
import { bodyOf } from '../web/body.ts';
import { subscribersPage } from './console-views.ts';
import { SubscriberSchemas } from './console-schemas.ts';

export interface SubscriberConsoleOptions {
  db: Db;
  config: Config;
  clock?: (() => Date) | undefined;
}

const FLASH: Readonly<Record<string, MessageKey>> = { disabled: 'notify.staff.disabledFlash', erased: 'notify.staff.erasedFlash' };
const ID = /^[0-9a-z]{1,40}$/;

/** Staff: how many subscribe per channel (every console reader); addresses, search, disable and erase (subscriber.manage). */
export function registerSubscriberConsole(app: FastifyInstance, opts: SubscriberConsoleOptions): void {
  const { db, config } = opts;
  const clock = opts.clock ?? (() => new Date());

  const render = async (request: FastifyRequest, reply: FastifyReply, extra: { lang?: Lang; error?: string } = {}) => {
    const c = consoleContext(request, reply, config.timeZone, FLASH, extra);
    const counts = await countsByChannel(db);
    const mayManage = can(c.staff.role, 'subscriber.manage');
    const raw = (request.query as Record<string, unknown>).q;
    let q = '';
    let results: SubscriberRow[] | null = null;
    if (mayManage && raw !== undefined && raw !== '') {
      try {
        q = cleanText(raw, 'q', { max: 254 }) ?? '';
        if (q) results = await searchSubscribers(db, q);
      } catch (err) {
        if (!(err instanceof KinkyuError)) throw err;
        c.error = errorMessage(c.lang, err, 'notify');
      }
    }
    return subscribersPage(c, { counts, mayManage, q, results });
  };

  app.get('/staff/subscribers', { schema: SubscriberSchemas.counts, config: { permission: 'console.view' } }, async (request, reply) => {
    if (wantsJsonOnly(request)) return reply.send({ counts: await countsByChannel(db) });
    return sendPage(reply, await render(request, reply));
  });

  const change = (path: 'disable' | 'erase') =>
    app.post<{ Params: { id: string } }>(`/staff/subscribers/:id/${path}`, { schema: SubscriberSchemas[path], config: { permission: 'subscriber.manage', refusesInHandler: true } }, async (request, reply) =>
      formAction(request, reply, {
        scope: 'notify',
        run: async () => {
          const id = request.params.id;
          if (!ID.test(id)) throw new KinkyuError('NOT_FOUND', { what: 'subscription' });
          const body = bodyOf(request);
          const reason = path === 'disable' ? cleanText(body.reason, 'reason', { max: 200 }) : null;
          const actor = staffActor(request);
          const now = clock();
          const before = await db.transaction(async (tx) => {
            const row = path === 'disable' ? await disableSubscriber(tx, id, `staff: ${reason ?? '-'}`, now) : await eraseSubscriber(tx, id, now);
            if (!row) return null;
            // The address stays out of the audit log: that log is permanent, an erased address must not be.
            await appendAudit(tx, {
              actorType: 'staff', actorId: actor.id, ip: actor.ip, action: `subscriber.${path}`, targetType: 'subscriber', targetId: id,
              data: { channel: row.channel, stateBefore: stateOf(row), ...(reason ? { reason } : {}) },
            }, now);
            return row;
          });
          if (!before) throw new KinkyuError('NOT_FOUND', { what: 'subscription' });
          return { id };
        },
        onSuccess: () => reply.redirect(`/staff/subscribers?ok=${path === 'disable' ? 'disabled' : 'erased'}`, 303),
        onRefusal: (lang, error) => render(request, reply, { lang, error }),
      }),
    );
  change('disable');
  change('erase');
}

function wantsJsonOnly(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}
