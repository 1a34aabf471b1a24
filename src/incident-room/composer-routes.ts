/**
 * The composer: an update started from a template (placeholders filled from the incident) or from scratch,
 * previewed in every channel, then published through the normal update path — only what the preview showed.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { KinkyuError, isKinkyuError } from '../domain/errors.ts';
import { getIncident, listComponents } from '../status/repository.ts';
import { can } from '../staff/permissions.ts';
import { wantsJson } from '../web/wants-json.ts';
import { sendPage, staffActor } from '../console/form-action.ts';
import { bodyOf, type Body } from '../web/body.ts';
import { t } from '../web/i18n.ts';
import { parseDraft, previewChannels, type ComposeInput } from './composer.ts';
import { componentMetadata } from './composer-repository.ts';
import { composePage, type ComposePageData, type ComposeValues } from './composer-views.ts';
import { fillPlaceholders, placeholderValues } from './placeholders.ts';
import { RoomSchemas } from './schemas.ts';
import { componentStatusesFrom, roomUrl, type Params, type RoomRouteKit } from './route-kit.ts';

export function registerComposerRoutes(app: FastifyInstance, kit: RoomRouteKit): void {
  const { db, config, room, clock } = kit.opts;
  const exchangeName = { ja: config.exchangeNameJa, en: config.exchangeNameEn } as const;

  const composeBase = async (id: string) => {
    await room.incident(id);
    const incident = await getIncident(db, id, { includeInternal: false });
    if (!incident || incident.kind !== 'incident') throw new KinkyuError('NOT_FOUND', { what: 'incident' });
    const [components, templates, metadata] = await Promise.all([
      listComponents(db), room.listTemplates({ includeArchived: false }), componentMetadata(db, incident.componentIds),
    ]);
    const source = { incident, components, metadata, exchangeName, publicUrl: config.publicUrl, timeZone: config.timeZone, now: clock() };
    const placeholders = { ja: placeholderValues('ja', source), en: placeholderValues('en', source) };
    return { incident, components, templates, placeholders };
  };

  const canSolve = (request: FastifyRequest) => kit.opts.desk !== undefined && can(request.staff!.role, 'ticket.write');

  const valuesFrom = (body: Body, fallbackStatus: string): ComposeValues => {
    const cs: Record<string, string> = {};
    for (const [k, v] of Object.entries(componentStatusesFrom(body))) if (typeof v === 'string') cs[k] = v;
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    return {
      templateId: str(body.templateId), status: str(body.status) || fallbackStatus, bodyJa: str(body.bodyJa), bodyEn: str(body.bodyEn),
      componentStatuses: cs, solveLinked: body.solveLinked === true || body.solveLinked === 'true' || body.solveLinked === 'on',
    };
  };

  app.get<Params>('/staff/incidents/:id/room/compose', { config: { permission: 'incident.write' } }, async (request, reply) => {
    const c = kit.ctx(request, reply);
    const base = await composeBase(request.params.id);
    const query = request.query as Record<string, unknown>;
    let template = null;
    let error: string | null = null;
    if (query.template !== undefined && query.template !== '') {
      try {
        template = await room.template(query.template);
      } catch (err) {
        if (!isKinkyuError(err)) throw err;
        error = kit.refusal(c.lang, err);
      }
    }
    const values: ComposeValues = {
      templateId: template?.id ?? '',
      status: template?.status ?? base.incident.status,
      bodyJa: template ? fillPlaceholders(template.bodyJa, base.placeholders.ja) : '',
      bodyEn: template?.bodyEn ? fillPlaceholders(template.bodyEn, base.placeholders.en) : '',
      componentStatuses: {},
      solveLinked: false,
    };
    const data: ComposePageData = { incident: base.incident, components: base.components, templates: base.templates, template, values, canSolve: canSolve(request) };
    return sendPage(reply, composePage(error ? { ...c, error } : c, data), error ? 404 : 200);
  });

  app.post<Params>('/staff/incidents/:id/room/compose', { schema: RoomSchemas.compose, config: { permission: 'incident.write', refusesInHandler: true } }, async (request, reply) => {
    const body = bodyOf(request);
    const base = await composeBase(request.params.id);
    const values = valuesFrom(body, base.incident.status);
    const template = values.templateId ? await room.template(values.templateId).catch(() => null) : null;
    const page: ComposePageData = { incident: base.incident, components: base.components, templates: base.templates, template, values, canSolve: canSolve(request) };
    const input: ComposeInput = {
      templateId: values.templateId, status: body.status, bodyJa: body.bodyJa, bodyEn: body.bodyEn,
      componentStatuses: componentStatusesFrom(body), solveLinked: canSolve(request) ? body.solveLinked : undefined,
    };
    const preview = async () => {
      const draft = parseDraft(base.incident, base.components, input, base.placeholders);
      const snapshot = kit.opts.snapshot();
      if (!snapshot) throw new KinkyuError('DATABASE_UNAVAILABLE');
      const channels = await previewChannels(db, snapshot, base.incident.id, draft, clock(), {
        exchangeName, officialXUrl: config.officialXUrl, publicUrl: config.publicUrl, xLang: config.x.lang ?? config.defaultLang,
      });
      return { draft, channels };
    };
    const intent = body.intent === 'publish' ? 'publish' : 'preview';
    if (intent === 'preview') {
      return kit.act(request, reply,
        async () => {
          const p = await preview();
          if (wantsJson(request)) return { fingerprint: p.draft.fingerprint, bodyJa: p.draft.bodyJa, bodyEn: p.draft.bodyEn, status: p.draft.status, preview: jsonPreview(p.channels) };
          return { page: composePage(kit.ctx(request, reply), { ...page, values: { ...values, bodyJa: p.draft.bodyJa, bodyEn: p.draft.bodyEn ?? '' }, preview: p }) };
        },
        (r) => sendPage(reply, String(r.page)),
        async (c) => composePage(c, page));
    }
    return kit.act(request, reply,
      async () => {
        const draft = parseDraft(base.incident, base.components, input, base.placeholders);
        if (body.previewed !== draft.fingerprint) {
          // What would go out is not what the preview showed (edited since, or never previewed): show it first.
          throw new KinkyuError('CONFLICT', { rule: 'notPreviewed' });
        }
        const actor = staffActor(request);
        const { updateId } = await kit.opts.commands.postUpdate(actor, base.incident.id, {
          status: draft.status, visibility: 'public', bodyJa: draft.bodyJa, bodyEn: draft.bodyEn,
          componentStatuses: Object.fromEntries(draft.componentStatuses),
        }, async (tx, update) => {
          await room.recordComposed(tx, actor, base.incident.id, {
            updateId: update.updateId, templateId: template?.id ?? null, templateName: template?.nameJa ?? null,
          }, clock());
          if (draft.solveLinked && kit.opts.desk && update.status === 'resolved') {
            await kit.opts.desk.replyToLinkedIn(tx, actor, update.incidentId, { body: update.bodyJa, bodyEn: update.bodyEn, solve: true });
          }
        });
        return { updateId };
      },
      () => reply.redirect(roomUrl(base.incident.id, 'published', 'timeline'), 303),
      async (c) => {
        // Refused: the page again with the message, and the preview of what the form holds now when it can be made.
        const p = await preview().catch(() => undefined);
        return composePage(c, { ...page, ...(p ? { preview: p } : {}) });
      });
  });
}

/** The previews as a JSON client reads them (the status page card as HTML). */
function jsonPreview(p: Awaited<ReturnType<typeof previewChannels>>) {
  return {
    statusPage: { ja: p.statusPage.ja.value, en: p.statusPage.en.value },
    email: p.email,
    x: p.x,
    slack: p.slack,
    webhook: { ja: p.webhook.ja === null ? null : JSON.parse(p.webhook.ja), en: p.webhook.en === null ? null : JSON.parse(p.webhook.en) },
    audience: p.audience,
    warnings: p.warnings.map((w) => ({ key: w.key, text: { ja: t('ja', w.key, w.params), en: t('en', w.key, w.params) } })),
  };
}
