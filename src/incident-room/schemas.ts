import { Type } from 'typebox';
import { STAFF_JSON_TAG } from '../ops/openapi.ts';
import { IdParams, NullableString, Ok, Open, OptionalBody, Timestamp } from '../web/schema/common.ts';
import { CsrfField, JaText } from '../web/schema/text.ts';

/**
 * What the incident room and the staff home take and answer (documentation: src/ops/openapi.ts). Titles and
 * bodies carry the service's own text rules (src/incident-room/service.ts, which still cleans them); choices
 * whose refusal the service words (a role, an owner, a due time, a status) are described, not constrained.
 * The room's forms show the page again on a refusal (`refusesInHandler`, thrown inside `kit.act`).
 */
const tags = [STAFF_JSON_TAG];
const TITLE_MAX = 300;
const TEMPLATE_NAME_MAX = 200;
const BODY_MAX = 20_000;

const described = (description: string) => Type.Optional(Type.Unknown({ description }));
const flag = (description: string) => described(`${description} ("true"/"false", or true/false)`);

const TaskBody = Type.Object({
  titleJa: JaText({ max: TITLE_MAX, required: true }),
  titleEn: Type.Optional(JaText({ max: TITLE_MAX })),
  owner: described('a staff id, "role:<key>" (whoever holds that incident role), or empty for nobody'),
  dueAt: described('ISO 8601, or a datetime-local value read in the console\'s time zone; empty for none. A new due time must be ahead'),
  _csrf: CsrfField,
});

const TemplateBody = Type.Object({
  nameJa: JaText({ max: TEMPLATE_NAME_MAX, required: true }),
  nameEn: Type.Optional(JaText({ max: TEMPLATE_NAME_MAX })),
  status: described('the status the update sets (an open status or resolved); empty for "unchanged"'),
  bodyJa: JaText({ max: BODY_MAX, required: true, multiline: true }),
  bodyEn: Type.Optional(JaText({ max: BODY_MAX, multiline: true })),
  _csrf: CsrfField,
}, { description: 'text may use the {placeholders} the composer fills from the incident' });

const Template = Open({ id: Type.String(), nameJa: Type.String(), nameEn: NullableString(), status: NullableString(), bodyJa: Type.String(), bodyEn: NullableString() });

const ComposeBody = OptionalBody({
  intent: described('"publish" to publish; anything else previews'),
  templateId: described('the template the text started from'),
  status: described('the incident status the update sets (default: unchanged)'),
  bodyJa: described(`the update in Japanese, required, at most ${BODY_MAX} characters after the placeholders are filled`),
  bodyEn: described('the update in English'),
  componentStatuses: described('component id → status (a form sends cs.<id> fields instead)'),
  solveLinked: flag('when resolving: solve the linked support tickets'),
  previewed: described('publish: the fingerprint the preview answered; what differs from it is previewed again (409)'),
  _csrf: CsrfField,
}, { additionalProperties: true });

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
  assignRole: {
    tags,
    summary: 'Give an incident role to a staff member (or hand it over)',
    params: IdParams('id'),
    body: OptionalBody({ role: described('an incident role key'), staffId: described('the staff member\'s id'), _csrf: CsrfField }),
    'x-responses': { 200: Ok({ changed: Type.Boolean(), handover: Type.Boolean() }) },
  },
  releaseRole: {
    tags,
    summary: 'Release an incident role',
    params: IdParams('id'),
    body: OptionalBody({ assignmentId: described('the assignment to end'), _csrf: CsrfField }),
    'x-responses': { 200: Ok({}) },
  },
  addTask: { tags, summary: 'Add a task to an incident', params: IdParams('id'), body: TaskBody, 'x-responses': { 200: Ok({ taskId: Type.String() }) } },
  editTask: { tags, summary: 'Edit a task', params: IdParams('id', 'taskId'), body: TaskBody, 'x-responses': { 200: Ok({}) } },
  taskDone: {
    tags,
    summary: 'Tick a task done, or reopen it',
    params: IdParams('id', 'taskId'),
    body: OptionalBody({ done: flag('done (default) or reopened'), back: described('"home": a form returns to the staff home'), _csrf: CsrfField }),
    'x-responses': { 200: Ok({ changed: Type.Boolean() }) },
  },
  compose: {
    tags,
    summary: 'The composer: preview an update in every channel, or publish what the preview showed',
    params: IdParams('id'),
    body: ComposeBody,
    'x-responses': {
      200: Type.Union([
        Ok({ fingerprint: Type.String(), bodyJa: Type.String(), bodyEn: NullableString(), status: Type.String(), preview: Open({}) }),
        Ok({ updateId: Type.String() }),
      ]),
    },
  },
  createTemplate: { tags, summary: 'Create an update template', body: TemplateBody, 'x-responses': { 200: Ok({ templateId: Type.String() }) } },
  template: { tags, summary: 'An update template', params: IdParams('id'), 'x-responses': { 200: Type.Object({ template: Template }) } },
  updateTemplate: { tags, summary: 'Edit an update template', params: IdParams('id'), body: TemplateBody, 'x-responses': { 200: Ok({}) } },
  archiveTemplate: {
    tags,
    summary: 'Archive an update template, or restore it',
    params: IdParams('id'),
    body: OptionalBody({ archived: flag('archive (default) or restore'), _csrf: CsrfField }),
    'x-responses': { 200: Ok({}) },
  },
};
