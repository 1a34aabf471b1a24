import { Type } from 'typebox';
import { STAFF_JSON_TAG } from '../ops/openapi.ts';
import { IdParams, NullableString, NullableTimestamp, Ok, Open, OptionalBody, Timestamp } from '../web/schema/common.ts';
import { CsrfField } from '../web/schema/text.ts';
import { SCENARIOS } from './scenarios.ts';

/**
 * The drills' JSON API. The scenario and the counts are left to `parseStart` (its refusals name the scenarios
 * and the limits); the schema gives their types and documents them.
 */
const count = (description: string) => Type.Optional(Type.Unsafe<string | number | null>({ type: ['string', 'integer', 'null'], description }));
const flag = (description: string) => Type.Optional(Type.Unsafe<unknown>({ type: ['string', 'boolean', 'array', 'null'], description: `${description} (true/false, or a checkbox)` }));

const DrillStartBody = Type.Object({
  scenario: Type.Unsafe<string>({ description: `one of ${SCENARIOS.join(', ')}`, examples: [...SCENARIOS] }),
  surge: count('how many support tickets the drill files at once'),
  takeovers: count('how many account-takeover reports among them'),
  monitors: flag('start from failing monitors'),
  scripted: flag('run the responders\' updates by script'),
  _csrf: CsrfField,
});

const Drill = Open({
  id: Type.String(),
  scenario: Type.String(),
  status: Type.Unsafe<string>({ type: 'string', enum: ['running', 'finished'] }),
  incidentId: NullableString(),
  startedAt: Timestamp(),
  startedBy: NullableString(),
  startedVia: Type.Unsafe<string>({ type: 'string', enum: ['cli', 'console'] }),
  finishedAt: NullableTimestamp(),
});

const Report = Open({ version: Type.Literal(1), drillId: Type.String(), scenario: Type.String(), incidentId: Type.String(), times: Open({}), tickets: Open({}) }, 'the drill\'s report (kept as evidence when it finishes)');

const tags = [STAFF_JSON_TAG];

export const DrillSchemas = {
  list: { tags, summary: 'Drills, newest first', 'x-responses': { 200: Type.Object({ drills: Type.Array(Drill) }) } },
  start: { tags, summary: 'Start a drill', body: DrillStartBody, 'x-responses': { 200: Ok({ drillId: Type.String(), incidentId: Type.String() }) } },
  one: { tags, summary: 'A drill and its report so far', params: IdParams('id'), 'x-responses': { 200: Type.Object({ drill: Drill, report: Report }) } },
  report: { tags, summary: 'A drill\'s report', params: IdParams('id'), 'x-responses': { 200: Report } },
};

/** The drill's own recipients (real subscribers who get drill notifications), and running or finishing a drill. */
const recipientBody = OptionalBody({ recipient: Type.Optional(Type.Unknown({ description: 'an existing subscription\'s address (e-mail, webhook URL, …)' })), _csrf: CsrfField });

export const DrillChangeSchemas = {
  addRecipient: { tags, summary: 'Let a subscription receive drill notifications', body: recipientBody, 'x-responses': { 200: Ok({ subscriberId: Type.String() }) } },
  removeRecipient: { tags, summary: 'Stop a subscription receiving drill notifications', body: recipientBody, 'x-responses': { 200: Ok({ subscriberId: Type.String() }) } },
  run: { tags, summary: 'Play the responders\' scripted updates now', params: IdParams('id'), body: OptionalBody({ _csrf: CsrfField }), 'x-responses': { 200: Ok({}) } },
  finish: { tags, summary: 'Finish the drill: its report is kept as evidence', params: IdParams('id'), body: OptionalBody({ _csrf: CsrfField }), 'x-responses': { 200: Ok({ report: Report }) } },
};
