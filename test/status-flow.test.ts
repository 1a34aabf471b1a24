import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, makeStaff, StaffClient, type RunningApp } from './support/app.ts';
import { validateStatuspage } from './support/statuspage-schema.ts';
import { API_PATHS, type ApiEndpoint } from '../src/status/api-v2.ts';
import { verifyAudit } from '../src/audit/audit-log.ts';

let app: RunningApp;
let commander: StaffClient;
let agent: StaffClient;

const getJson = async (path: string) => (await fetch(app.baseUrl + path)).json() as Promise<Record<string, any>>;
const getText = async (path: string, headers: Record<string, string> = {}) => (await fetch(app.baseUrl + path, { headers })).text();

async function validateAll(state: string): Promise<void> {
  for (const [path, endpoint] of Object.entries(API_PATHS)) {
    for (const q of ['', '?lang=en']) {
      const res = await fetch(app.baseUrl + path + q, { headers: { origin: 'https://widget.example' } });
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('access-control-allow-origin'), '*', `${path} must allow cross-origin GET`);
      const errors = validateStatuspage(endpoint as ApiEndpoint, await res.json());
      assert.deepEqual(errors, [], `${state}: ${path}${q} does not match Statuspage's shape:\n${errors.join('\n')}`);
    }
  }
}

before(async () => {
  app = await startApp();
  commander = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'incident_commander'));
  agent = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'agent'));
});
after(async () => app.stop());

describe('an incident from declaration to resolution', () => {
  let incidentId = '';

  test('API v2 matches Statuspage in the all-clear state (with an upcoming maintenance)', async () => {
    const summary = await getJson('/api/v2/summary.json');
    assert.equal(summary.status.indicator, 'none');
    assert.equal(summary.incidents.length, 0);
    assert.equal(summary.scheduled_maintenances.length, 1, 'the demo maintenance is upcoming');
    await validateAll('all clear');
  });

  test('a commander declares an incident through the console form', async () => {
    const res = await commander.postForm('/staff/incidents', {
      type: 'outage', severity: 'SEV2', status: 'investigating',
      nameJa: 'BTC/JPY の注文が約定しにくい状態', nameEn: 'BTC/JPY orders slow to fill',
      bodyJa: '現在 BTC/JPY の注文処理が遅延しています。調査中です。', bodyEn: 'BTC/JPY order processing is delayed. We are investigating.',
      'cs.pairbtcjpy00': 'major_outage', 'cs.restapi00000': '',
    });
    assert.equal(res.status, 303);
    const location = res.headers.get('location') ?? '';
    assert.match(location, /^\/staff\/incidents\/[a-z0-9]{12}\?ok=declared$/);
    incidentId = location.split('/')[3]!.split('?')[0]!;
    await app.site.refresh();
    const summary = await getJson('/api/v2/summary.json');
    assert.equal(summary.status.indicator, 'major');
    assert.equal(summary.incidents[0].id, incidentId);
    assert.equal(summary.incidents[0].name, 'BTC/JPY の注文が約定しにくい状態');
    assert.equal(summary.components.find((c: any) => c.id === 'pairbtcjpy00').status, 'major_outage');
    assert.equal(summary.components.find((c: any) => c.id === 'grptrading00').status, 'major_outage', 'a group shows its worst member');
    await validateAll('active incident');
  });

  test('an agent cannot post to the status page, and nothing changes', async () => {
    const before = await getText('/api/v2/incidents.json');
    const res = await agent.postForm(`/staff/incidents/${incidentId}/updates`, { status: 'resolved', bodyJa: '解決しました' });
    assert.equal(res.status, 403);
    const json = await agent.postJson('/staff/incidents', { type: 'outage', severity: 'SEV1', nameJa: 'x', bodyJa: 'y' });
    assert.equal(json.status, 403);
    assert.equal(((await json.json()) as { code: string }).code, 'FORBIDDEN');
    await app.site.refresh();
    assert.equal(await getText('/api/v2/incidents.json'), before);
  });

  test('two updates, then resolution: page, API and both feeds follow', async () => {
    let res = await commander.postForm(`/staff/incidents/${incidentId}/updates`, {
      status: 'identified', visibility: 'public', bodyJa: 'マッチングエンジンの遅延が原因と判明しました。', bodyEn: 'The matching engine is lagging.',
    });
    assert.equal(res.status, 303);
    res = await commander.postForm(`/staff/incidents/${incidentId}/updates`, {
      status: 'identified', visibility: 'internal', bodyJa: '社内メモ: DB フェイルオーバーを検討', 
    });
    assert.equal(res.status, 303);
    res = await commander.postForm(`/staff/incidents/${incidentId}/updates`, {
      status: 'monitoring', bodyJa: '対策を適用しました。経過を観察しています。', 'cs.pairbtcjpy00': 'degraded_performance',
    });
    assert.equal(res.status, 303);
    await app.site.refresh();

    const page = await getText('/');
    assert.ok(page.includes('マッチングエンジンの遅延が原因と判明しました。'));
    assert.ok(page.includes('経過を観察しています'));
    assert.ok(!page.includes('社内メモ'), 'internal notes never reach the public page');
    const incident = (await getJson(`/api/v2/incidents/unresolved.json`)).incidents[0];
    assert.equal(incident.status, 'monitoring');
    assert.equal(incident.incident_updates.length, 3, 'three public updates, the internal note excluded');
    assert.deepEqual(incident.incident_updates[0].affected_components, [
      { code: 'pairbtcjpy00', name: 'BTC/JPY', old_status: 'major_outage', new_status: 'degraded_performance' },
    ]);
    assert.ok((await getText('/?lang=en')).includes('The matching engine is lagging.'));

    res = await commander.postForm(`/staff/incidents/${incidentId}/updates`, { status: 'resolved', bodyJa: '正常に戻りました。ご迷惑をおかけしました。' });
    assert.equal(res.status, 303);
    await app.site.refresh();
    const summary = await getJson('/api/v2/summary.json');
    assert.equal(summary.status.indicator, 'none');
    assert.equal(summary.incidents.length, 0);
    assert.equal(summary.components.find((c: any) => c.id === 'pairbtcjpy00').status, 'operational', 'resolving returns components to operational');
    const all = (await getJson('/api/v2/incidents.json')).incidents;
    const resolved = all.find((i: any) => i.id === incidentId);
    assert.equal(resolved.status, 'resolved');
    assert.ok(resolved.resolved_at);
    assert.ok((await getText('/')).includes('すべてのシステムは正常に稼働しています'));
    const detail = await getText(`/incidents/${incidentId}`);
    assert.ok(detail.includes('正常に戻りました。'));
    assert.ok(!detail.includes('社内メモ'));
    for (const feed of ['/history.atom', '/history.rss']) {
      const xml = await getText(feed);
      assert.ok(xml.includes('BTC/JPY の注文が約定しにくい状態'), `${feed} lists the incident`);
      assert.ok(xml.includes('正常に戻りました。'), `${feed} carries the resolution`);
      assert.ok(xml.includes(`/incidents/${incidentId}`));
    }
    assert.ok((await getText('/history.atom?lang=en')).includes('BTC/JPY orders slow to fill'));
    await validateAll('resolved');
  });

  test('a published update can be corrected: the page says so and the audit log keeps the old text', async () => {
    const api = (await getJson('/api/v2/incidents.json')).incidents.find((i: any) => i.id === incidentId);
    const first = api.incident_updates.at(-1);
    const res = await commander.postForm(`/staff/incidents/${incidentId}/updates/${first.id}/edit`, {
      bodyJa: '現在 BTC/JPY の注文処理が遅延しています (19:40 頃から)。', bodyEn: 'BTC/JPY order processing is delayed (since about 19:40).',
    });
    assert.equal(res.status, 303);
    await app.site.refresh();
    const after = (await getJson('/api/v2/incidents.json')).incidents.find((i: any) => i.id === incidentId);
    const corrected = after.incident_updates.find((u: any) => u.id === first.id);
    assert.equal(corrected.body, '現在 BTC/JPY の注文処理が遅延しています (19:40 頃から)。');
    assert.equal(corrected.status, first.status, 'the status stays');
    assert.notEqual(corrected.updated_at, first.updated_at);
    assert.match(await getText(`/incidents/${incidentId}`), /内容を訂正しました/);
    const [audit] = await app.db.query<{ data: { before: { bodyJa: string } } }>(
      "SELECT data FROM audit_log WHERE action = 'incident.update_edit' AND target_id = $1", [first.id]);
    assert.equal(audit?.data.before.bodyJa, first.body);
    const refused = await agent.postForm(`/staff/incidents/${incidentId}/updates/${first.id}/edit`, { bodyJa: '改ざん' });
    assert.equal(refused.status, 403);
    const empty = await commander.postJson(`/staff/incidents/${incidentId}/updates/${first.id}/edit`, { bodyJa: '' });
    assert.equal(empty.status, 400);
    const wrong = await commander.postJson(`/staff/incidents/${incidentId}/updates/nosuchupdate/edit`, { bodyJa: 'x' });
    assert.equal(wrong.status, 404);
  });

  test('a resolved incident cannot be reopened', async () => {
    const res = await commander.postJson(`/staff/incidents/${incidentId}/updates`, { status: 'investigating', bodyJa: '再発' });
    assert.equal(res.status, 409);
    const body = (await res.json()) as { code: string; message: string };
    assert.equal(body.code, 'ILLEGAL_INCIDENT_TRANSITION');
    assert.match(body.message, /新しい障害/);
  });

  test('the closed incident is on the dashboard, and its postmortem is published from there', async () => {
    const dashboard = await (await commander.get('/staff')).text();
    const closedSection = dashboard.slice(dashboard.indexOf('最近終了した障害'));
    assert.ok(closedSection.includes(`/staff/incidents/${incidentId}`), 'listed under recently closed');
    const res = await commander.postForm(`/staff/incidents/${incidentId}/updates`, {
      status: 'postmortem', bodyJa: '事後報告: マッチングエンジンの監視を強化しました。',
    });
    assert.equal(res.status, 303);
    await app.site.refresh();
    const incident = (await getJson('/api/v2/incidents.json')).incidents.find((i: any) => i.id === incidentId);
    assert.equal(incident.status, 'postmortem');
    assert.ok((await getText(`/incidents/${incidentId}`)).includes('事後報告: マッチングエンジンの監視を強化しました。'));
    const again = await commander.postJson(`/staff/incidents/${incidentId}/updates`, { bodyJa: '追記' });
    assert.equal(again.status, 409, 'a postmortem is final for public updates');
    const note = await commander.postJson(`/staff/incidents/${incidentId}/updates`, { visibility: 'internal', bodyJa: '振り返り会は金曜' });
    assert.equal(note.status, 200, 'internal notes are still possible');
  });

  test('the audit chain holds every change and detects an edited row', async () => {
    const actions = (await app.db.query<{ action: string }>('SELECT action FROM audit_log ORDER BY seq')).map((r) => r.action);
    assert.ok(actions.includes('incident.declare'));
    assert.equal(actions.filter((a) => a === 'incident.update').length >= 3, true);
    assert.ok(actions.includes('incident.note'));
    const ok = await verifyAudit(app.db);
    assert.equal(ok.ok, true, JSON.stringify(ok.problems));
    assert.match(await (await commander.get('/staff/audit?verify=1')).text(), /監査ログの連鎖は正常です/);
    assert.doesNotMatch(await (await commander.get('/staff/audit')).text(), /連鎖は正常/, 'verified only when asked');
    // The table refuses edits; an attacker with the database superuser has to switch that off first.
    await assert.rejects(app.db.query("UPDATE audit_log SET action = 'x' WHERE seq = 2"), /append-only/);
    await app.db.exec('ALTER TABLE audit_log DISABLE TRIGGER USER');
    await app.db.query(`UPDATE audit_log SET data = '{"severity":"SEV4"}'::jsonb WHERE action = 'incident.declare'`);
    await app.db.exec('ALTER TABLE audit_log ENABLE TRIGGER USER');
    const broken = await verifyAudit(app.db);
    assert.equal(broken.ok, false);
    assert.equal(broken.problems[0]?.problem, 'modified');
    const page = await (await commander.get('/staff/audit?verify=1')).text();
    assert.match(page, /監査ログの連鎖に異常があります: #\d+ modified/, 'the console shows the broken chain too');
  });
});

describe('scheduled maintenance', () => {
  test('scheduled → in progress → completed, with components under maintenance meanwhile', async () => {
    const start = new Date(Date.now() + 3600_000);
    const res = await commander.postJson('/staff/maintenances', {
      nameJa: 'ウォレットのメンテナンス', bodyJa: 'BTC の入出金を一時停止します。',
      scheduledFor: start.toISOString(), scheduledUntil: new Date(start.getTime() + 3600_000).toISOString(),
      componentIds: ['btctransfer0'], autoTransition: false,
    });
    assert.equal(res.status, 200);
    const { incidentId } = (await res.json()) as { incidentId: string };
    await app.site.refresh();
    let upcoming = (await getJson('/api/v2/scheduled-maintenances/upcoming.json')).scheduled_maintenances;
    assert.ok(upcoming.some((m: any) => m.id === incidentId));

    assert.equal((await commander.postJson(`/staff/maintenances/${incidentId}/updates`, { status: 'completed', bodyJa: 'x' })).status, 409);
    assert.equal((await commander.postJson(`/staff/maintenances/${incidentId}/updates`, { status: 'in_progress', bodyJa: '開始しました' })).status, 200);
    await app.site.refresh();
    const active = (await getJson('/api/v2/scheduled-maintenances/active.json')).scheduled_maintenances;
    assert.equal(active[0].id, incidentId);
    const summary = await getJson('/api/v2/summary.json');
    assert.equal(summary.components.find((c: any) => c.id === 'btctransfer0').status, 'under_maintenance');
    assert.equal(summary.status.indicator, 'maintenance');
    await validateAll('maintenance in progress');

    assert.equal((await commander.postJson(`/staff/maintenances/${incidentId}/updates`, { status: 'completed', bodyJa: '完了しました' })).status, 200);
    await app.site.refresh();
    upcoming = (await getJson('/api/v2/scheduled-maintenances/active.json')).scheduled_maintenances;
    assert.equal(upcoming.length, 0);
    assert.equal((await getJson('/api/v2/components.json')).components.find((c: any) => c.id === 'btctransfer0').status, 'operational');
    await validateAll('maintenance completed');
  });

  test('a maintenance whose window has come starts and completes by itself', async () => {
    const past = new Date(Date.now() - 60_000);
    const { incidentId } = await app.commands.scheduleMaintenance({ type: 'staff', id: null }, {
      nameJa: '自動メンテナンス', bodyJa: '自動で開始します。', scheduledFor: past.toISOString(),
      scheduledUntil: new Date(Date.now() + 3600_000).toISOString(), componentIds: ['ethtransfer0'],
    });
    const messages = { startedJa: '開始', startedEn: 'started', completedJa: '完了', completedEn: 'done' };
    assert.equal(await app.commands.runMaintenanceSchedule(messages), 1);
    assert.equal(await app.commands.runMaintenanceSchedule(messages), 0, 'running again changes nothing');
    await app.site.refresh();
    const active = (await getJson('/api/v2/scheduled-maintenances/active.json')).scheduled_maintenances;
    assert.ok(active.some((m: any) => m.id === incidentId && m.status === 'in_progress'));
  });
});

describe('staff sign-in', () => {
  test('a wrong password and an unknown address get the same answer', async () => {
    const email = await makeStaff(app.db, 'viewer');
    const attempt = async (e: string) => {
      const res = await fetch(`${app.baseUrl}/staff/login`, {
        method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ email: e, password: 'wrong password here' }),
      });
      return { status: res.status, body: (await res.json()) as { code: string; message: string } };
    };
    const wrong = await attempt(email);
    const unknown = await attempt('nobody@example.com');
    assert.equal(wrong.status, 401);
    assert.deepEqual({ ...wrong.body, requestId: 0 }, { ...unknown.body, requestId: 0 });
  });

  test('the console needs a session, and forms need the CSRF token', async () => {
    const res = await fetch(`${app.baseUrl}/staff`, { redirect: 'manual' });
    assert.equal(res.status, 303);
    assert.match(res.headers.get('location') ?? '', /^\/staff\/login/);
    const noCsrf = await commander.postForm('/staff/components/restapi00000/status', { status: 'major_outage' }, { csrf: false });
    assert.equal(noCsrf.status, 403);
    const components = await getJson('/api/v2/components.json');
    assert.equal(components.components.find((c: any) => c.id === 'restapi00000').status, 'operational');
  });

  test('a session cookie is httpOnly and SameSite', async () => {
    const email = await makeStaff(app.db, 'viewer');
    const res = await fetch(`${app.baseUrl}/staff/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'correct horse battery staple' }),
    });
    const cookie = res.headers.get('set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
  });
});
