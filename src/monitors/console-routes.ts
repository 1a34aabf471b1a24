import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { KinkyuError } from '../domain/errors.ts';
import { parseMonitorInput, type MonitorInput } from './config.ts';
import { createMonitor, dailyUptime, deleteMonitor, getMonitor, listMonitors, recentResults, setMonitorEnabled, updateMonitor } from './repository.ts';
import type { MonitorService } from './service.ts';
import { listComponents } from '../status/repository.ts';
import type { Lang, MessageKey } from '../web/i18n.ts';
import { consoleContext, formAction, sendPage, staffActor } from '../console/form-action.ts';
import { bodyOf, type Body } from '../web/body.ts';
import * as views from './console-views.ts';
import { MonitorSchemas } from './schemas.ts';

export interface MonitorConsoleOptions {
  db: Db;
  config: Config;
  monitors: MonitorService;
  clock: () => Date;
}

export const FLASH: Readonly<Record<string, MessageKey>> = {
  created: 'monitor.created',
  saved: 'monitor.saved',
  enabled: 'monitor.enabledFlash',
  disabled: 'monitor.disabledFlash',
  deleted: 'monitor.deleted',
  published: 'monitor.proposal.published',
  resolved: 'monitor.proposal.resolved',
  alreadyClosed: 'monitor.proposal.alreadyClosed',
  dismissed: 'monitor.proposal.dismissed',
};

const DAY_MS = 86_400_000;

/** A definition for the audit log: header values (often credentials) left out. */
function auditInput(input: MonitorInput): Record<string, unknown> {
  const config = { ...input.config } as Record<string, unknown>;
  if (config.headers && typeof config.headers === 'object') config.headers = Object.keys(config.headers);
  return { ...input, config };
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * A form's flat fields (`config.url`, `componentIds`, checkboxes) as the object parseMonitorInput takes; a JSON
 * body is that object already. Only the chosen kind's config fields are taken.
 */
export function monitorInputFrom(body: Body, bitbankDefault: string): unknown {
  const isForm = body.config === undefined;
  const raw: Record<string, unknown> = { ...body };
  delete raw._csrf;
  if (isForm) {
    for (const key of Object.keys(raw)) if (key.startsWith('config.')) delete raw[key];
    for (const key of ['intervalS', 'timeoutMs', 'failThreshold', 'recoverThreshold']) if (text(body[key]) === undefined) delete raw[key];
    raw.componentIds = body.componentIds === undefined ? [] : ([] as unknown[]).concat(body.componentIds);
    raw.enabled = body.enabled === 'on' || body.enabled === 'true';
    const f = (name: string) => text(body[`config.${name}`]);
    const config: Record<string, unknown> = {};
    if (body.kind === 'http') {
      config.url = body['config.url'];
      if (f('method')) config.method = f('method');
      if (f('expectedStatus')) config.expectedStatus = f('expectedStatus')!.split(',').map((s) => s.trim()).filter(Boolean);
      if (f('keyword')) {
        config.keyword = f('keyword');
        config.keywordAbsent = body['config.keywordAbsent'] === 'on';
      }
      if (f('jsonPath')) {
        config.jsonPath = f('jsonPath');
        const expected = f('jsonExpected');
        if (expected !== undefined) {
          try {
            config.jsonExpected = JSON.parse(expected);
          } catch {
            config.jsonExpected = expected;
          }
        }
      }
      if (f('degradedAboveMs')) config.degradedAboveMs = f('degradedAboveMs');
    } else if (body.kind === 'tcp') {
      config.host = body['config.host'];
      config.port = body['config.port'];
    } else if (body.kind === 'bitbank') {
      config.baseUrl = f('baseUrl') ?? bitbankDefault;
      if (f('degradedAboveMs')) config.degradedAboveMs = f('degradedAboveMs');
    }
    raw.config = config;
  } else if (body.kind === 'bitbank' && body.config && typeof body.config === 'object' && !Array.isArray(body.config)) {
    const c = body.config as Record<string, unknown>;
    if (c.baseUrl === undefined) raw.config = { ...c, baseUrl: bitbankDefault };
  }
  return raw;
}

/**
 * `/staff/monitors`: read with `console.view`, change with `monitor.manage`. Proposals are acted on with
 * `incident.write` (publishing one declares an incident). Every change is audited.
 */
export function registerMonitorConsole(app: FastifyInstance, opts: MonitorConsoleOptions): void {
  const { db, config, monitors, clock } = opts;
  const settings = config.monitors;
  const ctx = (request: FastifyRequest, reply: FastifyReply, extra: { lang?: Lang; error?: string } = {}) =>
    consoleContext(request, reply, config.timeZone, FLASH, extra);
  const read = { config: { permission: 'console.view' as const } };
  const manage = { config: { permission: 'monitor.manage' as const } };
  /** A change: its schema, and refusals shown with the form (`formAction` throws the schema's). */
  const change = (schema: FastifySchema) => ({ schema, config: { ...manage.config, refusesInHandler: true } });
  const parse = (body: Body): MonitorInput => parseMonitorInput(monitorInputFrom(body, settings.bitbankApiUrl), { minIntervalS: settings.minIntervalS });
  const policyKey: MessageKey = settings.incidentPolicy === 'publish' ? 'monitor.policy.publish' : 'monitor.policy.draft';

  const renderMonitor = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, extra: { lang?: Lang; error?: string; values?: views.FormValues } = {}) => {
    const m = await getMonitor(db, request.params.id);
    const now = clock();
    const [components, results, days, proposals] = await Promise.all([
      listComponents(db),
      recentResults(db, m.id, 20),
      dailyUptime(db, m.id, new Date(now.getTime() - 90 * DAY_MS), now, config.timeZone),
      monitors.listProposals({ monitorId: m.id, limit: 10 }),
    ]);
    const byDate = new Map(days.map((d) => [d.date, d]));
    const window = Array.from({ length: 90 }, (_, i) => {
      const date = new Intl.DateTimeFormat('en-CA', { timeZone: config.timeZone }).format(new Date(now.getTime() - (89 - i) * DAY_MS));
      return byDate.get(date) ?? { date, checks: 0, okChecks: 0, uptime: null };
    });
    return views.monitorPage(ctx(request, reply, extra), m, { components, results, days: window, proposals, ...(extra.values ? { values: extra.values } : {}) });
  };

  app.get('/staff/monitors', read, async (request, reply) => {
    const [list, components, proposals] = await Promise.all([listMonitors(db), listComponents(db), monitors.listProposals({ open: true })]);
    return sendPage(reply, views.monitorsListPage(ctx(request, reply), list, components, proposals, policyKey));
  });

  app.get('/staff/monitors/new', manage, async (request, reply) =>
    sendPage(reply, views.newMonitorPage(ctx(request, reply), await listComponents(db), {
      kind: 'http', intervalS: '60', timeoutMs: '10000', failThreshold: '3', recoverThreshold: '3', enabled: 'on', 'config.baseUrl': settings.bitbankApiUrl,
    })),
  );

  app.post('/staff/monitors', change(MonitorSchemas.create), async (request, reply) =>
    formAction(request, reply, {
      scope: 'monitor',
      run: async () => {
        const input = parse(bodyOf(request));
        const actor = staffActor(request);
        const id = await db.transaction(async (tx) => {
          const created = await createMonitor(tx, input, clock());
          await appendAudit(tx, { actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'monitor.create', targetType: 'monitor', targetId: created, data: auditInput(input) }, clock());
          return created;
        });
        return { id };
      },
      onSuccess: (r) => reply.redirect(`/staff/monitors/${r.id}?ok=created`, 303),
      onRefusal: async (lang, error) => views.newMonitorPage(ctx(request, reply, { lang, error }), await listComponents(db), bodyOf(request)),
    }),
  );

  app.get<{ Params: { id: string } }>('/staff/monitors/:id', read, async (request, reply) => sendPage(reply, await renderMonitor(request, reply)));

  app.post<{ Params: { id: string } }>('/staff/monitors/:id', change(MonitorSchemas.update), async (request, reply) =>
    formAction(request, reply, {
      scope: 'monitor',
      run: async () => {
        const input = parse(bodyOf(request));
        const actor = staffActor(request);
        await db.transaction(async (tx) => {
          await updateMonitor(tx, request.params.id, input, clock());
          await appendAudit(tx, { actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'monitor.update', targetType: 'monitor', targetId: request.params.id, data: auditInput(input) }, clock());
        });
        return { id: request.params.id };
      },
      onSuccess: () => reply.redirect(`/staff/monitors/${request.params.id}?ok=saved`, 303),
      onRefusal: (lang, error) => renderMonitor(request, reply, { lang, error, values: bodyOf(request) }),
    }),
  );

  app.post<{ Params: { id: string } }>('/staff/monitors/:id/enabled', change(MonitorSchemas.enabled), async (request, reply) =>
    formAction(request, reply, {
      scope: 'monitor',
      run: async () => {
        const raw = bodyOf(request).enabled;
        if (raw !== true && raw !== false && raw !== 'true' && raw !== 'false') throw new KinkyuError('VALIDATION', { field: 'enabled', rule: 'enum' });
        const enabled = raw === true || raw === 'true';
        const actor = staffActor(request);
        await db.transaction(async (tx) => {
          await setMonitorEnabled(tx, request.params.id, enabled, clock());
          await appendAudit(tx, { actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: enabled ? 'monitor.enable' : 'monitor.disable', targetType: 'monitor', targetId: request.params.id }, clock());
        });
        return { enabled };
      },
      onSuccess: (r) => reply.redirect(`/staff/monitors/${request.params.id}?ok=${r.enabled ? 'enabled' : 'disabled'}`, 303),
      onRefusal: (lang, error) => renderMonitor(request, reply, { lang, error }),
    }),
  );

  app.post<{ Params: { id: string } }>('/staff/monitors/:id/delete', change(MonitorSchemas.remove), async (request, reply) =>
    formAction(request, reply, {
      scope: 'monitor',
      run: async () => {
        const actor = staffActor(request);
        await db.transaction(async (tx) => {
          const { name } = await deleteMonitor(tx, request.params.id);
          await appendAudit(tx, { actorType: actor.type, actorId: actor.id, ip: actor.ip ?? null, action: 'monitor.delete', targetType: 'monitor', targetId: request.params.id, data: { name } }, clock());
        });
        return { id: request.params.id };
      },
      onSuccess: () => reply.redirect('/staff/monitors?ok=deleted', 303),
      onRefusal: (lang, error) => renderMonitor(request, reply, { lang, error }),
    }),
  );
}
