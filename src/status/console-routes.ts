import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../store/db.ts';
import type { Config } from '../config.ts';
import { KinkyuError } from '../domain/errors.ts';
import { zoneOffsetMs } from '../domain/uptime.ts';
import { StatusCommands } from './commands.ts';
import type { SupportDesk } from '../desk/desk.ts';
import { can } from '../staff/permissions.ts';
import { getIncident, listComponents } from './repository.ts';
import { wantsJson } from '../web/wants-json.ts';
import { ConsoleSchemas } from './schemas.ts';
import type { Lang, MessageKey } from '../web/i18n.ts';
import * as views from './console-views.ts';
import type { ConsoleContext } from '../console/views.ts';
import { consoleContext, formAction, sendPage, staffActor } from '../console/form-action.ts';
import { bodyOf, type Body } from '../web/body.ts';
import { deliveryProgressFor, type DeliveryProgressLookup } from '../notify/delivery-views.ts';

export interface StatusConsoleOptions {
  db: Db;
  config: Config;
  commands: StatusCommands;
  /** When the support desk runs: resolving an incident can solve its linked tickets. */
  desk?: SupportDesk;
  /** The fan-out's delivery progress per update, shown on the incident page. */
  deliveryProgress?: DeliveryProgressLookup;
}

const FLASH: Readonly<Record<string, MessageKey>> = {
  declared: 'staff.declared',
  updated: 'staff.updated',
  edited: 'staff.edited',
  component: 'staff.componentChanged',
  scheduled: 'staff.maintenanceScheduled',
};

/** Form fields named `cs.<componentId>` become the component-status map the commands take. */
function componentStatusesFrom(body: Body): Record<string, unknown> | undefined {
  if (body.componentStatuses !== undefined) return body.componentStatuses as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) if (key.startsWith('cs.')) out[key.slice(3)] = value;
  return out;
}

/** A datetime-local value ("2026-11-28T02:00") is wall-clock time in the page's zone; full ISO passes through. */
function zonedInput(value: unknown, timeZone: string): unknown {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return value;
  const asUtc = new Date(`${value}Z`);
  if (Number.isNaN(asUtc.getTime())) return value;
  return new Date(asUtc.getTime() - zoneOffsetMs(asUtc, timeZone)).toISOString();
}

/** The staff console's incidents, maintenances and components. */
export function registerStatusConsole(app: FastifyInstance, opts: StatusConsoleOptions): void {
  const { db, config, commands } = opts;
  const ctx = (request: FastifyRequest, reply: FastifyReply, extra: { lang?: Lang; error?: string } = {}) =>
    consoleContext(request, reply, config.timeZone, FLASH, extra);
  /** A form that succeeds answers 303 to `redirect`; one that is refused shows `rerender` with the message. */
  const act = <T extends Record<string, unknown>>(
    request: FastifyRequest,
    reply: FastifyReply,
    run: () => Promise<T>,
    redirect: (result: T) => string,
    rerender: (c: ConsoleContext) => Promise<string>,
  ) =>
    formAction(request, reply, {
      run,
      onSuccess: (result) => reply.redirect(redirect(result), 303),
      onRefusal: (lang, error) => rerender(ctx(request, reply, { lang, error })),
    });

  app.get('/staff/incidents/new', { config: { permission: 'incident.write' } }, async (request, reply) =>
    sendPage(reply, views.newIncidentPage(ctx(request, reply), await listComponents(db))),
  );

  app.post('/staff/incidents', { schema: ConsoleSchemas.declare, config: { permission: 'incident.write', refusesInHandler: true } }, async (request, reply) => {
    const body = bodyOf(request);
    return act(
      request, reply,
      () => commands.declareIncident(staffActor(request), {
        type: body.type, severity: body.severity, status: body.status, nameJa: body.nameJa, nameEn: body.nameEn,
        bodyJa: body.bodyJa, bodyEn: body.bodyEn, componentStatuses: componentStatusesFrom(body),
      }),
      (r) => `/staff/incidents/${r.incidentId}?ok=declared`,
      async (c) => views.newIncidentPage(c, await listComponents(db), body),
    );
  });

  /**
   * Publishing on a SEV1 incident speaks for the exchange in its worst hour: a public update, or a correction of
   * one, needs a fresh second factor (an internal note does not).
   */
  const publishesOnSev1 = async (request: FastifyRequest): Promise<boolean> => {
    const id = (request.params as { id?: unknown }).id;
    if (typeof id !== 'string') return false;
    const incident = await getIncident(db, id.slice(0, 64), { includeInternal: true });
    if (!incident || incident.kind !== 'incident' || incident.severity !== 'SEV1') return false;
    if (request.url.includes('/edit')) return true;
    return bodyOf(request).visibility !== 'internal';
  };

  for (const kind of ['incidents', 'maintenances'] as const) {
    const writePermission = kind === 'incidents' ? 'incident.write' : 'maintenance.write';
    const expectedKind = kind === 'incidents' ? 'incident' : 'maintenance';
    const load = async (id: string) => {
      const incident = await getIncident(db, id.slice(0, 64), { includeInternal: true });
      if (!incident || incident.kind !== expectedKind) throw new KinkyuError('NOT_FOUND', { what: expectedKind });
      return incident;
    };

    app.get<{ Params: { id: string } }>(`/staff/${kind}/:id`, { config: { permission: 'console.view' } }, async (request, reply) => {
      const incident = await load(request.params.id);
      const deliveries = await deliveryProgressFor(incident, opts.deliveryProgress);
      return sendPage(reply, views.incidentPage(ctx(request, reply), incident, await listComponents(db), undefined, deliveries));
    });

    app.post<{ Params: { id: string } }>(`/staff/${kind}/:id/updates`, { schema: ConsoleSchemas.update, config: { permission: writePermission, freshFactor: publishesOnSev1, refusesInHandler: true } }, async (request, reply) => {
      const body = bodyOf(request);
      await load(request.params.id);
      return act(
        request, reply,
        () => commands.postUpdate(staffActor(request), request.params.id, {
          status: body.status, visibility: body.visibility, bodyJa: body.bodyJa, bodyEn: body.bodyEn,
          componentStatuses: componentStatusesFrom(body),
        }, async (tx, update) => {
          // "Solve the linked tickets with this message" on a resolving update: both commit, or neither.
          const solve = body.solveLinked === true || body.solveLinked === 'true';
          if (!solve || !opts.desk || update.status !== 'resolved' || update.visibility !== 'public') return;
          if (!can(request.staff!.role, 'ticket.write')) throw new KinkyuError('FORBIDDEN');
          await opts.desk.replyToLinkedIn(tx, staffActor(request), update.incidentId, { body: update.bodyJa, bodyEn: update.bodyEn, solve: true });
        }),
        () => `/staff/${kind}/${request.params.id}?ok=updated`,
        async (c) => views.incidentPage(c, await load(request.params.id), await listComponents(db), body),
      );
    });

    app.post<{ Params: { id: string; updateId: string } }>(`/staff/${kind}/:id/updates/:updateId/edit`, { schema: ConsoleSchemas.edit, config: { permission: writePermission, freshFactor: publishesOnSev1, refusesInHandler: true } }, async (request, reply) => {
      const body = bodyOf(request);
      const incident = await load(request.params.id);
      return act(
        request, reply,
        async () => {
          await commands.editUpdate(staffActor(request), incident.id, request.params.updateId.slice(0, 64), { bodyJa: body.bodyJa, bodyEn: body.bodyEn });
          return {};
        },
        () => `/staff/${kind}/${incident.id}?ok=edited`,
        async (c) => views.incidentPage(c, incident, await listComponents(db)),
      );
    });
  }

  app.get('/staff/components', { config: { permission: 'console.view' } }, async (request, reply) =>
    sendPage(reply, views.componentsPage(ctx(request, reply), await listComponents(db))),
  );

  app.post<{ Params: { id: string } }>('/staff/components/:id/status', { schema: ConsoleSchemas.componentStatus, config: { permission: 'component.write', refusesInHandler: true } }, async (request, reply) => {
    const body = bodyOf(request);
    return act(
      request, reply,
      async () => {
        await commands.setComponentStatus(staffActor(request), request.params.id.slice(0, 64), body.status);
        return {};
      },
      () => '/staff/components?ok=component',
      async (c) => views.componentsPage(c, await listComponents(db)),
    );
  });

  app.get('/staff/maintenances/new', { config: { permission: 'maintenance.write' } }, async (request, reply) =>
    sendPage(reply, views.newMaintenancePage(ctx(request, reply), await listComponents(db))),
  );

  app.post('/staff/maintenances', { schema: ConsoleSchemas.schedule, config: { permission: 'maintenance.write', refusesInHandler: true } }, async (request, reply) => {
    const body = bodyOf(request);
    return act(
      request, reply,
      () => commands.scheduleMaintenance(staffActor(request), {
        nameJa: body.nameJa, nameEn: body.nameEn, bodyJa: body.bodyJa, bodyEn: body.bodyEn, componentIds: body.componentIds,
        scheduledFor: zonedInput(body.scheduledFor, config.timeZone),
        scheduledUntil: zonedInput(body.scheduledUntil, config.timeZone),
        autoTransition: wantsJson(request) ? body.autoTransition : body.autoTransition === 'on',
      }),
      (r) => `/staff/maintenances/${r.incidentId}?ok=scheduled`,
      async (c) => views.newMaintenancePage(c, await listComponents(db), body),
    );
  });
}
