import { Type } from 'typebox';
import { STAFF_JSON_TAG } from '../ops/openapi.ts';
import { Bilingual, IdParams, Open, Timestamp } from '../web/schema/common.ts';

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
