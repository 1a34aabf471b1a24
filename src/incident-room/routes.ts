/**
 * The incident room's staff pages: the staff home (/staff), an incident's room (roles, tasks, timeline), the
 * composer with its channel previews, and the update templates. Permissions are declared per route and
 * enforced by the staff auth hook; every form also answers JSON clients.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../store/db.ts';
import type { Config } from '../config.ts';
import { KinkyuError, isKinkyuError } from '../domain/errors.ts';
import type { BusinessCalendar } from '../domain/business-calendar.ts';
import type { StatusCommands } from '../status/commands.ts';
import { getIncident, listComponents, listIncidentsForPage } from '../status/repository.ts';
import type { PageSnapshot } from '../status/page/snapshot.ts';
import type { SupportDesk } from '../desk/desk.ts';
import type { Proposal } from '../monitors/service.ts';
import { ROLES, can, isRole } from '../staff/permissions.ts';
import { wantsJson } from '../web/wants-json.ts';
import { bodyOf, consoleContext, sendPage, staffActor, type Body } from '../console/form-action.ts';
import { overviewSections, type ConsoleContext } from '../console/views.ts';
import { errorMessage } from '../web/errors.ts';
import { formatDateTime, t, type Lang, type MessageKey } from '../web/i18n.ts';
import { requestLang } from '../web/request-lang.ts';
import { parseDraft, previewChannels, type ComposeInput } from './composer.ts';
import { composePage, type ComposePageData, type ComposeValues } from './composer-views.ts';
import { orderSections, type HomeSection } from './home.ts';
import { builtinSections } from './home-sections.ts';
import { homePage } from './home-views.ts';
import { fillPlaceholders, placeholderValues } from './placeholders.ts';
import { componentMetadata } from './repository.ts';
import { roomPage, type RoomPageData } from './room-views.ts';
import type { IncidentRoom } from './service.ts';
import { templateEditPage, templatesPage } from './template-views.ts';
import { incidentTimeline, isTimelineKind, type TimelineKind } from './timeline.ts';
import { roleLabel } from './view-helpers.ts';
import { RoomSchemas } from './schemas.ts';

export interface IncidentRoomPluginOptions {
  db: Db;
  config: Config;
  commands: StatusCommands;
  room: IncidentRoom;
  calendar: BusinessCalendar;
  clock: () => Date;
  /** The public page's current snapshot: the composer previews the page and the channels from it. */
  snapshot: () => PageSnapshot | null;
  /** When the support desk runs: resolving from the composer can solve the linked tickets. */
  desk?: SupportDesk;
  /** Open incident proposals from monitors, on the staff home. */
  openProposals?: () => Promise<Proposal[]>;
  /**
   * Sections other capabilities put on the staff home, each naming its slot. The slot
   * `regulatory-deadlines` is kept for the regulator's clock (src/regulator/).
   */
  homeSections?: readonly HomeSection[];
}

const FLASH: Readonly<Record<string, MessageKey>> = {
  roleAssigned: 'room.flash.roleAssigned',
  handover: 'room.flash.handover',
  roleReleased: 'room.flash.roleReleased',
  unchanged: 'room.flash.unchanged',
  taskAdded: 'room.flash.taskAdded',
  taskSaved: 'room.flash.taskSaved',
  taskDone: 'room.flash.taskDone',
  taskReopened: 'room.flash.taskReopened',
  published: 'room.flash.published',
  templateCreated: 'room.flash.templateCreated',
  templateSaved: 'room.flash.templateSaved',
  templateArchived: 'room.flash.templateArchived',
  templateRestored: 'room.flash.templateRestored',
};

type Params = { Params: { id: string } };
type TaskParams = { Params: { id: string; taskId: string } };

/** Component statuses from `cs.<id>` form fields, or `componentStatuses` from a JSON body. */
function componentStatusesFrom(body: Body): Record<string, unknown> {
  if (body.componentStatuses && typeof body.componentStatuses === 'object' && !Array.isArray(body.componentStatuses)) {
    return body.componentStatuses as Record<string, unknown>;
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) if (key.startsWith('cs.')) out[key.slice(3)] = value;
  return out;
}

export function registerIncidentRoomRoutes(app: FastifyInstance, opts: IncidentRoomPluginOptions): void {
  const { db, config, room, clock } = opts;
  const ctx = (request: FastifyRequest, reply: FastifyReply, extra: { lang?: Lang; error?: string } = {}) =>
    consoleContext(request, reply, config.timeZone, FLASH, extra);
  const exchangeName = { ja: config.exchangeNameJa, en: config.exchangeNameEn } as const;

  /** The refusal in the reader's words: staff roles, incident roles, permissions and times translated. */
  const refusal = (lang: Lang, err: KinkyuError): string => {
    const p: Record<string, string> = { ...err.params };
    if (p.staffRole && isRole(p.staffRole)) p.staffRole = t(lang, `staff.role.${p.staffRole}`);
    const role = p.incidentRole ? room.role(p.incidentRole) : undefined;
    if (role) {
      // Who may hold it: every staff role that allows what it requires.
      p.allowed = ROLES.filter((r) => can(r, role.requires)).map((r) => t(lang, `staff.role.${r}`)).join(lang === 'en' ? ', ' : '、');
      p.incidentRole = roleLabel(lang, room.roles, role.key);
    }
    for (const key of ['now', 'due'] as const) {
      const v = p[key];
      if (v && !Number.isNaN(Date.parse(v))) p[key] = formatDateTime(lang, new Date(v), config.timeZone);
    }
    return errorMessage(lang, new KinkyuError(err.code, p), 'room');
  };

  /**
   * Runs a change for a form or a JSON client. Success: `{ok: true, ...}` or `onSuccess` (a 303). Refusal:
   * `{code, message, requestId}`, or the page again with the message, under the refusal's status.
   */
  const act = async <T extends Record<string, unknown>>(
    request: FastifyRequest,
    reply: FastifyReply,
    run: () => Promise<T>,
    onSuccess: (result: T) => FastifyReply | Promise<FastifyReply>,
    rerender: (c: ConsoleContext) => Promise<string>,
  ): Promise<FastifyReply> => {
    try {
      const result = await run();
      if (wantsJson(request)) return reply.code(200).send({ ok: true, ...result });
      return await onSuccess(result);
    } catch (err) {
      if (!isKinkyuError(err)) throw err;
      const lang = requestLang(request, reply);
      const message = refusal(lang, err);
      if (wantsJson(request)) return reply.code(err.httpStatus).send({ code: err.code, message, requestId: request.id });
      return sendPage(reply, await rerender(ctx(request, reply, { lang, error: message })), err.httpStatus);
    }
  };

  // ---------------------------------------------------------------------------------------------------------
  // The staff home

  const sections = orderSections([
    ...builtinSections({ db, room, calendar: opts.calendar, ...(opts.openProposals ? { openProposals: opts.openProposals } : {}) }),
    // SLOT regulatory-deadlines: filled by the regulator's clock through `homeSections` (see home.ts).
    ...(opts.homeSections ?? []),
  ]);

  app.get('/staff', { schema: RoomSchemas.home, config: { permission: 'console.view' } }, async (request, reply) => {
    const c = ctx(request, reply);
    const now = clock();
    const [loaded, incidents, components] = await Promise.all([
      Promise.all(sections.map(async (s) => ({ id: s.id, view: await s.load(c, now) }))),
      listIncidentsForPage(db, { recentLimit: 10 }),
      listComponents(db),
    ]);
    const shown = loaded.flatMap((s) => (s.view ? [{ id: s.id, view: s.view }] : []));
    if (wantsJson(request)) {
      return reply.send({ now: now.toISOString(), sections: shown.map((s) => ({ id: s.id, title: s.view.title, count: s.view.count, urgent: s.view.urgent ?? false })) });
    }
    return sendPage(reply, homePage(c, { now, sections: shown, overview: overviewSections(c, { incidents, components }) }));
  });

  // ---------------------------------------------------------------------------------------------------------
  // The room

  const parseShown = (query: Record<string, unknown>): Set<TimelineKind> => {
    const raw = query.show;
    const list = raw === undefined || raw === '' ? [] : Array.isArray(raw) ? raw : [raw];
    if (list.length > 20 || !list.every(isTimelineKind)) throw new KinkyuError('VALIDATION', { field: 'show', rule: 'enum' });
    return new Set(list);
  };

  const roomData = async (id: string, shown: Set<TimelineKind>, values?: RoomPageData['values']): Promise<RoomPageData> => {
    const state = await room.state(id);
    const now = clock();
    const [components, timeline, templates] = await Promise.all([
      listComponents(db), incidentTimeline(db, state.incident, now, shown), room.listTemplates({ includeArchived: false }),
    ]);
    return { state, roles: room.roles, components, timeline, shown, templates, now, ...(values ? { values } : {}) };
  };

  const renderRoom = async (c: ConsoleContext, id: string, values?: RoomPageData['values']) => roomPage(c, await roomData(id, new Set(), values));

  app.get<Params>('/staff/incidents/:id/room', { schema: RoomSchemas.room, config: { permission: 'console.view' } }, async (request, reply) => {
    const c = ctx(request, reply);
    let shown: Set<TimelineKind>;
    try {
      shown = parseShown(request.query as Record<string, unknown>);
    } catch (err) {
      if (!isKinkyuError(err)) throw err;
      const message = refusal(c.lang, err);
      if (wantsJson(request)) return reply.code(err.httpStatus).send({ code: err.code, message, requestId: request.id });
      return sendPage(reply, roomPage({ ...c, error: message }, await roomData(request.params.id, new Set())), err.httpStatus);
    }
    const data = await roomData(request.params.id, shown);
    if (wantsJson(request)) {
      const { state, timeline } = data;
      return reply.send({ incident: state.incident, assignments: state.assignments, tasks: state.tasks, timeline });
    }
    return sendPage(reply, roomPage(c, data));
  });

  const roomUrl = (id: string, ok: string, anchor: string) => `/staff/incidents/${id}/room?ok=${ok}#${anchor}`;

  app.post<Params>('/staff/incidents/:id/room/roles', { config: { permission: 'incident.write' } }, async (request, reply) => {
    const body = bodyOf(request);
    return act(request, reply,
      () => room.assignRole(staffActor(request), request.params.id, { role: body.role, staffId: body.staffId }),
      (r) => reply.redirect(roomUrl(request.params.id, r.changed ? (r.handover ? 'handover' : 'roleAssigned') : 'unchanged', 'roles'), 303),
      (c) => renderRoom(c, request.params.id, { form: 'assign', fields: body }));
  });

  app.post<Params>('/staff/incidents/:id/room/roles/release', { config: { permission: 'incident.write' } }, async (request, reply) => {
    const body = bodyOf(request);
    return act(request, reply,
      async () => {
        await room.releaseRole(staffActor(request), request.params.id, body.assignmentId);
        return {};
      },
      () => reply.redirect(roomUrl(request.params.id, 'roleReleased', 'roles'), 303),
      (c) => renderRoom(c, request.params.id));
  });

  app.post<Params>('/staff/incidents/:id/room/tasks', { config: { permission: 'incident.write' } }, async (request, reply) => {
    const body = bodyOf(request);
    return act(request, reply,
      () => room.addTask(staffActor(request), request.params.id, body),
      () => reply.redirect(roomUrl(request.params.id, 'taskAdded', 'tasks'), 303),
      (c) => renderRoom(c, request.params.id, { form: 'task-add', fields: body }));
  });

  app.post<TaskParams>('/staff/incidents/:id/room/tasks/:taskId', { config: { permission: 'incident.write' } }, async (request, reply) => {
    const body = bodyOf(request);
    return act(request, reply,
      async () => {
        await room.editTask(staffActor(request), request.params.id, request.params.taskId, body);
        return {};
      },
      () => reply.redirect(roomUrl(request.params.id, 'taskSaved', `task-${request.params.taskId}`), 303),
      (c) => renderRoom(c, request.params.id, { form: `task-${request.params.taskId}`, fields: body }));
  });

  app.post<TaskParams>('/staff/incidents/:id/room/tasks/:taskId/done', { config: { permission: 'incident.write' } }, async (request, reply) => {
    const body = bodyOf(request);
    const done = body.done ?? 'true';
    const home = body.back === 'home';
    return act(request, reply,
      () => room.setTaskDone(staffActor(request), request.params.id, request.params.taskId, done),
      () => {
        const ok = done === 'false' || done === false ? 'taskReopened' : 'taskDone';
        return reply.redirect(home ? `/staff?ok=${ok}#home-my-tasks` : roomUrl(request.params.id, ok, `task-${request.params.taskId}`), 303);
      },
      (c) => renderRoom(c, request.params.id));
  });

  // ---------------------------------------------------------------------------------------------------------
  // The composer

  const composeBase = async (id: string) => {
    await room.ensureRoom(id);
    const incident = await getIncident(db, id, { includeInternal: false });
    if (!incident || incident.kind !== 'incident') throw new KinkyuError('NOT_FOUND', { what: 'incident' });
    const [components, templates, metadata] = await Promise.all([
      listComponents(db), room.listTemplates({ includeArchived: false }), componentMetadata(db, incident.componentIds),
    ]);
    const source = { incident, components, metadata, exchangeName, publicUrl: config.publicUrl, timeZone: config.timeZone, now: clock() };
    const placeholders = { ja: placeholderValues('ja', source), en: placeholderValues('en', source) };
    return { incident, components, templates, placeholders };
  };

  const canSolve = (request: FastifyRequest) => opts.desk !== undefined && can(request.staff!.role, 'ticket.write');

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
    const c = ctx(request, reply);
    const base = await composeBase(request.params.id);
    const query = request.query as Record<string, unknown>;
    let template = null;
    let error: string | null = null;
    if (query.template !== undefined && query.template !== '') {
      try {
        template = await room.template(query.template);
      } catch (err) {
        if (!isKinkyuError(err)) throw err;
        error = refusal(c.lang, err);
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

  app.post<Params>('/staff/incidents/:id/room/compose', { config: { permission: 'incident.write' } }, async (request, reply) => {
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
      const snapshot = opts.snapshot();
      if (!snapshot) throw new KinkyuError('DATABASE_UNAVAILABLE');
      const channels = await previewChannels(db, snapshot, base.incident.id, draft, clock(), {
        exchangeName, officialXUrl: config.officialXUrl, publicUrl: config.publicUrl, xLang: config.x.lang ?? config.defaultLang,
      });
      return { draft, channels };
    };
    const intent = body.intent === 'publish' ? 'publish' : 'preview';
    if (intent === 'preview') {
      return act(request, reply,
        async () => {
          const p = await preview();
          if (wantsJson(request)) return { fingerprint: p.draft.fingerprint, bodyJa: p.draft.bodyJa, bodyEn: p.draft.bodyEn, status: p.draft.status, preview: jsonPreview(p.channels) };
          return { page: composePage(ctx(request, reply), { ...page, values: { ...values, bodyJa: p.draft.bodyJa, bodyEn: p.draft.bodyEn ?? '' }, preview: p }) };
        },
        (r) => sendPage(reply, String(r.page)),
        async (c) => composePage(c, page));
    }
    return act(request, reply,
      async () => {
        const draft = parseDraft(base.incident, base.components, input, base.placeholders);
        if (body.previewed !== draft.fingerprint) {
          // What would go out is not what the preview showed (edited since, or never previewed): show it first.
          throw new KinkyuError('CONFLICT', { rule: 'notPreviewed' });
        }
        const actor = staffActor(request);
        const { updateId } = await opts.commands.postUpdate(actor, base.incident.id, {
          status: draft.status, visibility: 'public', bodyJa: draft.bodyJa, bodyEn: draft.bodyEn,
          componentStatuses: Object.fromEntries(draft.componentStatuses),
        }, async (tx, update) => {
          await room.recordComposed(tx, actor, base.incident.id, {
            updateId: update.updateId, templateId: template?.id ?? null, templateName: template?.nameJa ?? null,
          }, clock());
          if (draft.solveLinked && opts.desk && update.status === 'resolved') {
            await opts.desk.replyToLinkedIn(tx, actor, update.incidentId, { body: update.bodyJa, bodyEn: update.bodyEn, solve: true });
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

  // ---------------------------------------------------------------------------------------------------------
  // Update templates

  app.get('/staff/update-templates', { schema: RoomSchemas.templates, config: { permission: 'console.view' } }, async (request, reply) => {
    const templates = await room.listTemplates({ includeArchived: true });
    if (wantsJson(request)) return reply.send({ templates });
    return sendPage(reply, templatesPage(ctx(request, reply), templates));
  });

  app.post('/staff/update-templates', { config: { permission: 'incident.templates' } }, async (request, reply) => {
    const body = bodyOf(request);
    return act(request, reply,
      () => room.createTemplate(staffActor(request), body),
      () => reply.redirect('/staff/update-templates?ok=templateCreated', 303),
      async (c) => templatesPage(c, await room.listTemplates({ includeArchived: true }), body));
  });

  app.get<Params>('/staff/update-templates/:id', { config: { permission: 'incident.templates' } }, async (request, reply) => {
    const tpl = await room.template(request.params.id);
    if (wantsJson(request)) return reply.send({ template: tpl });
    return sendPage(reply, templateEditPage(ctx(request, reply), tpl));
  });

  app.post<Params>('/staff/update-templates/:id', { config: { permission: 'incident.templates' } }, async (request, reply) => {
    const body = bodyOf(request);
    return act(request, reply,
      async () => {
        await room.updateTemplate(staffActor(request), request.params.id, body);
        return {};
      },
      () => reply.redirect('/staff/update-templates?ok=templateSaved', 303),
      async (c) => templateEditPage(c, await room.template(request.params.id), body));
  });

  app.post<Params>('/staff/update-templates/:id/archive', { config: { permission: 'incident.templates' } }, async (request, reply) => {
    const body = bodyOf(request);
    const archived = body.archived !== 'false' && body.archived !== false;
    return act(request, reply,
      async () => {
        await room.archiveTemplate(staffActor(request), request.params.id, archived);
        return {};
      },
      () => reply.redirect(`/staff/update-templates?ok=${archived ? 'templateArchived' : 'templateRestored'}`, 303),
      async (c) => templatesPage(c, await room.listTemplates({ includeArchived: true })));
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
