/**
 * The support desk's manual "link to incident": a drill's incident (its sandbox, src/drills/) is never offered in
 * the ticket's picker nor in the queue's bulk picker, and linking a ticket to it by hand (a crafted form, a JSON
 * client, the bulk action) is refused with nothing changed. A real open incident is offered and links as before.
 *
 * Run: node --import tsx --test --test-reporter=spec test/desk-incident-picker.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { StaffClient, makeStaff, startApp, type RunningApp } from './support/app.ts';
import { assertRefusedWithoutChange } from './support/refusal.ts';

let app: RunningApp;
let admin: StaffClient;
let realId = '';
let drillIncidentId = '';
let ticketId = '';

/** Everything a refused link could have changed. */
async function linkState(): Promise<string> {
  const rows = await Promise.all([
    app.db.query('SELECT id, incident_id, incident_link, updated_at FROM tickets ORDER BY id'),
    app.db.query('SELECT count(*)::int AS n FROM audit_log'),
  ]);
  return JSON.stringify(rows);
}

before(async () => {
  app = await startApp();
  admin = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
  ({ incidentId: realId } = await app.commands.declareIncident({ type: 'staff', id: null }, {
    type: 'outage', severity: 'SEV2', nameJa: '本番の入金遅延', nameEn: 'Real deposit delay', bodyJa: '調査中です。',
  }));
  const started = await admin.postJson('/staff/drills', { scenario: 'withdrawal-delay', surge: '0', takeovers: '0', monitors: 'false' });
  assert.equal(started.status, 200, await started.clone().text());
  const { drillId } = (await started.json()) as { drillId: string };
  const [row] = await app.db.query<{ id: string }>('SELECT id FROM incidents WHERE drill_id = $1', [drillId]);
  drillIncidentId = row!.id;
  // A ticket the matcher leaves alone (nothing about an outage), so it is linked by hand only.
  ({ ticketId } = await app.desk.submit({ body: '登録メールアドレスを変更したいです。', email: 'picker@example.jp' }, { lang: 'ja', ip: null }));
  await app.db.query('UPDATE tickets SET incident_id = NULL, incident_link = NULL WHERE id = $1', [ticketId]);
});

after(async () => {
  await app?.stop();
});

const options = (html: string) => [...html.matchAll(/<select id="m-incident" name="incident">(.*?)<\/select>/gs)].flatMap((m) => [...m[1]!.matchAll(/value="([0-9a-z]+)"/g)].map((o) => o[1]));

test("the ticket's picker offers the real open incident, never the drill's", async () => {
  const page = await (await admin.get(`/staff/tickets/${ticketId}`)).text();
  assert.deepEqual(options(page), [realId]);
  assert.ok(!page.includes(drillIncidentId), 'the drill incident is nowhere on the ticket page');
});

test("the queue's bulk picker does not offer the drill's incident either", async () => {
  const page = await (await admin.get('/staff/tickets?group=none')).text();
  assert.ok(page.includes(`value="${realId}"`), 'the real incident is offered');
  assert.ok(!page.includes(`value="${drillIncidentId}"`), 'the drill incident is not');
});

test('linking a ticket to the drill incident by hand is refused, nothing changed', async () => {
  await assertRefusedWithoutChange(linkState, () => admin.postJson(`/staff/tickets/${ticketId}/link`, { incident: drillIncidentId }), { status: 404, code: 'NOT_FOUND' });
  await assertRefusedWithoutChange(linkState, () => admin.postForm(`/staff/tickets/${ticketId}/link`, { incident: drillIncidentId }), { status: 404 });
  // The bulk action reports each ticket it could not link back on the queue.
  const before = await linkState();
  const bulk = await admin.postForm('/staff/tickets/bulk', { ids: [ticketId], action: 'link', incident: drillIncidentId });
  assert.equal(bulk.status, 303);
  const back = new URL(bulk.headers.get('location')!, app.baseUrl).searchParams;
  assert.deepEqual([back.get('done'), back.get('failed')], ['0', '1']);
  assert.equal(await linkState(), before, 'nothing linked');
});

test('the real incident links as before', async () => {
  const res = await admin.postForm(`/staff/tickets/${ticketId}/link`, { incident: realId });
  assert.equal(res.status, 303);
  const [row] = await app.db.query<{ incident_id: string; incident_link: string }>('SELECT incident_id, incident_link FROM tickets WHERE id = $1', [ticketId]);
  assert.deepEqual({ ...row }, { incident_id: realId, incident_link: 'staff' });
});
