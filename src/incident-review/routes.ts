import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { wantsJson } from '../web/wants-json.ts';
import type { Lang, MessageKey } from '../web/i18n.ts';
import { consoleContext, formAction, sendPage, staffActor } from '../console/form-action.ts';
import { bodyOf } from '../web/body.ts';
import type { IncidentReviews } from './service.ts';
import { reviewPage, type ReviewObligation } from './views.ts';
import { ReviewSchemas } from './schemas.ts';

export interface ReviewRoutesOptions {
  config: Config;
  reviews: IncidentReviews;
  /** The incident's regulatory obligations (src/regulator), shown done or overdue in the review. */
  obligations?: (incidentId: string) => Promise<readonly ReviewObligation[]>;
}

const FLASH: Readonly<Record<string, MessageKey>> = {
  saved: 'review.saved',
  action: 'review.actionAdded',
  actionDone: 'review.actionUpdated',
  published: 'review.publishedFlash',
  pmUpdated: 'review.updatedFlash',
  pmDraft: 'review.draftSaved',
  ignored: 'review.ignoredFlash',
};

/**
 * The review's staff pages under /staff/incidents/:id/review (an encapsulated plugin: the staff auth hook and the
 * error handler come from the root, as for every console route). JSON clients get the same data.
 */
export const incidentReviewPlugin: FastifyPluginAsync<ReviewRoutesOptions> = async (app, opts) => {
  const { config, reviews } = opts;
  const ctx = (request: FastifyRequest, reply: FastifyReply, extra: { lang?: Lang; error?: string } = {}) =>
    consoleContext(request, reply, config.timeZone, FLASH, extra);
  const render = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, extra: { lang?: Lang; error?: string } = {}, values?: Record<string, unknown>) => {
    const draft = await reviews.draft(request.params.id);
    const obligations = opts.obligations ? await opts.obligations(draft.incident.id) : [];
    return reviewPage(ctx(request, reply, extra), draft, obligations, values);
  };

  app.get<{ Params: { id: string } }>('/staff/incidents/:id/review', { schema: ReviewSchemas.review, config: { permission: 'console.view' } }, async (request, reply) => {
    if (wantsJson(request)) {
      const draft = await reviews.draft(request.params.id);
      const obligations = opts.obligations ? await opts.obligations(draft.incident.id) : [];
      return reply.send({
        incidentId: draft.incident.id, figures: draft.figures, firstFailureSource: draft.firstFailureSource, sections: draft.sections,
        actions: draft.actions, published: draft.published, obligations,
      });
    }
    return sendPage(reply, await render(request, reply));
  });

  /** A form posted here: run it, then back to the review with a flash, or the review again with the refusal. */
  const post = (path: keyof typeof ReviewSchemas & `/${string}` | '', flash: keyof typeof FLASH, run: (request: FastifyRequest<{ Params: { id: string; actionId?: string } }>) => Promise<Record<string, unknown>>) =>
    app.post<{ Params: { id: string; actionId?: string } }>(`/staff/incidents/:id/review${path}`, { schema: ReviewSchemas[path], config: { permission: 'incident.write', refusesInHandler: true } }, async (request, reply) =>
      formAction(request, reply, {
        scope: 'review',
        run: () => run(request),
        onSuccess: () => reply.redirect(`/staff/incidents/${encodeURIComponent(request.params.id)}/review?ok=${flash}`, 303),
        onRefusal: (lang, error) => render(request, reply, { lang, error }, bodyOf(request)),
      }));

  post('', 'saved', (r) => reviews.saveSections(staffActor(r), r.params.id, bodyOf(r)));
  post('/actions', 'action', (r) => reviews.addAction(staffActor(r), r.params.id, bodyOf(r)));
  post('/actions/:actionId', 'actionDone', (r) => reviews.setActionDone(staffActor(r), r.params.id, r.params.actionId ?? '', bodyOf(r).done));
  post('/postmortem', 'published', (r) => reviews.publishPostmortem(staffActor(r), r.params.id, bodyOf(r)));
  post('/postmortem/draft', 'pmDraft', (r) => reviews.savePostmortemDraft(staffActor(r), r.params.id, bodyOf(r)));
  post('/postmortem/edit', 'pmUpdated', (r) => reviews.updatePostmortem(staffActor(r), r.params.id, bodyOf(r)));
  post('/postmortem/ignore', 'ignored', (r) => reviews.ignorePostmortem(staffActor(r), r.params.id, bodyOf(r).ignored));
};
