import { Type } from 'typebox';
import { STAFF_JSON_TAG } from '../ops/openapi.ts';
import { IdParams, Open, Timestamp } from '../web/schema/common.ts';

/** What the incident room and the staff home answer a JSON client (documentation: src/ops/openapi.ts). */
const tags = [STAFF_JSON_TAG];

export const RoomSchemas = {
  home: {
    tags,
    summary: 'The staff home: what needs attention, section by section',
    'x-responses': { 200: Type.Object({ now: Timestamp(), sections: Type.Array(Open({ id: Type.String(), title: Type.String(), count: Type.Integer({ minimum: 0 }), urgent: Type.Boolean() })) }) },
  },
  room: {
    tags,
    summary: 'An incident\'s room: roles, tasks and the timeline',
    params: IdParams('id'),
    'x-responses': { 200: Type.Object({ incident: Open({ id: Type.String() }), assignments: Type.Array(Open({})), tasks: Type.Array(Open({ id: Type.String() })), timeline: Type.Array(Open({})) }) },
  },
  templates: {
    tags,
    summary: 'Update templates, archived ones included',
    'x-responses': { 200: Type.Object({ templates: Type.Array(Open({ id: Type.String() })) }) },
  },
};
