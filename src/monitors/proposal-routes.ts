import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import type { MonitorService } from './service.ts';
import { listComponents } from '../status/repository.ts';
import type { Lang } from '../web/i18n.ts';
import { consoleContext, formAction, sendPage, staffActor } from '../console/form-action.ts';
import { bodyOf } from '../web/body.ts';
import { FLASH } from './console-routes.ts';
import * as views from './console-views.ts';
import { ProposalSchemas } from './schemas.ts';

export interface ProposalConsoleOptions {
  db: Db;
  config: Config;
  monitors: MonitorService;
}

/** A monitor's incident proposals: acted on with `incident.write` (publishing one declares an incident). */
export function registerProposalConsole(app: FastifyInstance, opts: ProposalConsoleOptions): void {
  const { db, config, monitors } = opts;
  const ctx = (request: FastifyRequest, reply: FastifyReply, extra: { lang?: Lang; error?: string } = {}) =>
    consoleContext(request, reply, config.timeZone, FLASH, extra);
  const read = { config: { permission: 'console.view' as const } };
  const decide = (schema: FastifySchema) => ({ schema, config: { permission: 'incident.write' as const, refusesInHandler: true } });

  const renderProposal = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, extra: { lang?: Lang; error?: string; values?: views.FormValues } = {}) =>
    views.proposalPage(ctx(request, reply, extra), await monitors.getProposal(request.params.id), await listComponents(db), extra.values);

  app.get<{ Params: { id: string } }>('/staff/monitor-proposals/:id', read, async (request, reply) => sendPage(reply, await renderProposal(request, reply)));

  app.post<{ Params: { id: string } }>('/staff/monitor-proposals/:id/publish', decide(ProposalSchemas.publish), async (request, reply) =>
    formAction(request, reply, {
      scope: 'monitor',
      run: async () => {
        const b = bodyOf(request);
        return monitors.publish(staffActor(request), request.params.id, { titleJa: b.titleJa, titleEn: b.titleEn, bodyJa: b.bodyJa, bodyEn: b.bodyEn });
      },
      onSuccess: (r) => reply.redirect(`/staff/incidents/${r.incidentId}?ok=declared`, 303),
      onRefusal: (lang, error) => renderProposal(request, reply, { lang, error, values: bodyOf(request) }),
    }),
  );

  app.post<{ Params: { id: string } }>('/staff/monitor-proposals/:id/resolve', decide(ProposalSchemas.resolve), async (request, reply) =>
    formAction(request, reply, {
      scope: 'monitor',
      run: async () => {
        const b = bodyOf(request);
        return monitors.acceptResolve(staffActor(request), request.params.id, { bodyJa: b.bodyJa, bodyEn: b.bodyEn });
      },
      onSuccess: (r) => reply.redirect(r.alreadyClosed ? '/staff/monitors?ok=alreadyClosed' : `/staff/incidents/${r.incidentId}?ok=updated`, 303),
      onRefusal: (lang, error) => renderProposal(request, reply, { lang, error, values: bodyOf(request) }),
    }),
  );

  app.post<{ Params: { id: string } }>('/staff/monitor-proposals/:id/dismiss', decide(ProposalSchemas.dismiss), async (request, reply) =>
    formAction(request, reply, {
      scope: 'monitor',
      run: async () => {
        await monitors.dismiss(staffActor(request), request.params.id);
        return { id: request.params.id };
      },
      onSuccess: () => reply.redirect('/staff/monitors?ok=dismissed', 303),
      onRefusal: (lang, error) => renderProposal(request, reply, { lang, error }),
    }),
  );
}
