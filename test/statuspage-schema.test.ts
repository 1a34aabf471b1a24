import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';

import { STATUSPAGE_ENDPOINTS, validateStatuspage, validateStatuspageWebhook } from './support/statuspage-schema.ts';
import type { StatuspageEndpoint } from './support/statuspage-schema.ts';

// Example bodies are named <endpoint>.<what>.json.
const EXAMPLES_DIR = new URL('./schemas/statuspage-examples/', import.meta.url);

// Examples are plain JSON trees; mutations below poke into them by key.
type Json = Record<string, any>;

function isEndpoint(name: string): name is StatuspageEndpoint {
  return (STATUSPAGE_ENDPOINTS as readonly string[]).includes(name);
}

function examples(): Array<{ file: string; endpoint: StatuspageEndpoint; body: Json }> {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const endpoint = file.split('.')[0] ?? '';
      assert.ok(isEndpoint(endpoint), `${file}: name must start with an endpoint (${STATUSPAGE_ENDPOINTS.join(', ')})`);
      const body = JSON.parse(readFileSync(new URL(file, EXAMPLES_DIR), 'utf8')) as Json;
      return { file, endpoint, body };
    });
}

function example(file: string): Json {
  return JSON.parse(readFileSync(new URL(file, EXAMPLES_DIR), 'utf8')) as Json;
}

/** Asserts the body fails and that some error names `path` and contains `fragment`. */
function assertRejected(endpoint: StatuspageEndpoint, body: unknown, path: string, fragment: string): void {
  const errors = validateStatuspage(endpoint, body);
  assert.ok(errors.length > 0, `expected ${endpoint} to be rejected (${path}: ${fragment})`);
  for (const e of errors) assert.equal(typeof e, 'string');
  assert.ok(
    errors.some((e) => e.startsWith(`${path}: `) && e.includes(fragment)),
    `expected an error "${path}: …${fragment}…", got:\n  ${errors.join('\n  ')}`,
  );
}

test('every example validates against its endpoint schema', () => {
  const all = examples();
  assert.ok(all.length >= 3, 'at least three examples');
  for (const { file, endpoint, body } of all) {
    assert.deepEqual(validateStatuspage(endpoint, body), [], `${file} should be valid`);
  }
});

test('every endpoint is covered by at least one example', () => {
  const covered = new Set(examples().map((e) => e.endpoint));
  for (const endpoint of STATUSPAGE_ENDPOINTS) assert.ok(covered.has(endpoint), `no example for ${endpoint}`);
});

test('the examples exercise the shapes that matter', () => {
  const summary = example('summary.incident-and-maintenances.json');
  assert.ok(summary['incidents'].length > 0, 'summary has an active incident');
  assert.ok(summary['scheduled_maintenances'].length > 0, 'summary has a maintenance');
  const components = example('components.with-group.json')['components'] as Json[];
  assert.ok(components.some((c) => c['group'] === true && Array.isArray(c['components'])), 'a group with child ids');
  assert.ok(components.some((c) => typeof c['group_id'] === 'string'), 'a child of a group');
  assert.deepEqual(example('incidents_unresolved.none.json')['incidents'], []);
});

test('a body that is not an object is rejected with a readable error', () => {
  assert.deepEqual(validateStatuspage('summary', null), ['(root): must be object']);
  assert.deepEqual(validateStatuspage('status', []), ['(root): must be object']);
});

test('wrong enum values are rejected', () => {
  const components = example('components.with-group.json');
  components['components'][0]['status'] = 'degraded';
  assertRejected('components', components, '/components/0/status', 'must be equal to one of the allowed values');
  assertRejected('components', components, '/components/0/status', '"degraded_performance"');

  const status = example('status.minor.json');
  status['status']['indicator'] = 'green';
  assertRejected('status', status, '/status/indicator', '"none", "minor", "major", "critical", "maintenance"');

  const incidents = example('incidents.recent.json');
  incidents['incidents'][1]['impact'] = 'maintenance';
  assertRejected('incidents', incidents, '/incidents/1/impact', 'allowed values');

  const maint = example('scheduled_maintenances.recent.json');
  maint['scheduled_maintenances'][0]['incident_updates'][0]['status'] = 'resolved';
  assertRejected('scheduled_maintenances', maint, '/scheduled_maintenances/0/incident_updates/0/status', '"verifying"');

  const update = example('incidents_unresolved.one.json');
  update['incidents'][0]['incident_updates'][0]['affected_components'][0]['new_status'] = 'down';
  assertRejected(
    'incidents_unresolved',
    update,
    '/incidents/0/incident_updates/0/affected_components/0/new_status',
    'allowed values',
  );
});

test('missing required fields are rejected', () => {
  const summary = example('summary.incident-and-maintenances.json');
  delete summary['page']['time_zone'];
  assertRejected('summary', summary, '/page', "must have required property 'time_zone'");

  const noStatus = example('summary.all-operational.json');
  delete noStatus['status'];
  assertRejected('summary', noStatus, '(root)', "must have required property 'status'");

  const components = example('components.with-group.json');
  delete components['components'][1]['only_show_if_degraded'];
  assertRejected('components', components, '/components/1', "must have required property 'only_show_if_degraded'");

  const incidents = example('incidents.recent.json');
  delete incidents['incidents'][0]['incident_updates'][0]['display_at'];
  assertRejected('incidents', incidents, '/incidents/0/incident_updates/0', "required property 'display_at'");

  const upcoming = example('scheduled_maintenances_upcoming.one.json');
  delete upcoming['scheduled_maintenances'][0]['scheduled_until'];
  assertRejected('scheduled_maintenances_upcoming', upcoming, '/scheduled_maintenances/0', "'scheduled_until'");
});

test('extra or misspelt fields are rejected', () => {
  const components = example('components.with-group.json');
  components['components'][0]['only_show_if_degradded'] = false;
  assertRejected('components', components, '/components/0', "unexpected property 'only_show_if_degradded'");

  const summary = example('summary.incident-and-maintenances.json');
  summary['scheduled_maintenance'] = [];
  assertRejected('summary', summary, '(root)', "unexpected property 'scheduled_maintenance'");

  const incidents = example('incidents.recent.json');
  incidents['incidents'][0]['resolvedAt'] = null;
  assertRejected('incidents', incidents, '/incidents/0', "unexpected property 'resolvedAt'");

  // Fields of the authenticated manage API do not belong in the public body…
  const manage = example('incidents.recent.json');
  manage['incidents'][1]['impact_override'] = 'major';
  assertRejected('incidents', manage, '/incidents/1', "unexpected property 'impact_override'");
  // …except Statuspage's postmortem fields (issue 13), which must then tell one consistent story.
  const halfPostmortem = example('incidents.recent.json');
  halfPostmortem['incidents'][1]['postmortem_body'] = 'What happened';
  assertRejected('incidents', halfPostmortem, '/incidents/1', "must have required property 'postmortem_published_at'");
  const notified = example('incidents.recent.json');
  Object.assign(notified['incidents'][1], { postmortem_body: null, postmortem_published_at: null, postmortem_notified_subscribers: true });
  assertRejected('incidents', notified, '/incidents/1/postmortem_notified_subscribers', 'must be equal to constant');

  const status = example('status.minor.json');
  status['status']['descripton'] = 'typo';
  assertRejected('status', status, '/status', "unexpected property 'descripton'");
});

test('unresolved lists reject resolved and postmortem incidents', () => {
  for (const bad of ['resolved', 'postmortem']) {
    const unresolved = example('incidents_unresolved.one.json');
    unresolved['incidents'][0]['status'] = bad;
    unresolved['incidents'][0]['resolved_at'] = '2025-06-12T15:00:00.000+09:00';
    assertRejected('incidents_unresolved', unresolved, '/incidents/0/status', '"investigating", "identified", "monitoring"');
    assertRejected('incidents_unresolved', unresolved, '/incidents/0/resolved_at', 'must be null');
  }

  const summary = example('summary.incident-and-maintenances.json');
  summary['incidents'][0]['status'] = 'resolved';
  summary['incidents'][0]['resolved_at'] = '2025-06-12T15:00:00.000+09:00';
  assertRejected('summary', summary, '/incidents/0/status', 'allowed values');

  // The full list, on the other hand, keeps resolved incidents.
  const all = example('incidents.recent.json');
  assert.ok((all['incidents'] as Json[]).some((i) => i['status'] === 'resolved'));
  assert.deepEqual(validateStatuspage('incidents', all), []);
});

test('maintenance lists only hold the statuses their endpoint promises', () => {
  const recent = example('scheduled_maintenances.recent.json');
  const completed = (recent['scheduled_maintenances'] as Json[]).find((m) => m['status'] === 'completed');
  assert.ok(completed);

  const summary = example('summary.incident-and-maintenances.json');
  summary['scheduled_maintenances'].push(completed);
  assertRejected('summary', summary, '/scheduled_maintenances/2/status', '"scheduled", "in_progress", "verifying"');

  const active = example('scheduled_maintenances_active.in-progress.json');
  active['scheduled_maintenances'][0]['status'] = 'scheduled';
  assertRejected('scheduled_maintenances_active', active, '/scheduled_maintenances/0/status', '"in_progress", "verifying"');

  const upcoming = example('scheduled_maintenances_upcoming.one.json');
  upcoming['scheduled_maintenances'][0]['status'] = 'in_progress';
  assertRejected('scheduled_maintenances_upcoming', upcoming, '/scheduled_maintenances/0/status', '"scheduled"');
});

test('timestamps need an offset, start_date is a date, the window runs forwards', () => {
  const status = example('status.minor.json');
  status['page']['updated_at'] = '2025-06-12T14:05:11';
  assertRejected('status', status, '/page/updated_at', 'must match format "date-time"');

  const components = example('components.with-group.json');
  components['components'][0]['start_date'] = '2023-04-03T00:00:00Z';
  assertRejected('components', components, '/components/0/start_date', 'must match format "date"');

  const upcoming = example('scheduled_maintenances_upcoming.one.json');
  const m = upcoming['scheduled_maintenances'][0];
  m['scheduled_until'] = '2025-06-15T01:59:59.000+09:00';
  assertRejected('scheduled_maintenances_upcoming', upcoming, '/scheduled_maintenances/0/scheduled_until', 'should be >=');
  // Same instant in another offset is fine: comparison is by time, not by string.
  m['scheduled_until'] = '2025-06-14T19:00:00.000Z';
  assert.deepEqual(validateStatuspage('scheduled_maintenances_upcoming', upcoming), []);
});

test('group quirks: groups list child ids, leaves do not', () => {
  const noChildren = example('components.with-group.json');
  const group = (noChildren['components'] as Json[]).find((c) => c['group'] === true);
  assert.ok(group);
  delete group['components'];
  assertRejected('components', noChildren, `/components/${noChildren['components'].indexOf(group)}`, "'components'");

  const leafWithChildren = example('components.with-group.json');
  leafWithChildren['components'][0]['components'] = ['btcw1thdr4w1'];
  assertRejected('components', leafWithChildren, '/components/0', 'must NOT be valid');

  const nested = example('components.with-group.json');
  const nestedGroup = (nested['components'] as Json[]).find((c) => c['group'] === true);
  assert.ok(nestedGroup);
  nestedGroup['group_id'] = 'sp0t7r4d1ng1';
  assertRejected('components', nested, `/components/${nested['components'].indexOf(nestedGroup)}/group_id`, 'must be null');
});

test('incident lifecycle timestamps agree with the status', () => {
  const noResolvedAt = example('incidents.recent.json');
  const resolved = (noResolvedAt['incidents'] as Json[]).findIndex((i) => i['status'] === 'resolved');
  noResolvedAt['incidents'][resolved]['resolved_at'] = null;
  assertRejected('incidents', noResolvedAt, `/incidents/${resolved}/resolved_at`, 'must be string');

  const monitoring = example('incidents_unresolved.one.json');
  monitoring['incidents'][0]['status'] = 'monitoring';
  assertRejected('incidents_unresolved', monitoring, '/incidents/0/monitoring_at', 'must be string');
  monitoring['incidents'][0]['monitoring_at'] = '2025-06-12T14:30:00.000+09:00';
  assert.deepEqual(validateStatuspage('incidents_unresolved', monitoring), []);
});

test('affected_components: null or full entries, not the legacy placeholder', () => {
  const body = example('incidents_unresolved.one.json');
  body['incidents'][0]['incident_updates'][0]['affected_components'] = null;
  assert.deepEqual(validateStatuspage('incidents_unresolved', body), []);
  body['incidents'][0]['incident_updates'][0]['affected_components'] = [
    { name: 'No components were affected by this update.' },
  ];
  assertRejected(
    'incidents_unresolved',
    body,
    '/incidents/0/incident_updates/0/affected_components/0',
    "must have required property 'code'",
  );
});

// ---------- subscriber webhooks ----------

const WEBHOOK_EXAMPLES_DIR = new URL('./schemas/statuspage-webhook-examples/', import.meta.url);
const webhookExample = (file: string): Json => JSON.parse(readFileSync(new URL(file, WEBHOOK_EXAMPLES_DIR), 'utf8')) as Json;

function assertWebhookRejected(body: unknown, path: string, fragment: string): void {
  const errors = validateStatuspageWebhook(body);
  assert.ok(
    errors.some((e) => e.startsWith(`${path}: `) && e.includes(fragment)),
    `expected an error "${path}: …${fragment}…", got:\n  ${errors.join('\n  ')}`,
  );
}

test('webhook examples (incident, maintenance, component) validate, the incident also as /api/v2 serves it', () => {
  const files = readdirSync(WEBHOOK_EXAMPLES_DIR).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(files, ['component.degraded.json', 'incident.resolved.json', 'maintenance.in-progress.json']);
  for (const file of files) assert.deepEqual(validateStatuspageWebhook(webhookExample(file)), [], `${file} should be valid`);
});

test('a component_update carries component_type "Component" and the documented fields, nothing else', () => {
  const missing = webhookExample('component.degraded.json');
  delete missing['component_update']['component_type'];
  assertWebhookRejected(missing, '/component_update', "must have required property 'component_type'");
  const wrong = webhookExample('component.degraded.json');
  wrong['component_update']['component_type'] = 'Group';
  assertWebhookRejected(wrong, '/component_update/component_type', 'must be equal to constant');
  const extra = webhookExample('component.degraded.json');
  extra['component_update']['componentType'] = 'Component';
  assertWebhookRejected(extra, '/component_update', "unexpected property 'componentType'");
  const noComponent = webhookExample('component.degraded.json');
  delete noComponent['component'];
  assert.ok(validateStatuspageWebhook(noComponent).length > 0, 'a component_update comes with its component');
});

test('an incident webhook carries Statuspage\'s webhook fields, and its public part stays strict', () => {
  for (const field of ['postmortem_body', 'backfilled', 'scheduled_remind_prior', 'impact_override', 'scheduled_auto_completed']) {
    const body = webhookExample('incident.resolved.json');
    delete body['incident'][field];
    assertWebhookRejected(body, '/incident', `must have required property '${field}'`);
  }
  const twitter = webhookExample('incident.resolved.json');
  delete twitter['incident']['incident_updates'][0]['wants_twitter_update'];
  assertWebhookRejected(twitter, '/incident/incident_updates/0', "must have required property 'wants_twitter_update'");
  const misspelt = webhookExample('incident.resolved.json');
  misspelt['incident']['resolvedAt'] = misspelt['incident']['resolved_at'];
  assertWebhookRejected(misspelt, '/incident', "unexpected property 'resolvedAt'");
  const lifecycle = webhookExample('incident.resolved.json');
  lifecycle['incident']['resolved_at'] = null;
  assertWebhookRejected(lifecycle, '/incident/resolved_at', 'must be string');
  const postmortem = webhookExample('incident.resolved.json');
  postmortem['incident']['postmortem_published_at'] = '2026-03-03T12:00:00.000+09:00';
  assertWebhookRejected(postmortem, '/incident/postmortem_body', 'must be string');
  const maintenance = webhookExample('maintenance.in-progress.json');
  delete maintenance['incident']['scheduled_until'];
  assert.ok(validateStatuspageWebhook(maintenance).some((e) => e.includes("'scheduled_until'")), 'a maintenance keeps its window');
});

test('a webhook is about an incident or a component change, never both; meta and page are exact', () => {
  const both = webhookExample('incident.resolved.json');
  both['component_update'] = webhookExample('component.degraded.json')['component_update'];
  both['component'] = webhookExample('component.degraded.json')['component'];
  assert.ok(validateStatuspageWebhook(both).length > 0);
  const noMeta = webhookExample('component.degraded.json');
  delete noMeta['meta']['generated_at'];
  assertWebhookRejected(noMeta, '/meta', "must have required property 'generated_at'");
  const page = webhookExample('component.degraded.json');
  page['page']['status_indicator'] = 'green';
  assertWebhookRejected(page, '/page/status_indicator', 'must be equal to one of the allowed values');
});
