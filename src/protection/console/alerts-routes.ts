import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import type { Db } from '../../store/db.ts';
import { acknowledgeAlert, getAlert, listAlerts, openLock } from '../alert-repository.ts';
import type { Lang, MessageKey } from '../../web/i18n.ts';
import { alertPage, alertsPage } from './alerts-views.ts';
import { consoleContext, formAction, sendPage, staffActor } from '../../console/form-action.ts';
import { AlertSchemas } from './schemas.ts';

export interface AlertsRoutesOptions {
  db: Db;
  config: Config;
  clock?: () => Date;
}

const FLASH: Readonly<Record<string, MessageKey>> = { acknowledged: 'detection.acknowledgedFlash' };

/** Staff: detection's alerts, newest first, with their evidence; acknowledging one. Security roles only. */
export function registerAlertsRoutes(app: FastifyInstance, opts: AlertsRoutesOptions): void {
  const { db, config } = opts;
  const clock = opts.clock ?? (() => new Date());
  const ctx = (request: FastifyRequest, reply: FastifyReply, extra: { lang?: Lang; error?: string } = {}) => consoleContext(request, reply, config.timeZone, FLASH, extra);

  app.get('/staff/security/alerts', { schema: AlertSchemas.list, config: { permission: 'audit.view' } }, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const unacknowledged = query.status !== 'all';
    const offset = typeof query.offset === 'string' && /^\d{1,6}$/.test(query.offset) ? Number(query.offset) : 0;
    const { alerts, total } = await listAlerts(db, { unacknowledged, limit: 100, offset });
    if (request.headers.accept?.includes('application/json')) return reply.send({ total, alerts });
    return sendPage(reply, alertsPage(ctx(request, reply), { alerts, total, unacknowledged }));
  });

  const render = async (request: FastifyRequest, reply: FastifyReply, id: string, extra: { lang?: Lang; error?: string } = {}) => {
    const alert = await getAlert(db, id);
    const lock = alert.accountId ? await openLock(db, alert.accountId) : null;
    return alertPage(ctx(request, reply, extra), alert, lock);
  };

  app.get<{ Params: { id: string } }>('/staff/security/alerts/:id', { schema: AlertSchemas.one, config: { permission: 'audit.view' } }, async (request, reply) => {
    if (request.headers.accept?.includes('application/json')) {
      const alert = await getAlert(db, request.params.id);
      return reply.send({ ...alert, lock: alert.accountId ? await openLock(db, alert.accountId) : null });
    }
    return sendPage(reply, await render(request, reply, request.params.id));
  });

  // Acknowledging also clears a pending step-up: the security team's call, not every reader's.
  app.post<{ Params: { id: string } }>('/staff/security/alerts/:id/acknowledge', { schema: AlertSchemas.acknowledge, config: { permission: 'account.lock', refusesInHandler: true } }, async (request, reply) =>
    formAction(request, reply, {
      run: async () => {
        await acknowledgeAlert(db, staffActor(request), request.params.id, clock());
        return {};
      },
      onSuccess: () => reply.redirect(`/staff/security/alerts/${request.params.id}?ok=acknowledged`, 303),
      onRefusal: (lang, error) => render(request, reply, request.params.id, { lang, error }),
    }),
  );
}
