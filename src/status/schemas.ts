import { Type } from 'typebox';
import { STAFF_JSON_TAG } from '../ops/openapi.ts';
import { BODY_MAX, NAME_MAX } from './commands.ts';
import { IdParams, Ok } from '../web/schema/common.ts';
import { CsrfField, JaText } from '../web/schema/text.ts';

/**
 * The status console's JSON API (incidents, maintenances, components), as forms post it and JSON clients send
 * it. The statuses, types and severities are only described: StatusCommands refuses unknown ones with their own
 * codes (UNKNOWN_INCIDENT_STATUS, …) naming the value, which API clients rely on. Properties are in the order
 * the commands check them.
 */
const choice = (description: string) => Type.Unsafe<unknown>({ description });
const optionalChoice = (description: string) => Type.Optional(choice(description));
const componentStatuses = Type.Optional(Type.Unsafe<Record<string, unknown> | null>({
  type: ['object', 'null'],
  description: 'component id → its new status (operational, degraded_performance, partial_outage, major_outage, under_maintenance); a form sends component_<id> fields instead',
}));

const name = (required: boolean) => JaText({ max: NAME_MAX, required });
const text = (required: boolean) => JaText({ max: BODY_MAX, required, multiline: true });

const DeclareBody = Type.Object({
  type: choice('outage, degradation, security, …'),
  severity: choice('SEV1 … SEV4'),
  status: optionalChoice('investigating (default), identified or monitoring'),
  nameJa: name(true),
  nameEn: Type.Optional(name(false)),
  bodyJa: text(true),
  bodyEn: Type.Optional(text(false)),
  componentStatuses,
  _csrf: CsrfField,
});

const UpdateBody = Type.Object({
  status: optionalChoice('the incident\'s (or maintenance\'s) next status; unchanged if absent'),
  visibility: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], enum: ['public', 'internal', '', null], description: 'public (default) or an internal note' })),
  bodyJa: text(true),
  bodyEn: Type.Optional(text(false)),
  componentStatuses,
  solveLinked: Type.Optional(Type.Unsafe<unknown>({ description: 'true: a resolving public update also solves the linked tickets with its text' })),
  _csrf: CsrfField,
});

const EditBody = Type.Object({ bodyJa: text(true), bodyEn: Type.Optional(text(false)), _csrf: CsrfField });

const ComponentStatusBody = Type.Object({ status: choice('operational, degraded_performance, partial_outage, major_outage or under_maintenance'), _csrf: CsrfField });

const MaintenanceBody = Type.Object({
  nameJa: name(true),
  nameEn: Type.Optional(name(false)),
  bodyJa: text(true),
  bodyEn: Type.Optional(text(false)),
  scheduledFor: Type.Unsafe<string>({ description: 'start: ISO 8601, or the form\'s local time in the exchange\'s time zone' }),
  scheduledUntil: Type.Unsafe<string>({ description: 'end, after the start' }),
  componentIds: Type.Optional(Type.Unsafe<string | string[] | null>({ type: ['string', 'array', 'null'], description: 'the components under maintenance' })),
  autoTransition: Type.Optional(Type.Unsafe<unknown>({ description: 'true: start and complete on schedule' })),
  _csrf: CsrfField,
});

const tags = [STAFF_JSON_TAG];

export const ConsoleSchemas = {
  declare: { tags, summary: 'Declare an incident', body: DeclareBody, 'x-responses': { 200: Ok({ incidentId: Type.String(), updateId: Type.String() }) } },
  update: { tags, summary: 'Post an update (or an internal note)', params: IdParams('id'), body: UpdateBody, 'x-responses': { 200: Ok({ updateId: Type.String() }) } },
  edit: { tags, summary: 'Correct the text of an update', params: IdParams('id', 'updateId'), body: EditBody, 'x-responses': { 200: Ok({}) } },
  componentStatus: { tags, summary: 'Set a component\'s status', params: IdParams('id'), body: ComponentStatusBody, 'x-responses': { 200: Ok({}) } },
  schedule: { tags, summary: 'Schedule a maintenance', body: MaintenanceBody, 'x-responses': { 200: Ok({ incidentId: Type.String() }) } },
};
