import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import type { Db } from '../store/db.ts';
import { KinkyuError } from '../domain/errors.ts';
import { wantsJson } from '../web/wants-json.ts';
import type { Lang, MessageKey } from '../web/i18n.ts';
import { consoleContext, formAction, sendPage, staffActor } from '../console/form-action.ts';
import { bodyOf } from '../web/body.ts';
import type { IncidentReviews } from '../incident-review/index.ts';
import { fillDraft } from './drafts.ts';
import { allOpenStages, staffEmail } from './repository.ts';
import { openRegulatoryObligations, type RegulatorClock } from './service.ts';
import { draftPage, overviewPage, regulatorPage } from './views.ts';
import { RegulatorChangeSchemas, RegulatorSchemas } from './schemas.ts';
import { activeStaffChoices } from '../staff/accounts.ts';

export interface RegulatorRoutesOptions {
  db: Db;
  config: Config;
  regulator: RegulatorClock;
  reviews: IncidentReviews;
  clock?: () => Date;
}

const FLASH: Readonly<Record<string, MessageKey>> = {
  facts: 'regulator.factsSaved',
  owner: 'regulator.ownerSaved',
  filed: 'regulator.filedFlash',
};

/** The regulator's clock in the console: per incident, the overview (mine and all open), and printable drafts. */
export const regulatorPlugin: FastifyPluginAsync<RegulatorRoutesOptions> = async (app, opts) => {
  const { db, config, regulator, reviews } = opts;
  const clock = opts.clock ?? (() => new Date());
  const ctx = (request: FastifyRequest, reply: FastifyReply, extra: { lang?: Lang; error?: string } = {}) =>
    consoleContext(request, reply, config.timeZone, FLASH, extra);
  const staffChoices = () => activeStaffChoices(db);

  const renderIncident = async (request: FastifyRequest, reply: FastifyReply, incidentId: string, extra: { lang?: Lang; error?: string } = {}, values?: Record<string, unknown>) => {
    // Opening the page attaches what the rules say now (idempotent), so a new incident shows its deadlines at once.
    await regulator.attach(incidentId);
    const { incident, facts, saved } = await regulator.facts(incidentId);
    const obligations = await regulator.obligationsFor(incident.id, { includeWithdrawn: true });
    return regulatorPage(ctx(request, reply, extra), { incident, facts, saved, obligations, staff: await staffChoices(), rulesFile: regulator.rules.file }, values);
  };

  app.get<{ Params: { id: string } }>('/staff/incidents/:id/regulator', { schema: RegulatorSchemas.incident, config: { permission: 'console.view' } }, async (request, reply) => {
    if (wantsJson(request)) {
      await regulator.attach(request.params.id);
      const { facts } = await regulator.facts(request.params.id);
      return reply.send({ facts, obligations: await regulator.obligationsFor(request.params.id, { includeWithdrawn: true }) });
    }
    return sendPage(reply, await renderIncident(request, reply, request.params.id));
  });

  app.post<{ Params: { id: string } }>('/staff/incidents/:id/regulator/facts', { schema: RegulatorChangeSchemas.facts, config: { permission: 'incident.write', refusesInHandler: true } }, async (request, reply) =>
    formAction(request, reply, {
      scope: 'regulator',
      run: () => regulator.saveFacts(staffActor(request), request.params.id, bodyOf(request), config.timeZone),
      onSuccess: () => reply.redirect(`/staff/incidents/${encodeURIComponent(request.params.id)}/regulator?ok=facts`, 303),
      onRefusal: (lang, error) => renderIncident(request, reply, request.params.id, { lang, error }, bodyOf(request)),
    }));

  /** A change on one obligation, answered with its incident's page. */
  const onObligation = (path: '/owner' | '/stages/:sid', flash: keyof typeof FLASH, run: (request: FastifyRequest<{ Params: { oid: string; sid?: string } }>) => Promise<Record<string, unknown>>) =>
    app.post<{ Params: { oid: string; sid?: string } }>(`/staff/regulator/obligations/:oid${path}`, { schema: path === '/owner' ? RegulatorChangeSchemas.owner : RegulatorChangeSchemas.stage, config: { permission: 'incident.write', refusesInHandler: true } }, async (request, reply) => {
      const { obligation } = await regulator.obligation(request.params.oid);
      return formAction(request, reply, {
        scope: 'regulator',
        run: () => run(request),
        onSuccess: () => reply.redirect(`/staff/incidents/${obligation.incidentId}/regulator?ok=${flash}`, 303),
        onRefusal: (lang, error) => renderIncident(request, reply, obligation.incidentId, { lang, error }),
      });
    });
  onObligation('/owner', 'owner', (r) => regulator.setOwner(staffActor(r), r.params.oid, bodyOf(r).ownerId));
  onObligation('/stages/:sid', 'filed', (r) => regulator.markStage(staffActor(r), r.params.oid, r.params.sid ?? '', bodyOf(r)));

  app.get<{ Params: { oid: string }; Querystring: { stage?: string } }>('/staff/regulator/obligations/:oid/draft', { schema: RegulatorChangeSchemas.draft, config: { permission: 'console.view' } }, async (request, reply) => {
    const c = ctx(request, reply);
    const { obligation, incident, facts, rule } = await regulator.obligation(request.params.oid);
    const stage = obligation.stages.find((s) => s.stageId === request.query.stage) ?? obligation.stages[0];
    if (!stage) throw new KinkyuError('NOT_FOUND', { what: 'stage' });
    const owner = obligation.ownerId ? await staffEmail(db, obligation.ownerId) : null;
    const review = await reviews.draft(incident.id);
    const lines = fillDraft(c.lang, rule, { review, facts, owner, timeZone: config.timeZone });
    if (wantsJson(request)) return reply.send({ obligation, stage, lines });
    return sendPage(reply, draftPage(c, { obligation, stage, incident, lines, generatedAt: clock(), owner: owner ? `${owner.name} <${owner.email}>` : null }));
  });

  app.get('/staff/regulator', { schema: RegulatorSchemas.overview, config: { permission: 'console.view' } }, async (request, reply) => {
    const now = clock();
    const mine = await openRegulatoryObligations(db, request.staff!.id, now);
    const all = (await allOpenStages(db)).map((r) => {
      const stage = r.rule.stages.find((s) => s.id === r.stageId);
      const dayBased = stage ? stage.due.hours === undefined : true;
      return {
        obligationId: r.obligationId, stageId: r.stageId, incidentId: r.incidentId,
        incidentName: { ja: r.incidentNameJa, en: r.incidentNameEn ?? r.incidentNameJa }, drill: r.drillId !== null,
        title: r.rule.title, stageTitle: stage?.title ?? { ja: r.stageId, en: r.stageId }, authority: r.rule.authority,
        dueAt: r.dueAt, dueShownAt: dayBased ? new Date(r.dueAt.getTime() - 60_000) : r.dueAt, overdue: now >= r.dueAt,
        href: `/staff/incidents/${r.incidentId}/regulator`, ownerName: r.ownerName,
      };
    });
    if (wantsJson(request)) return reply.send({ mine, all });
    return sendPage(reply, overviewPage(ctx(request, reply), mine, all));
  });
};
