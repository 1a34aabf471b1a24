import { Type, type TSchema } from 'typebox';
import { STAFF_JSON_TAG } from '../ops/openapi.ts';
import { IdParams, Ok, OptionalBody } from '../web/schema/common.ts';
import { CsrfField } from '../web/schema/text.ts';

/**
 * The monitors console's JSON API (console-routes.ts). A monitor's definition is checked by its parser, whose
 * refusals name the field (an unsafe URL, an interval out of range); a form sends `config.<name>` fields, a
 * JSON client a `config` object. A refusal shows the form again (`formAction`).
 */
const tags = [STAFF_JSON_TAG];
const described = (description: string) => Type.Optional(Type.Unknown({ description }));
const form = (fields: Record<string, TSchema> = {}) => OptionalBody({ ...fields, _csrf: CsrfField }, { additionalProperties: true });

const Definition = form({
  name: described('the monitor\'s name'),
  kind: described('what it checks: http, …'),
  config: described('the kind\'s settings, e.g. {url} (a form sends config.<name> fields)'),
  intervalS: described('seconds between checks'),
  timeoutMs: described('a check\'s timeout'),
  failThreshold: described('failed checks in a row before it is down'),
  recoverThreshold: described('good checks in a row before it is up again'),
  componentIds: described('the components it watches: one id or a list'),
  enabled: described('"on"/"true" or true: checking'),
});

export const MonitorSchemas = {
  create: { tags, summary: 'Add a monitor', body: Definition, 'x-responses': { 200: Ok({ id: Type.String() }) } },
  update: { tags, summary: 'Change a monitor', params: IdParams('id'), body: Definition, 'x-responses': { 200: Ok({ id: Type.String() }) } },
  enabled: {
    tags, summary: 'Turn a monitor on or off', params: IdParams('id'), body: form({ enabled: described('true or false') }), 'x-responses': { 200: Ok({ enabled: Type.Boolean() }) },
  },
  remove: { tags, summary: 'Delete a monitor', params: IdParams('id'), body: form(), 'x-responses': { 200: Ok({ id: Type.String() }) } },
};

/** A monitor's proposal (proposal-routes.ts): published as an incident, accepted as its resolution, or dismissed. */
export const ProposalSchemas = {
  publish: {
    tags, summary: 'Publish a monitor\'s proposal as an incident', params: IdParams('id'),
    body: form({ titleJa: described('the title, if changed'), titleEn: described('English title'), bodyJa: described('the first update, if changed'), bodyEn: described('English text') }),
    'x-responses': { 200: Ok({ incidentId: Type.String() }) },
  },
  resolve: {
    tags, summary: 'Accept a monitor\'s proposal to resolve its incident', params: IdParams('id'),
    body: form({ bodyJa: described('the resolving update, if changed'), bodyEn: described('English text') }),
    'x-responses': { 200: Ok({ incidentId: Type.String(), alreadyClosed: Type.Boolean({ description: 'staff had closed the incident already: nothing posted' }) }) },
  },
  dismiss: { tags, summary: 'Dismiss a monitor\'s proposal', params: IdParams('id'), body: form(), 'x-responses': { 200: Ok({ id: Type.String() }) } },
};
