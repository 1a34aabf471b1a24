import { Type } from 'typebox';
import { STAFF_JSON_TAG } from '../ops/openapi.ts';
import { Bilingual, IdParams, Ok, Open, OptionalBody, Timestamp } from '../web/schema/common.ts';
import { CsrfField } from '../web/schema/text.ts';

/** The regulator desk's JSON API: open filing stages, and an incident's facts and obligations. */
const OpenStage = Open({
  obligationId: Type.String(),
  stageId: Type.String(),
  incidentId: Type.String(),
  incidentName: Bilingual(),
  title: Bilingual(),
  stageTitle: Bilingual(),
  dueAt: Timestamp(),
  overdue: Type.Boolean(),
  href: Type.String(),
});

const Obligation = Open({ id: Type.String(), incidentId: Type.String(), stages: Type.Array(Open({ stageId: Type.String() })) });

const tags = [STAFF_JSON_TAG];

export const RegulatorSchemas = {
  overview: {
    tags,
    summary: 'Open filing stages: the signed-in member\'s, and everyone\'s',
    'x-responses': { 200: Type.Object({ mine: Type.Array(Open({})), all: Type.Array(OpenStage) }) },
  },
  incident: {
    tags,
    summary: 'An incident\'s regulatory facts and obligations',
    params: IdParams('id'),
    'x-responses': { 200: Type.Object({ facts: Open({}), obligations: Type.Array(Obligation) }) },
  },
};

const described = (description: string) => Type.Optional(Type.Unknown({ description }));

/** The regulator desk's changes: an incident's facts (which open the obligations), an obligation's owner and stages. */
export const RegulatorChangeSchemas = {
  facts: {
    tags,
    summary: 'Record an incident\'s regulatory facts; the obligations they call for are opened',
    params: IdParams('id'),
    body: OptionalBody({
      awareAt: described('when the exchange became aware (ISO 8601, or datetime-local in the console\'s zone)'),
      personalData: described('personal data leaked or may have (true/false, or a checkbox)'),
      wrongfulAct: described('by a wrongful act (true/false, or a checkbox)'),
      usersAffected: described('how many users are affected'),
      dataItems: described('which data items'),
      _csrf: CsrfField,
    }, { additionalProperties: true }),
    'x-responses': { 200: Ok({ obligations: Type.Integer({ minimum: 0 }) }) },
  },
  owner: {
    tags, summary: 'Give an obligation an owner', params: IdParams('oid'),
    body: OptionalBody({ ownerId: described('a staff id; empty for nobody'), _csrf: CsrfField }), 'x-responses': { 200: Ok({}) },
  },
  stage: {
    tags, summary: 'Mark a filing stage done (or not), with the regulator\'s reference', params: IdParams('oid', 'sid'),
    body: OptionalBody({ done: described('true/false, or a checkbox'), reference: described('the filing\'s reference number'), _csrf: CsrfField }, { additionalProperties: true }),
    'x-responses': { 200: Ok({}) },
  },
  draft: {
    tags, summary: 'A filing stage\'s draft, filled from the review and the facts', params: IdParams('oid'),
    querystring: Type.Object({ stage: described('the stage (default: the first)') }),
    'x-responses': { 200: Type.Object({ obligation: Open({ id: Type.String() }), stage: Open({ stageId: Type.String() }), lines: Type.Array(Open({})) }) },
  },
};
