/**
 * Validates kinkyu's /api/v2/* bodies against the Statuspage public API v2 JSON Schema in
 * test/schemas/statuspage-v2.schema.json and returns readable error strings (empty when valid).
 */
import { readFileSync } from 'node:fs';
import AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

export const STATUSPAGE_ENDPOINTS = [
  'summary',
  'status',
  'components',
  'incidents',
  'incidents_unresolved',
  'scheduled_maintenances',
  'scheduled_maintenances_active',
  'scheduled_maintenances_upcoming',
] as const;
export type StatuspageEndpoint = (typeof STATUSPAGE_ENDPOINTS)[number];

/** The /api/v2 path each endpoint schema describes. */
export const STATUSPAGE_PATHS: Readonly<Record<StatuspageEndpoint, string>> = {
  summary: '/api/v2/summary.json',
  status: '/api/v2/status.json',
  components: '/api/v2/components.json',
  incidents: '/api/v2/incidents.json',
  incidents_unresolved: '/api/v2/incidents/unresolved.json',
  scheduled_maintenances: '/api/v2/scheduled-maintenances.json',
  scheduled_maintenances_active: '/api/v2/scheduled-maintenances/active.json',
  scheduled_maintenances_upcoming: '/api/v2/scheduled-maintenances/upcoming.json',
};

export const STATUSPAGE_SCHEMA_URL = new URL('../schemas/statuspage-v2.schema.json', import.meta.url);

// ajv and ajv-formats are CommonJS; under ESM the default import may be the module object.
type AjvClass = typeof AjvModule.default;
type AddFormats = typeof addFormatsModule.default;
const AjvCtor: AjvClass = (AjvModule as unknown as { default?: AjvClass }).default ?? (AjvModule as unknown as AjvClass);
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

interface LoadedSchema {
  $id: string;
  definitions: Record<string, { properties?: Record<string, unknown> }>;
}

let validators: Map<StatuspageEndpoint, ValidateFunction> | undefined;
let loaded: { schema: LoadedSchema; definition: (name: string) => ValidateFunction } | undefined;

function loadValidators(): Map<StatuspageEndpoint, ValidateFunction> {
  if (validators) return validators;
  const schema = JSON.parse(readFileSync(STATUSPAGE_SCHEMA_URL, 'utf8')) as LoadedSchema;
  // $data: the schema compares scheduled_until with scheduled_for (ajv-formats formatMinimum).
  const ajv = new AjvCtor({
    allErrors: true,
    verbose: true, // errors carry parentSchema, whose $comment explains a failed "not"
    strict: true,
    strictRequired: false, // if/then branches name properties declared on the enclosing object
    allowUnionTypes: true,
    $data: true,
  });
  addFormats(ajv);
  ajv.addSchema(schema);
  const map = new Map<StatuspageEndpoint, ValidateFunction>();
  for (const endpoint of STATUSPAGE_ENDPOINTS) {
    if (!(endpoint in schema.definitions)) throw new Error(`statuspage schema has no definitions/${endpoint}`);
    const validate = ajv.getSchema(`${schema.$id}#/definitions/${endpoint}`);
    if (!validate) throw new Error(`statuspage schema: cannot compile definitions/${endpoint}`);
    map.set(endpoint, validate);
  }
  validators = map;
  loaded = {
    schema,
    definition(name) {
      const validate = ajv.getSchema(`${schema.$id}#/definitions/${name}`);
      if (!validate) throw new Error(`statuspage schema: cannot compile definitions/${name}`);
      return validate;
    },
  };
  return map;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(root)' : error.instancePath;
  const params = error.params as Record<string, unknown>;
  let detail = error.message ?? error.keyword;
  switch (error.keyword) {
    case 'additionalProperties':
      detail = `unexpected property '${String(params['additionalProperty'])}'`;
      break;
    case 'enum':
      detail = `${detail}: ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'const':
      detail = `${detail}: ${JSON.stringify(params['allowedValue'])}`;
      break;
    case 'not': {
      const why = (error.parentSchema as { $comment?: unknown } | undefined)?.$comment;
      detail = typeof why === 'string' ? `${detail}: ${why}` : `${detail} (${error.schemaPath})`;
      break;
    }
    default:
      break;
  }
  return `${where}: ${detail}`;
}

/**
 * Validate one response body of the Statuspage-compatible API.
 * Returns readable error strings, e.g. "/components/0/status: must be equal to one of the allowed values:
 * "operational", ..." or "/page: unexpected property 'time_zon'"; an empty array when the body is valid.
 */
export function validateStatuspage(endpoint: StatuspageEndpoint, body: unknown): string[] {
  const validate = loadValidators().get(endpoint);
  if (!validate) throw new Error(`unknown Statuspage endpoint: ${String(endpoint)}`);
  if (validate(body)) return [];
  const errors = validate.errors ?? [];
  // "must match "then" schema" / "must match exactly one schema in oneOf" repeat what the specific errors say.
  const specific = errors.filter((e) => e.keyword !== 'if' && e.keyword !== 'oneOf');
  const messages = (specific.length > 0 ? specific : errors).map(describe);
  return [...new Set(messages)];
}

function errorsOf(validate: ValidateFunction, body: unknown, prefix = ''): string[] {
  if (validate(body)) return [];
  const errors = validate.errors ?? [];
  const specific = errors.filter((e) => e.keyword !== 'if' && e.keyword !== 'oneOf');
  return [...new Set((specific.length > 0 ? specific : errors).map((e) => `${prefix}${describe(e)}`.replace(/^(\/[^:]*?)\(root\)/, '$1')))];
}

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAINTENANCE_STATUSES = new Set(['scheduled', 'in_progress', 'verifying', 'completed']);

/**
 * Validate a subscriber webhook body (Statuspage's shape): the envelope and the webhook-only fields against
 * definitions/webhook, then the incident's public-API part (the webhook-only fields taken off) against
 * definitions/incident or definitions/scheduled_maintenance, exactly as /api/v2 serves it. Empty when valid.
 */
export function validateStatuspageWebhook(body: unknown): string[] {
  loadValidators();
  const { schema, definition } = loaded!;
  const errors = errorsOf(definition('webhook'), body);
  const incident = isObject(body) ? body['incident'] : undefined;
  if (!isObject(incident)) return errors;
  const maintenance = typeof incident['status'] === 'string' && MAINTENANCE_STATUSES.has(incident['status']);
  const target = maintenance ? 'scheduled_maintenance' : 'incident';
  const own = new Set(Object.keys(schema.definitions[target]?.properties ?? {}));
  const webhookOnly = Object.keys(schema.definitions['webhook_incident_fields']?.properties ?? {}).filter((k) => !own.has(k));
  const updateOnly = Object.keys(schema.definitions['webhook_update_fields']?.properties ?? {});
  const publicPart: JsonObject = Object.fromEntries(Object.entries(incident).filter(([k]) => !webhookOnly.includes(k)));
  if (Array.isArray(incident['incident_updates'])) {
    publicPart['incident_updates'] = incident['incident_updates'].map((u: unknown) =>
      isObject(u) ? Object.fromEntries(Object.entries(u).filter(([k]) => !updateOnly.includes(k))) : u);
  }
  return [...errors, ...errorsOf(definition(target), publicPart, '/incident')];
}
