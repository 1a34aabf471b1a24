import { Type, type TSchema } from 'typebox';
import { STAFF_JSON_TAG } from '../ops/openapi.ts';
import { IdParams, Ok, Open, OptionalBody } from '../web/schema/common.ts';
import { CsrfField, JaText } from '../web/schema/text.ts';

/**
 * The incident review's JSON API (src/incident-review/routes.ts). Texts carry the service's rules
 * (src/incident-review/service.ts, which still cleans them) where they are its first check; what the service
 * checks after the incident's state (publishing, editing a postmortem) is described, so its refusal comes first
 * as before. A refusal shows the review again (`formAction`).
 */
const tags = [STAFF_JSON_TAG];
const SECTION_MAX = 20_000;
const TITLE_MAX = 500;

const described = (description: string) => Type.Optional(Type.Unknown({ description }));
const section = (field?: string) => Type.Optional(JaText({ max: SECTION_MAX, multiline: true, ...(field ? { field } : {}) }));
const change = (summary: string, body: Record<string, TSchema>, ok: Record<string, TSchema> = {}, params: string[] = ['id']) => ({
  tags, summary, params: IdParams(...params),
  // A body with a required field asks for it when there is none; one without is also accepted empty.
  body: Object.values(body).some((f) => !('~optional' in f)) ? Type.Object({ ...body, _csrf: CsrfField }) : OptionalBody({ ...body, _csrf: CsrfField }), 'x-responses': { 200: Ok(ok) },
});

export const ReviewSchemas = {
  review: {
    tags,
    summary: 'An incident\'s review: figures, sections, follow-up actions, the postmortem and regulatory obligations',
    params: IdParams('id'),
    'x-responses': {
      200: Type.Object({
        incidentId: Type.String(), figures: Open({}), firstFailureSource: Type.Unsafe<string | null>({ type: ['string', 'null'] }), sections: Open({ version: Type.Integer({ minimum: 0 }) }),
        actions: Type.Array(Open({ id: Type.String() })), published: Type.Unsafe<object | null>({ type: ['object', 'null'] }), obligations: Type.Array(Open({})),
      }),
    },
  },
  '': change('Save the review\'s sections', {
    cause: section(), wentWell: section(), wentBadly: section(),
    version: described('the version the form was read at; a newer one is refused as changed meanwhile (409)'),
  }, { version: Type.Integer() }),
  '/actions': change('Add a follow-up action', {
    title: JaText({ max: TITLE_MAX, required: true }),
    ownerId: described('the staff member who owns it'),
    dueOn: described('a day, YYYY-MM-DD'),
  }, { actionId: Type.String() }),
  '/actions/:actionId': change('Tick a follow-up action done, or reopen it', { done: described('"true"/"on"/"1" or true: done; anything else reopens') }, {}, ['id', 'actionId']),
  '/postmortem': change('Publish the postmortem (the incident must be resolved)', {
    bodyJa: described(`the postmortem in Japanese, required, at most ${SECTION_MAX} characters`),
    bodyEn: described('the postmortem in English'),
    notify: described('"true"/"on" or true: notify subscribers'),
  }, { updateId: Type.String() }),
  '/postmortem/draft': change('Save the postmortem draft', { bodyJa: section('postmortemJa'), bodyEn: section('postmortemEn') }),
  '/postmortem/edit': change('Edit the published postmortem', { bodyJa: described('the postmortem in Japanese'), bodyEn: described('the postmortem in English') }),
  '/postmortem/ignore': change('Mark that no postmortem is needed, or undo it', { ignored: described('"true"/"on" or true: not needed') }),
};
