import { Type, type TSchema } from 'typebox';
import type { ApiEndpoint } from './api-v2.ts';

/**
 * The Statuspage public API v2 shapes kinkyu serves under /api/v2/ (src/status/api-v2.ts), as TypeBox schemas
 * for the OpenAPI document (`GET /api/openapi.json`). They follow test/schemas/statuspage-v2.schema.json, the
 * stricter check the tests hold our output to (it also relates fields to each other: a postmortem has a body,
 * a resolved incident a resolved_at); these describe each field. Shared shapes are named and referenced as
 * `#/components/schemas/<name>`.
 */
const ref = (name: string) => Type.Unsafe<unknown>({ $ref: `#/components/schemas/${name}` });
const strings = (...values: string[]) => Type.Unsafe<string>({ type: 'string', enum: values });
const timestamp = () => Type.String({ format: 'date-time' });
const nullableTimestamp = () => Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' });
const nullableString = () => Type.Unsafe<string | null>({ type: ['string', 'null'] });
const id = () => Type.String({ minLength: 1 });
const closed = { additionalProperties: false } as const;

const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved', 'postmortem'];
const MAINTENANCE_STATUSES = ['scheduled', 'in_progress', 'verifying', 'completed'];
const COMPONENT_STATUSES = ['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance'];

const page = Type.Object({
  id: id(),
  name: Type.String({ minLength: 1 }),
  url: Type.String({ format: 'uri' }),
  time_zone: Type.String({ minLength: 1 }),
  updated_at: timestamp(),
}, closed);

const pageStatus = Type.Object({
  indicator: strings('none', 'minor', 'major', 'critical', 'maintenance'),
  description: Type.String({ minLength: 1 }),
}, closed);

const component = Type.Object({
  id: id(),
  name: Type.String({ minLength: 1 }),
  status: strings(...COMPONENT_STATUSES),
  created_at: timestamp(),
  updated_at: timestamp(),
  position: Type.Integer({ minimum: 0, description: 'order within the parent group (or the top level)' }),
  description: nullableString(),
  showcase: Type.Boolean(),
  start_date: Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date' }),
  group_id: Type.Unsafe<string | null>({ type: ['string', 'null'], minLength: 1, description: 'the enclosing group, or null at the top level' }),
  page_id: id(),
  group: Type.Boolean({ description: 'true for a group of other components' }),
  only_show_if_degraded: Type.Boolean(),
  components: Type.Optional(Type.Array(id(), { uniqueItems: true, description: 'groups only: the ids of their components' })),
}, closed);

const affectedComponent = Type.Object({
  code: id(),
  name: Type.String({ minLength: 1 }),
  old_status: strings(...COMPONENT_STATUSES),
  new_status: strings(...COMPONENT_STATUSES),
}, closed);

const update = (statuses: string[]) => Type.Object({
  id: id(),
  status: strings(...statuses),
  body: Type.String(),
  incident_id: id(),
  created_at: timestamp(),
  updated_at: timestamp(),
  display_at: timestamp(),
  affected_components: Type.Union([Type.Array(ref('affected_component')), Type.Null()]),
  deliver_notifications: Type.Boolean(),
  custom_tweet: nullableString(),
  tweet_id: nullableString(),
}, closed);

/** What incidents and maintenances share. */
const eventFields = (statuses: string[], impacts: string[], updateSchema: string) => ({
  id: id(),
  name: Type.String({ minLength: 1 }),
  status: strings(...statuses),
  created_at: timestamp(),
  updated_at: timestamp(),
  monitoring_at: nullableTimestamp(),
  resolved_at: nullableTimestamp(),
  impact: strings(...impacts),
  shortlink: Type.String({ format: 'uri' }),
  started_at: timestamp(),
  page_id: id(),
  incident_updates: Type.Array(ref(updateSchema)),
  components: Type.Array(ref('component')),
  reminder_intervals: Type.Optional(nullableString()),
});

const incident = (statuses: string[]) => Type.Object({
  ...eventFields(statuses, ['none', 'minor', 'major', 'critical'], 'incident_update'),
  postmortem_body: Type.Optional(nullableString()),
  postmortem_body_last_updated_at: Type.Optional(nullableTimestamp()),
  postmortem_ignored: Type.Optional(Type.Boolean()),
  postmortem_notified_subscribers: Type.Optional(Type.Boolean()),
  postmortem_notified_twitter: Type.Optional(Type.Boolean()),
  postmortem_published_at: Type.Optional(nullableTimestamp()),
}, closed);

const maintenance = (statuses: string[]) => Type.Object({
  ...eventFields(statuses, ['none', 'minor', 'major', 'critical', 'maintenance'], 'maintenance_update'),
  scheduled_for: timestamp(),
  scheduled_until: timestamp(),
}, closed);

/** Named shapes, for `components.schemas` of the OpenAPI document. */
export const STATUSPAGE_SCHEMAS: Record<string, TSchema> = {
  page,
  page_status: pageStatus,
  component,
  affected_component: affectedComponent,
  incident_update: update(INCIDENT_STATUSES),
  maintenance_update: update(MAINTENANCE_STATUSES),
  incident: incident(INCIDENT_STATUSES),
  unresolved_incident: incident(['investigating', 'identified', 'monitoring']),
  scheduled_maintenance: maintenance(MAINTENANCE_STATUSES),
  open_scheduled_maintenance: maintenance(['scheduled', 'in_progress', 'verifying']),
  active_scheduled_maintenance: maintenance(['in_progress', 'verifying']),
  upcoming_scheduled_maintenance: maintenance(['scheduled']),
};

const list = (key: string, item: string, max?: number) =>
  Type.Object({ page: ref('page'), [key]: Type.Array(ref(item), max ? { maxItems: max } : {}) }, closed);

/** Each endpoint's response body. */
export const STATUSPAGE_RESPONSES: Record<ApiEndpoint, { summary: string; schema: TSchema }> = {
  summary: {
    summary: 'The page at a glance: overall status, every component, unresolved incidents, open maintenances',
    schema: Type.Object({
      page: ref('page'),
      status: ref('page_status'),
      components: Type.Array(ref('component')),
      incidents: Type.Array(ref('unresolved_incident')),
      scheduled_maintenances: Type.Array(ref('open_scheduled_maintenance')),
    }, closed),
  },
  status: { summary: 'The overall status indicator', schema: Type.Object({ page: ref('page'), status: ref('page_status') }, closed) },
  components: { summary: 'Every component and group', schema: list('components', 'component') },
  incidents: { summary: 'The 50 most recent incidents', schema: list('incidents', 'incident', 50) },
  incidents_unresolved: { summary: 'Incidents not resolved yet', schema: list('incidents', 'unresolved_incident') },
  scheduled_maintenances: { summary: 'The 50 most recent maintenances', schema: list('scheduled_maintenances', 'scheduled_maintenance', 50) },
  scheduled_maintenances_active: { summary: 'Maintenances in progress', schema: list('scheduled_maintenances', 'active_scheduled_maintenance') },
  scheduled_maintenances_upcoming: { summary: 'Maintenances scheduled, not started', schema: list('scheduled_maintenances', 'upcoming_scheduled_maintenance') },
};
