import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from '../config.ts';
import { wantsJson } from '../web/wants-json.ts';
import { html } from '../web/html.ts';
import { t, type Lang, type MessageKey } from '../web/i18n.ts';
import { renderIncidentPage } from '../status/page/pages.ts';
import type { PageSnapshot } from '../status/page/snapshot.ts';
import { consoleContext, formAction, sendPage, staffActor } from '../console/form-action.ts';
import { bodyOf } from '../web/body.ts';
import type { Drills } from './service.ts';
import { drillPage, drillsPage, reportPage } from './views.ts';
import { DrillChangeSchemas, DrillSchemas } from './schemas.ts';

export interface DrillRoutesOptions {
  config: Config;
  drills: Drills;
  /** The public page's state (the preview renders the drill incident into it, for staff only). */
  snapshot: () => PageSnapshot | null;
  clock?: () => Date;
}

const FLASH: Readonly<Record<string, MessageKey>> = {
  started: 'drill.started',
  finished: 'drill.finishedFlash',
  run: 'drill.scriptedDone',
  added: 'drill.recipientAdded',
  removed: 'drill.recipientRemoved',
};

/** Drills in the console: start one, watch it (preview, queue, stand-ins), finish it, read and print its report. */
export const drillsPlugin: FastifyPluginAsync<DrillRoutesOptions> = async (app, opts) => {
  const { config, drills } = opts;
  const clock = opts.clock ?? (() => new Date());
  const ctx = (request: FastifyRequest, reply: FastifyReply, extra: { lang?: Lang; error?: string } = {}) =>
    consoleContext(request, reply, config.timeZone, FLASH, extra);
  const renderList = async (request: FastifyRequest, reply: FastifyReply, extra: { lang?: Lang; error?: string } = {}, values?: Record<string, unknown>) =>
    drillsPage(ctx(request, reply, extra), { drills: await drills.list(), recipients: await drills.recipients() }, values);
  const renderDrill = async (request: FastifyRequest, reply: FastifyReply, id: string, extra: { lang?: Lang; error?: string } = {}) => {
    const drill = await drills.get(id);
    const incident = await drills.incidentOf(drill);
    return drillPage(ctx(request, reply, extra), { drill, incident, report: await drills.report(drill.id), queue: await drills.queue(drill.id), standIns: await drills.standIns(drill.id) });
  };

  app.get('/staff/drills', { schema: DrillSchemas.list, config: { permission: 'console.view' } }, async (request, reply) => {
    if (wantsJson(request)) return reply.send({ drills: await drills.list() });
    return sendPage(reply, await renderList(request, reply));
  });

  // Typed by its schema: `request.body` is the checked body once formAction has refused an invalid one.
  app.withTypeProvider<TypeBoxTypeProvider>().post('/staff/drills', { schema: DrillSchemas.start, config: { permission: 'incident.write', refusesInHandler: true } }, async (request, reply) => {
    const last = (v: unknown) => (Array.isArray(v) ? v[v.length - 1] : v);
    return formAction(request, reply, {
      scope: 'drill',
      run: () => {
        const { scenario, surge, takeovers, monitors, scripted } = request.body;
        return drills.start(staffActor(request), { scenario, surge, takeovers, monitors: last(monitors), scripted, via: 'console' });
      },
      onSuccess: (r) => reply.redirect(`/staff/drills/${r.drillId}?ok=started`, 303),
      onRefusal: (lang, error) => renderList(request, reply, { lang, error }, bodyOf(request)),
    });
  });

  for (const [path, on, schema] of [['/staff/drills/recipients', true, DrillChangeSchemas.addRecipient], ['/staff/drills/recipients/remove', false, DrillChangeSchemas.removeRecipient]] as const) {
    app.post(path, { schema, config: { permission: 'subscriber.manage', refusesInHandler: true } }, async (request, reply) =>
      formAction(request, reply, {
        scope: 'drill',
        run: () => drills.setRecipient(staffActor(request), bodyOf(request).recipient, on),
        onSuccess: () => reply.redirect(`/staff/drills?ok=${on ? 'added' : 'removed'}`, 303),
        onRefusal: (lang, error) => renderList(request, reply, { lang, error }, bodyOf(request)),
      }));
  }

  app.get<{ Params: { id: string } }>('/staff/drills/:id', { schema: DrillSchemas.one, config: { permission: 'console.view' } }, async (request, reply) => {
    if (wantsJson(request)) {
      const drill = await drills.get(request.params.id);
      return reply.send({ drill: { ...drill, report: undefined }, report: await drills.report(drill.id) });
    }
    return sendPage(reply, await renderDrill(request, reply, request.params.id));
  });

  app.get<{ Params: { id: string } }>('/staff/drills/:id/report', { schema: DrillSchemas.report, config: { permission: 'console.view' } }, async (request, reply) => {
    const drill = await drills.get(request.params.id);
    const report = await drills.report(drill.id);
    if (wantsJson(request)) return reply.send(report);
    return sendPage(reply, reportPage(ctx(request, reply), drill, report));
  });

  // What the public incident page would show, for staff only: the drill incident rendered into the page's state.
  app.get<{ Params: { id: string } }>('/staff/drills/:id/preview', { config: { permission: 'console.view' } }, async (request, reply) => {
    const c = ctx(request, reply);
    const drill = await drills.get(request.params.id);
    const incident = await drills.incidentOf(drill);
    const base = opts.snapshot();
    if (!base) return sendPage(reply, await renderDrill(request, reply, drill.id), 503);
    const visible = { ...incident, updates: incident.updates.filter((u) => u.visibility === 'public') };
    const snapshot: PageSnapshot = { ...base, incidents: [...base.incidents.filter((i) => i.id !== incident.id), visible] };
    const page = renderIncidentPage({ snapshot, lang: c.lang, staleSince: null, lastCheckedAt: clock(), officialXUrl: config.officialXUrl }, visible);
    const banner = html`<p class="drill-banner" role="note">${t(c.lang, 'drill.previewBanner')} <a href="/staff/drills/${drill.id}">${t(c.lang, 'drill.open')}</a></p>`;
    return sendPage(reply, page.replace('<main id="main" class="wrap">', `<main id="main" class="wrap">${banner.value}`).replace('<head>', '<head>\n<meta name="robots" content="noindex">'));
  });

  const onDrill = (path: '/run' | '/finish', flash: keyof typeof FLASH, run: (request: FastifyRequest<{ Params: { id: string } }>) => Promise<Record<string, unknown>>) =>
    app.post<{ Params: { id: string } }>(`/staff/drills/:id${path}`, { schema: DrillChangeSchemas[path === '/run' ? 'run' : 'finish'], config: { permission: 'incident.write', refusesInHandler: true } }, async (request, reply) =>
      formAction(request, reply, {
        scope: 'drill',
        run: () => run(request),
        onSuccess: () => reply.redirect(`/staff/drills/${encodeURIComponent(request.params.id)}?ok=${flash}`, 303),
        onRefusal: (lang, error) => renderDrill(request, reply, request.params.id, { lang, error }),
      }));
  onDrill('/run', 'run', async (r) => {
    await drills.runScripted(staffActor(r), r.params.id);
    return {};
  });
  onDrill('/finish', 'finished', async (r) => ({ report: await drills.finish(staffActor(r), r.params.id) }));
};
