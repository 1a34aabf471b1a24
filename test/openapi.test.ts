import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { startApp, makeStaff, nextStaffCode, nextStaffFactor, PASSWORD, rememberStaffFactor, StaffClient, type RunningApp } from './support/app.ts';
import { KinkyuError } from '../src/domain/errors.ts';
import { UNLOCK_CHECKLIST } from '../src/protection/emergency-lock.ts';
import { errorMessage } from '../src/web/errors.ts';
import { readdirSync, readFileSync } from 'node:fs';
import { ceremonyOptions, SoftAuthenticator } from './support/soft-authenticator.ts';
import { STATUSPAGE_PATHS, type StatuspageEndpoint } from './support/statuspage-schema.ts';

// ajv and ajv-formats are CommonJS; under ESM the default import may be the module object.
type AjvClass = typeof Ajv2020Module.default;
type AddFormats = typeof addFormatsModule.default;
const Ajv2020: AjvClass = (Ajv2020Module as unknown as { default?: AjvClass }).default ?? (Ajv2020Module as unknown as AjvClass);
const addFormats: AddFormats = (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

interface Operation { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

let app: RunningApp;
let staff: StaffClient;
let doc: OpenApiDocument;
let drillId: string;
let incidentId: string;
/** What earlier requests created, for the paths of later ones. */
const created: {
  monitorId?: string; ticketId?: string; updateId?: string; maintenanceId?: string; maintenanceUpdateId?: string; noticeId?: string; taskId?: string; templateId?: string; actionId?: string;
} = {};
/** A resolved incident, for the review's postmortem. */
let resolvedId: string;
let staffId: string;
/** An exchange account for the protection console, and a second member (an unlock needs four eyes). */
const account = { id: '', email: `openapi-${Date.now()}@example.jp`, requestId: '' };
/** What the account's compromise window added (before the lock): an address, an e-mail change; a detection alert. */
const takeover = { addressId: '', emailEventId: '', alertId: `openapialert${Date.now()}` };
let approver: StaffClient;
/** Signing in through the JSON API step by step: a new member (enrols an authenticator), an enrolled one (a code). */
const signIn = { newEmail: '', cookie: '', csrf: '', enrolledEmail: '', enrolledCookie: '', enrolledCsrf: '', passkeyId: '' };
/** A new member whose first factor is a passkey (enrolled, then used to sign in again). */
const passkeyMember = { email: '', key: null as SoftAuthenticator | null };
/** The password step, then the HTML page (enrolment or factor) whose WebAuthn options the authenticator answers. */
async function passwordThenPage(email: string, page: string): Promise<{ cookie: string; csrf: string; options: ReturnType<typeof ceremonyOptions> }> {
  const res = await loginJson(email);
  assert.equal(res.status, 200);
  const [cookie, csrf] = [cookiesOf(res), ((await res.json()) as { csrfToken: string }).csrfToken];
  const html = await (await fetch(app.baseUrl + page, { headers: { cookie } })).text();
  return { cookie, csrf, options: ceremonyOptions(html) };
}
const loginJson = (email: string) => fetch(`${app.baseUrl}/staff/login`, {
  method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }),
});
const cookiesOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
const stepJson = (path: string, cookie: string, csrf: string, body: unknown) => fetch(app.baseUrl + path, {
  method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', cookie, 'x-csrf-token': csrf }, body: JSON.stringify(body),
});
/** Team: a member made by the API, and two enrolled members whose second factors are reset (approved, cancelled). */
const team = { memberId: '', resetIds: [] as string[], requestIds: [] as string[] };
const staffIdOf = async (email: string) => (await app.db.query<{ id: string }>('SELECT id FROM staff WHERE email = $1', [email]))[0]!.id;
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
/** A subscription (pending confirmation) made through the public form; its id. */
async function subscriber(label: string, address = `openapi-${label}-${Date.now()}@example.jp`): Promise<string> {
  const components = app.site.current()!.components.filter((c) => !c.isGroup).map((c) => c.id);
  const form = new URLSearchParams({ channel: 'email', email: address, lang: 'ja' });
  for (const id of components) form.append('components', id);
  const res = await fetch(`${app.baseUrl}/subscribe`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  assert.equal(res.status, 200);
  return (await app.db.query<{ id: string }>('SELECT id FROM subscribers WHERE target_key = $1', [address]))[0]!.id;
}
const article = (slug: string) => ({ slug, lang: 'ja', category: 'trading', title: '出金が遅れるとき', body: '## 確認すること\n\n出金履歴をご確認ください。', keywords: ['出金'], publish: true });
/** The obligation the facts opened on the first incident. */
const obligationId = async () => ((await (await staffJson(`/staff/incidents/${incidentId}/regulator`)).json()) as { obligations: { id: string }[] }).obligations[0]!.id;
/** A monitor's open proposal, as the runner writes one after failed checks (declare), or after recovery (resolve). */
async function proposal(kind: 'declare' | 'resolve', incident: string | null = null): Promise<string> {
  const id = `openapi-proposal-${kind}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  await app.db.query(
    `INSERT INTO monitor_proposals (id, monitor_name, kind, component_statuses, title_ja, title_en, body_ja, body_en, detail, incident_id, created_at)
     VALUES ($1, 'REST API', $2, '{"restapi00000":"major_outage"}', 'REST API の障害', 'REST API outage', '調査中です。', 'Investigating.', 'HTTP 503', $3, now())`,
    [id, kind, incident],
  );
  return id;
}
/** Off: nothing is checked while the test runs. */
const monitor = { name: 'REST API', kind: 'http', config: { url: 'http://127.0.0.1:9/health' }, intervalS: 60, timeoutMs: 2000, failThreshold: 1, recoverThreshold: 1, componentIds: ['restapi00000'], enabled: false };
const notice = { titleJa: '手数料の改定', changesJa: '出金手数料を変更します。', actionJa: 'ご対応は不要です。', effectiveFrom: inDays(30) };

before(async () => {
  app = await startApp();
  staff = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
  ({ incidentId } = await app.commands.declareIncident({ type: 'staff', id: null }, {
    type: 'outage', severity: 'SEV3', nameJa: 'テスト障害', bodyJa: '調査中です。', componentStatuses: { websocket000: 'degraded_performance' },
  }));
  ({ incidentId: resolvedId } = await app.commands.declareIncident({ type: 'staff', id: null }, { type: 'outage', severity: 'SEV4', nameJa: '解消済みの障害', bodyJa: '調査中です。' }));
  await app.commands.postUpdate({ type: 'staff', id: null }, resolvedId, { status: 'resolved', bodyJa: '復旧しました。' });
  staffId = await staffIdOf(staff.email!);
  account.id = await app.referenceStore!.createAccount(account.email);
  takeover.addressId = await app.referenceStore!.addWithdrawalAddress(account.id, { asset: 'BTC', address: `bc1qopenapi${Date.now()}`, holdMs: 86_400_000 });
  const attacker = `attacker-${Date.now()}@evil.example`;
  await app.referenceStore!.changeEmail(account.id, attacker);
  takeover.emailEventId = (await app.db.query<{ id: string }>(
    `INSERT INTO account_events (account_id, kind, at, ip, data) VALUES ($1, 'email_changed', $2, '198.51.100.7', $3::jsonb) RETURNING id::text AS id`,
    [account.id, new Date(Date.now() - 600_000), JSON.stringify({ from: account.email, to: attacker })],
  ))[0]!.id;
  await app.db.query(`INSERT INTO security_alerts (id, account_id, ip, rules, score, evidence, actions) VALUES ($1, $2, '198.51.100.7', '["new_device"]', 60, '{}', '[]')`, [takeover.alertId, account.id]);
  approver = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
  signIn.newEmail = await makeStaff(app.db, 'agent', { enrolled: false });
  signIn.enrolledEmail = await makeStaff(app.db, 'agent');
  team.resetIds = [await staffIdOf(await makeStaff(app.db, 'agent')), await staffIdOf(await makeStaff(app.db, 'viewer'))];
  await app.site.refresh();
  const res = await fetch(`${app.baseUrl}/api/openapi.json`);
  assert.equal(res.status, 200);
  doc = (await res.json()) as OpenApiDocument;
});
after(async () => app.stop());

const staffJson = (path: string) =>
  fetch(app.baseUrl + path, { headers: { cookie: staff.cookie, accept: 'application/json' }, redirect: 'manual' });

/**
 * A real request for every operation the document lists ("METHOD /path/{param}"). An operation in the document
 * without an entry here fails the test: nothing is described that is not exercised.
 */
const exercises: Record<string, () => Promise<Response>> = {
  'POST /staff/drills': () => staff.postJson('/staff/drills', { scenario: 'outage', surge: 2, takeovers: 1, monitors: false }),
  'GET /staff/drills': () => staffJson('/staff/drills'),
  'POST /staff/drills/recipients': async () => {
    await subscriber('drill', 'openapi-drill@example.jp');
    return staff.postJson('/staff/drills/recipients', { recipient: 'openapi-drill@example.jp' });
  },
  'POST /staff/drills/recipients/remove': () => staff.postJson('/staff/drills/recipients/remove', { recipient: 'openapi-drill@example.jp' }),
  'POST /staff/drills/{id}/run': () => staff.postJson(`/staff/drills/${drillId}/run`, {}),
  'POST /staff/drills/{id}/finish': () => staff.postJson(`/staff/drills/${drillId}/finish`, {}),
  'GET /staff/drills/{id}': () => staffJson(`/staff/drills/${drillId}`),
  'GET /staff/drills/{id}/report': () => staffJson(`/staff/drills/${drillId}/report`),
  'GET /staff/regulator': () => staffJson('/staff/regulator'),
  'POST /staff/incidents/{id}/regulator/facts': () => staff.postJson(`/staff/incidents/${incidentId}/regulator/facts`, {
    awareAt: new Date(Date.now() - 3_600_000).toISOString(), personalData: true, wrongfulAct: true, usersAffected: '120', dataItems: 'メールアドレス',
  }),
  'POST /staff/regulator/obligations/{oid}/owner': async () => staff.postJson(`/staff/regulator/obligations/${await obligationId()}/owner`, { ownerId: staffId }),
  'POST /staff/regulator/obligations/{oid}/stages/{sid}': async () => staff.postJson(`/staff/regulator/obligations/${await obligationId()}/stages/preliminary`, { done: true, reference: 'PPC-2026-001' }),
  'GET /staff/regulator/obligations/{oid}/draft': async () => staffJson(`/staff/regulator/obligations/${await obligationId()}/draft?stage=preliminary`),
  'GET /staff/incidents/{id}/regulator': () => staffJson(`/staff/incidents/${incidentId}/regulator`),
  'GET /staff/tickets': () => staffJson('/staff/tickets'),
  'POST /staff/incidents': () => staff.postJson('/staff/incidents', { type: 'outage', severity: 'SEV4', nameJa: '２件目の障害', bodyJa: '調査中です。' }),
  'POST /staff/incidents/{id}/updates': () => staff.postJson(`/staff/incidents/${incidentId}/updates`, { status: 'identified', bodyJa: '原因を特定しました。', componentStatuses: { websocket000: 'partial_outage' } }),
  'POST /staff/incidents/{id}/updates/{updateId}/edit': () => staff.postJson(`/staff/incidents/${incidentId}/updates/${created.updateId}/edit`, { bodyJa: '原因を特定しました (訂正)。' }),
  'POST /staff/maintenances': () => staff.postJson('/staff/maintenances', {
    nameJa: '定期メンテナンス', bodyJa: '作業を予定しています。', componentIds: ['restapi00000'],
    scheduledFor: new Date(Date.now() + 86_400_000).toISOString(), scheduledUntil: new Date(Date.now() + 90_000_000).toISOString(),
  }),
  'POST /staff/maintenances/{id}/updates': () => staff.postJson(`/staff/maintenances/${created.maintenanceId}/updates`, { bodyJa: '予定どおり実施します。' }),
  'POST /staff/maintenances/{id}/updates/{updateId}/edit': () => staff.postJson(`/staff/maintenances/${created.maintenanceId}/updates/${created.maintenanceUpdateId}/edit`, { bodyJa: '予定どおり実施します (訂正)。' }),
  'GET /staff': () => staffJson('/staff'),
  'GET /staff/tickets/{id}': async () => {
    const filed = await fetch(`${app.baseUrl}/contact`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ body: '出金が反映されません。', email: 'user@example.jp' }),
    });
    created.ticketId = ((await filed.json()) as { ticketId: string }).ticketId;
    return staffJson(`/staff/tickets/${created.ticketId}`);
  },
  'POST /staff/tickets/{id}/notes': () => staff.postJson(`/staff/tickets/${created.ticketId}/notes`, { body: '確認中です。' }),
  'POST /staff/tickets/{id}/reply': () => staff.postJson(`/staff/tickets/${created.ticketId}/reply`, { body: 'お問い合わせありがとうございます。' }),
  'GET /staff/incidents/{id}/room': () => staffJson(`/staff/incidents/${incidentId}/room`),
  'GET /staff/update-templates': () => staffJson('/staff/update-templates'),
  'POST /staff/notices': () => staff.postJson('/staff/notices', notice),
  'POST /staff/notices/{id}': () => staff.postJson(`/staff/notices/${created.noticeId}`, { ...notice, titleEn: 'Fee change' }),
  'POST /staff/notices/{id}/withdraw': async () => {
    assert.equal((await staff.postJson(`/staff/notices/${created.noticeId}/publish`, {})).status, 200);
    return staff.postJson(`/staff/notices/${created.noticeId}/withdraw`, { reason: '誤りがありました。' });
  },
  'POST /staff/terms': () => staff.postJson('/staff/terms', { label: 'openapi-1', effectiveFrom: inDays(60), bodyJa: '# 利用規約\n\n第1条', summaryJa: '第1条を改定します。' }),
  'POST /staff/notices/{id}/publish': async () => {
    const draft = await staff.postJson('/staff/notices', { ...notice, titleJa: '公開する下書き' });
    assert.equal(draft.status, 200);
    return staff.postJson(`/staff/notices/${((await draft.json()) as { id: string }).id}/publish`, {});
  },
  'POST /staff/terms/{label}': async () => {
    const terms = { label: 'openapi-2', effectiveFrom: inDays(60), bodyJa: '# 利用規約\n\n第2条', summaryJa: '第2条を改定します。' };
    assert.equal((await staff.postJson('/staff/terms', terms)).status, 200);
    return staff.postJson('/staff/terms/openapi-2', { ...terms, summaryJa: '第2条の文言を改めます。' });
  },
  'POST /staff/terms/{label}/publish': async () => {
    assert.equal((await staff.postJson('/staff/terms', { label: 'openapi-3', effectiveFrom: inDays(60), bodyJa: '# 利用規約\n\n第3条', summaryJa: '第3条を改定します。' })).status, 200);
    return staff.postJson('/staff/terms/openapi-3/publish', {});
  },
  'POST /staff/tickets/{id}/assign': () => staff.postJson(`/staff/tickets/${created.ticketId}/assign`, { assignee: staffId }),
  'POST /staff/tickets/{id}/status': () => staff.postJson(`/staff/tickets/${created.ticketId}/status`, { status: 'open' }),
  'POST /staff/tickets/{id}/triage': () => staff.postJson(`/staff/tickets/${created.ticketId}/triage`, { type: 'trading', priority: 'high', note: '出金の遅延' }),
  'POST /staff/tickets/{id}/request-info': () => staff.postJson(`/staff/tickets/${created.ticketId}/request-info`, { items: ['transaction_id'], body: 'お手数ですがお知らせください。' }),
  'POST /staff/tickets/{id}/checklist': () => staff.postJson(`/staff/tickets/${created.ticketId}/checklist`, { item: 'transaction_id', received: true }),
  'POST /staff/tickets/{id}/link': () => staff.postJson(`/staff/tickets/${created.ticketId}/link`, { incident: incidentId }),
  'POST /staff/incidents/{id}/tickets/reply': () => staff.postJson(`/staff/incidents/${incidentId}/tickets/reply`, { body: '復旧に向けて対応しています。', key: 'openapi-linked-reply-0001' }),
  'POST /staff/tickets/{id}/unlink': () => staff.postJson(`/staff/tickets/${created.ticketId}/unlink`, {}),
  'POST /staff/tickets/bulk': () => staff.postJson('/staff/tickets/bulk', { ids: [created.ticketId], action: 'assign', assignee: 'none' }),
  'POST /staff/triage/retrain': () => staff.postJson('/staff/triage/retrain', {}),
  'GET /staff/accounts': () => staffJson(`/staff/accounts?q=${encodeURIComponent(account.email)}`),
  'GET /staff/accounts/{id}': () => staffJson(`/staff/accounts/${account.id}`),
  'POST /staff/accounts/{id}/lock': () => staff.postJson(`/staff/accounts/${account.id}/lock`, { reason: '本人から乗っ取りの申告' }),
  'POST /staff/accounts/{id}/unlock-requests': () => staff.postJson(`/staff/accounts/${account.id}/unlock-requests`, { checklist: [...UNLOCK_CHECKLIST], note: '書類とセルフィーを確認' }),
  'POST /staff/accounts/{id}/unlock-requests/{requestId}/approve': () => approver.postJson(`/staff/accounts/${account.id}/unlock-requests/${account.requestId}/approve`, {}),
  'POST /staff/login': async () => {
    const enrolled = await loginJson(signIn.enrolledEmail);
    assert.equal(enrolled.status, 200);
    [signIn.enrolledCookie, signIn.enrolledCsrf] = [cookiesOf(enrolled), ((await enrolled.json()) as { csrfToken: string }).csrfToken];
    const res = await loginJson(signIn.newEmail);
    [signIn.cookie, signIn.csrf] = [cookiesOf(res), ((await res.clone().json()) as { csrfToken: string }).csrfToken];
    return res;
  },
  'POST /staff/login/factor': async () => stepJson('/staff/login/factor', signIn.enrolledCookie, signIn.enrolledCsrf, await nextStaffFactor(signIn.enrolledEmail, app.baseUrl)),
  'GET /staff/mfa/enrol': async () => {
    const res = await fetch(`${app.baseUrl}/staff/mfa/enrol`, { headers: { accept: 'application/json', cookie: signIn.cookie } });
    rememberStaffFactor(signIn.newEmail, ((await res.clone().json()) as { secret: string }).secret);
    return res;
  },
  'POST /staff/mfa/enrol': async () => stepJson('/staff/mfa/enrol', signIn.cookie, signIn.csrf, { code: await nextStaffCode(signIn.newEmail, app.baseUrl) }),
  'GET /staff/mfa': () => staffJson('/staff/mfa'),
  // A member of its own: the codes the test helpers know for `staff` stay valid.
  'POST /staff/mfa/recovery-codes': async () => (await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'viewer'))).postJson('/staff/mfa/recovery-codes', {}),
  'POST /staff/mfa/enrol/passkey': async () => {
    passkeyMember.email = await makeStaff(app.db, 'agent', { enrolled: false });
    passkeyMember.key = new SoftAuthenticator(app.baseUrl);
    const { cookie, csrf, options } = await passwordThenPage(passkeyMember.email, '/staff/mfa/enrol');
    return stepJson('/staff/mfa/enrol/passkey', cookie, csrf, { name: '業務用ノートPC', response: passkeyMember.key.create(options) });
  },
  'POST /staff/login/factor/passkey': async () => {
    const { cookie, csrf, options } = await passwordThenPage(passkeyMember.email, '/staff/login/factor');
    return stepJson('/staff/login/factor/passkey', cookie, csrf, { response: passkeyMember.key!.get(options) });
  },
  'POST /staff/mfa/passkeys/new': () => staff.postJson('/staff/mfa/passkeys/new', { name: 'MacBook' }),
  'POST /staff/mfa/passkeys/register': async () => {
    const { name, options } = (await (await staff.postJson('/staff/mfa/passkeys/new', { name: 'YubiKey' })).json()) as { name: string; options: Parameters<SoftAuthenticator['create']>[0] };
    const res = await staff.postJson('/staff/mfa/passkeys/register', { name, response: new SoftAuthenticator(app.baseUrl).create(options) });
    signIn.passkeyId = ((await res.clone().json()) as { id: string }).id;
    return res;
  },
  'POST /staff/mfa/passkeys/remove': () => staff.postJson('/staff/mfa/passkeys/remove', { id: signIn.passkeyId }),
  'GET /staff/security/alerts': () => staffJson('/staff/security/alerts?status=all'),
  'GET /staff/security/alerts/{id}': () => staffJson(`/staff/security/alerts/${takeover.alertId}`),
  'POST /staff/security/alerts/{id}/acknowledge': () => staff.postJson(`/staff/security/alerts/${takeover.alertId}/acknowledge`, {}),
  'POST /staff/accounts/{id}/recovery/window': () => staff.postJson(`/staff/accounts/${account.id}/recovery/window`, { windowStart: new Date(Date.now() - 3_600_000).toISOString(), windowReason: '不審なログインの直前から' }),
  'POST /staff/accounts/{id}/recovery/remove': () => staff.postJson(`/staff/accounts/${account.id}/recovery/remove`, { kind: 'withdrawal_address', id: takeover.addressId }),
  'POST /staff/accounts/{id}/recovery/restore-email': () => staff.postJson(`/staff/accounts/${account.id}/recovery/restore-email`, { id: takeover.emailEventId }),
  'POST /staff/team': () => staff.postJson('/staff/team', { email: `member-${Date.now()}@example.com`, name: '新しい担当者', role: 'agent' }),
  'POST /staff/team/{id}/role': () => staff.postJson(`/staff/team/${team.memberId}/role`, { role: 'viewer' }),
  'POST /staff/team/{id}/disable': () => staff.postJson(`/staff/team/${team.memberId}/disable`, {}),
  'POST /staff/team/{id}/enable': () => staff.postJson(`/staff/team/${team.memberId}/enable`, {}),
  'POST /staff/team/{id}/password': () => staff.postJson(`/staff/team/${team.memberId}/password`, {}),
  'POST /staff/team/{id}/factor-reset': async () => {
    const first = await staff.postJson(`/staff/team/${team.resetIds[1]}/factor-reset`, { reason: '端末を紛失' });
    assert.equal(first.status, 200);
    team.requestIds[1] = ((await first.json()) as { requestId: string }).requestId;
    return staff.postJson(`/staff/team/${team.resetIds[0]}/factor-reset`, { reason: '端末を紛失' });
  },
  'POST /staff/team/factor-resets/{requestId}/approve': () => approver.postJson(`/staff/team/factor-resets/${team.requestIds[0]}/approve`, {}),
  'POST /staff/team/factor-resets/{requestId}/cancel': () => staff.postJson(`/staff/team/factor-resets/${team.requestIds[1]}/cancel`, {}),
  'POST /staff/monitors': () => staff.postJson('/staff/monitors', monitor),
  'POST /staff/monitors/{id}': () => staff.postJson(`/staff/monitors/${created.monitorId}`, { ...monitor, name: 'REST API (確認用)' }),
  'POST /staff/monitors/{id}/enabled': () => staff.postJson(`/staff/monitors/${created.monitorId}/enabled`, { enabled: false }),
  'POST /staff/monitors/{id}/delete': () => staff.postJson(`/staff/monitors/${created.monitorId}/delete`, {}),
  'POST /staff/monitor-proposals/{id}/publish': async () => staff.postJson(`/staff/monitor-proposals/${await proposal('declare')}/publish`, { titleJa: 'REST API の障害 (確認中)' }),
  'POST /staff/monitor-proposals/{id}/resolve': async () => staff.postJson(`/staff/monitor-proposals/${await proposal('resolve', resolvedId)}/resolve`, {}),
  'POST /staff/monitor-proposals/{id}/dismiss': async () => staff.postJson(`/staff/monitor-proposals/${await proposal('declare')}/dismiss`, {}),
  'GET /staff/subscribers': () => staffJson('/staff/subscribers'),
  'POST /staff/subscribers/{id}/disable': async () => staff.postJson(`/staff/subscribers/${await subscriber('disable')}/disable`, { reason: '配信エラーが続く' }),
  'POST /staff/subscribers/{id}/erase': async () => staff.postJson(`/staff/subscribers/${await subscriber('erase')}/erase`, {}),
  'GET /staff/kb': () => staffJson('/staff/kb'),
  'POST /staff/kb': () => staff.postJson('/staff/kb', article('openapi-kb')),
  'GET /staff/kb/{slug}': () => staffJson('/staff/kb/openapi-kb'),
  'POST /staff/kb/{slug}': () => staff.postJson('/staff/kb/openapi-kb', { ...article('openapi-kb'), title: '出金が遅れるとき (改訂)', baseVersion: 1 }),
  'POST /staff/kb/{slug}/withdraw': async () => {
    assert.equal((await staff.postJson('/staff/kb', article('openapi-kb-old'))).status, 200);
    return staff.postJson('/staff/kb/openapi-kb-old/withdraw', { confirm: 'yes' });
  },
  'GET /staff/kb/{slug}/versions': () => staffJson('/staff/kb/openapi-kb/versions'),
  'GET /staff/kb/{slug}/versions/{lang}/{version}': () => staffJson('/staff/kb/openapi-kb/versions/ja/1'),
  'POST /staff/kb/{slug}/versions/{lang}/{version}/republish': () => staff.postJson('/staff/kb/openapi-kb/versions/ja/1/republish', {}),
  'POST /staff/incidents/{id}/room/roles': () => staff.postJson(`/staff/incidents/${incidentId}/room/roles`, { role: 'commander', staffId }),
  'POST /staff/incidents/{id}/room/roles/release': async () => {
    const room = (await (await staffJson(`/staff/incidents/${incidentId}/room`)).json()) as { assignments: { id: string; role: string }[] };
    return staff.postJson(`/staff/incidents/${incidentId}/room/roles/release`, { assignmentId: room.assignments.find((a) => a.role === 'commander')!.id });
  },
  'POST /staff/incidents/{id}/room/tasks': () => staff.postJson(`/staff/incidents/${incidentId}/room/tasks`, { titleJa: '影響範囲の確認', owner: 'role:commander' }),
  'POST /staff/incidents/{id}/room/tasks/{taskId}': () => staff.postJson(`/staff/incidents/${incidentId}/room/tasks/${created.taskId}`, { titleJa: '影響範囲の確認 (全ペア)', titleEn: 'Check the impact' }),
  'POST /staff/incidents/{id}/room/tasks/{taskId}/done': () => staff.postJson(`/staff/incidents/${incidentId}/room/tasks/${created.taskId}/done`, { done: true }),
  'POST /staff/incidents/{id}/room/compose': () => staff.postJson(`/staff/incidents/${incidentId}/room/compose`, { intent: 'preview', bodyJa: '引き続き調査しています。' }),
  'POST /staff/update-templates': () => staff.postJson('/staff/update-templates', { nameJa: '調査継続', status: 'investigating', bodyJa: '引き続き調査しています。' }),
  'GET /staff/update-templates/{id}': () => staffJson(`/staff/update-templates/${created.templateId}`),
  'POST /staff/update-templates/{id}': () => staff.postJson(`/staff/update-templates/${created.templateId}`, { nameJa: '調査継続', bodyJa: '引き続き調査しています。', bodyEn: 'We are still investigating.' }),
  'POST /staff/update-templates/{id}/archive': () => staff.postJson(`/staff/update-templates/${created.templateId}/archive`, { archived: 'true' }),
  'GET /staff/incidents/{id}/review': () => staffJson(`/staff/incidents/${resolvedId}/review`),
  'POST /staff/incidents/{id}/review': async () => {
    const { sections } = (await (await staffJson(`/staff/incidents/${resolvedId}/review`)).json()) as { sections: { version: number } };
    return staff.postJson(`/staff/incidents/${resolvedId}/review`, { cause: '設定の誤り', wentWell: '検知が早かった', version: sections.version });
  },
  'POST /staff/incidents/{id}/review/actions': () => staff.postJson(`/staff/incidents/${resolvedId}/review/actions`, { title: '設定の確認手順を追加', dueOn: inDays(14) }),
  'POST /staff/incidents/{id}/review/actions/{actionId}': () => staff.postJson(`/staff/incidents/${resolvedId}/review/actions/${created.actionId}`, { done: true }),
  'POST /staff/incidents/{id}/review/postmortem/draft': () => staff.postJson(`/staff/incidents/${resolvedId}/review/postmortem/draft`, { bodyJa: '# 事後報告\n\n下書き', bodyEn: '' }),
  'POST /staff/incidents/{id}/review/postmortem/ignore': () => staff.postJson(`/staff/incidents/${resolvedId}/review/postmortem/ignore`, { ignored: 'true' }),
  'POST /staff/incidents/{id}/review/postmortem': () => staff.postJson(`/staff/incidents/${resolvedId}/review/postmortem`, { bodyJa: '# 事後報告\n\n設定の誤りでした。', notify: false }),
  'POST /staff/incidents/{id}/review/postmortem/edit': () => staff.postJson(`/staff/incidents/${resolvedId}/review/postmortem/edit`, { bodyJa: '# 事後報告\n\n設定の誤りでした (訂正)。' }),
  'POST /staff/components/{id}/status': () => staff.postJson('/staff/components/restapi00000/status', { status: 'degraded_performance' }),
};
for (const path of ['summary', 'status', 'components', 'incidents', 'incidents/unresolved', 'scheduled-maintenances', 'scheduled-maintenances/active', 'scheduled-maintenances/upcoming']) {
  exercises[`GET /api/v2/${path}.json`] = () => fetch(`${app.baseUrl}/api/v2/${path}.json`);
}
/** Operations that create what later ones use run first, in this order. */
const FIRST = [
  'POST /staff/login', 'POST /staff/login/factor', 'GET /staff/mfa/enrol', 'POST /staff/mfa/enrol', 'POST /staff/mfa/enrol/passkey', 'POST /staff/mfa/passkeys/register',
  'POST /staff/drills', 'POST /staff/incidents/{id}/updates', 'POST /staff/maintenances', 'POST /staff/maintenances/{id}/updates',
  'POST /staff/notices', 'POST /staff/notices/{id}', 'GET /staff/tickets/{id}',
  'POST /staff/tickets/{id}/link', 'POST /staff/incidents/{id}/tickets/reply',
  'POST /staff/accounts/{id}/lock', 'POST /staff/accounts/{id}/recovery/window', 'POST /staff/accounts/{id}/recovery/remove',
  'POST /staff/accounts/{id}/recovery/restore-email', 'POST /staff/accounts/{id}/unlock-requests', 'POST /staff/team', 'POST /staff/team/{id}/factor-reset', 'POST /staff/monitors', 'POST /staff/kb', 'POST /staff/drills/recipients', 'POST /staff/incidents/{id}/regulator/facts',
  'POST /staff/incidents/{id}/room/roles', 'POST /staff/incidents/{id}/room/tasks', 'POST /staff/update-templates', 'POST /staff/incidents/{id}/review/actions',
  'POST /staff/incidents/{id}/review/postmortem/ignore', 'POST /staff/incidents/{id}/review/postmortem',
];
const rank = (key: string) => (FIRST.includes(key) ? FIRST.indexOf(key) : FIRST.length);

describe('GET /api/openapi.json', () => {
  test('is public, cacheable JSON', async () => {
    const res = await fetch(`${app.baseUrl}/api/openapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.match(res.headers.get('cache-control') ?? '', /public/);
    assert.equal(res.headers.get('set-cookie'), null);
  });

  test('is a valid OpenAPI 3.1 document', async () => {
    assert.equal(doc.openapi, '3.1.0');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Parameters<Validator['validate']>[0]);
    assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
  });

  test('describes every Statuspage path, and no HTML-only route', () => {
    for (const path of Object.keys(exercises).filter((k) => k.includes('/api/v2/'))) {
      assert.ok(doc.paths[path.slice(4)]?.get, `${path} is described`);
    }
    for (const htmlOnly of ['/staff/drills/{id}/preview', '/contact', '/']) assert.equal(doc.paths[htmlOnly], undefined, htmlOnly);
    assert.equal(doc.paths['/staff/login']?.get, undefined, 'the sign-in page');
  });

  test('every JSON operation answers a real request as the document says', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, operation })));
    const missing = operations.map((o) => o.key).filter((key) => !exercises[key]);
    assert.deepEqual(missing, [], 'every operation in the document has a real request in this test');
    assert.deepEqual(Object.keys(exercises).filter((key) => !operations.some((o) => o.key === key)), [], 'every request here is for an operation in the document');
    operations.sort((a, b) => rank(a.key) - rank(b.key));
    for (const { key, operation } of operations) {
      const res = await exercises[key]!();
      const body: unknown = await res.json();
      assert.ok(res.status >= 200 && res.status < 300, `${key}: ${res.status} ${JSON.stringify(body)}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/, key);
      const result = body as { drillId?: string; updateId?: string; incidentId?: string; taskId?: string; templateId?: string; actionId?: string; requestId?: string };
      if (key === 'POST /staff/monitors') created.monitorId = (body as { id: string }).id;
      if (key === 'POST /staff/team') team.memberId = (body as { id: string }).id;
      if (key === 'POST /staff/team/{id}/factor-reset') team.requestIds[0] = result.requestId!;
      if (key === 'POST /staff/accounts/{id}/unlock-requests') account.requestId = result.requestId!;
      if (key === 'POST /staff/drills') drillId = result.drillId!;
      if (key === 'POST /staff/incidents/{id}/updates') created.updateId = result.updateId;
      if (key === 'POST /staff/maintenances') created.maintenanceId = result.incidentId;
      if (key === 'POST /staff/maintenances/{id}/updates') created.maintenanceUpdateId = result.updateId;
      if (key === 'POST /staff/incidents/{id}/room/tasks') created.taskId = result.taskId;
      if (key === 'POST /staff/update-templates') created.templateId = result.templateId;
      if (key === 'POST /staff/incidents/{id}/review/actions') created.actionId = result.actionId;
      if (key === 'POST /staff/notices') created.noticeId = (body as { id: string }).id;
      const schema = operation.responses?.[String(res.status)]?.content?.['application/json']?.schema;
      assert.ok(schema, `${key} documents its ${res.status} answer`);
      // The references (#/components/schemas/…) resolve inside the schema's own root.
      const validate = ajv.compile({ ...(schema as object), components: doc.components });
      assert.ok(validate(body), `${key}: ${ajv.errorsText(validate.errors)}`);
    }
  });
});

test('the Statuspage examples (test/schemas/statuspage-examples) fit the document\'s response schemas', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const dir = new URL('./schemas/statuspage-examples/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 8);
  for (const file of files) {
    const path = STATUSPAGE_PATHS[file.split('.')[0] as StatuspageEndpoint];
    const schema = doc.paths[path]?.get?.responses?.['200']?.content?.['application/json']?.schema;
    assert.ok(schema, `${file}: ${path} is described`);
    const validate = ajv.compile({ ...(schema as object), components: doc.components });
    assert.ok(validate(JSON.parse(readFileSync(new URL(file, dir), 'utf8'))), `${file}: ${ajv.errorsText(validate.errors)}`);
  }
});

describe('refused bodies keep the clear error they had', () => {
  const expectRefusal = async (res: Response, err: KinkyuError, scope: string | undefined, lang: 'ja' | 'en') => {
    const body = (await res.json()) as { code: string; message: string };
    assert.equal(res.status, err.httpStatus);
    assert.equal(body.code, err.code);
    assert.equal(body.message, errorMessage(lang, err, scope));
  };

  test('a staff JSON route: a missing choice, a body that is not an object, a wrong type', async () => {
    const required = new KinkyuError('VALIDATION', { field: 'scenario', rule: 'required' });
    await expectRefusal(await staff.postJson('/staff/drills', { surge: 1 }), required, 'drill', 'ja');
    await expectRefusal(await staff.postJson('/staff/drills', { surge: 1 }, { 'accept-language': 'en' }), required, 'drill', 'en');
    await expectRefusal(await staff.postJson('/staff/drills', '[1]'), required, 'drill', 'ja');
    const unknown = new KinkyuError('VALIDATION', { field: 'scenario', rule: 'unknown_scenario', value: 'meteor', scenarios: 'outage, takeover, withdrawal-delay, regulatory' });
    await expectRefusal(await staff.postJson('/staff/drills', { scenario: 'meteor' }), unknown, 'drill', 'ja');
    await expectRefusal(await staff.postJson('/staff/drills', { scenario: 'outage', surge: { n: 1 } }), new KinkyuError('VALIDATION', { field: 'surge', rule: 'object' }), 'drill', 'ja');
  });

  test('a notice: the text rules shared by the schema and the parser, the markup rule after them', async () => {
    const base = { titleJa: '手数料の改定', changesJa: '変更します。', actionJa: '不要です。', effectiveFrom: inDays(30) };
    await expectRefusal(await staff.postJson('/staff/notices', { ...base, titleJa: '　' }), new KinkyuError('VALIDATION', { field: 'titleJa', rule: 'required' }), 'notices', 'ja');
    await expectRefusal(await staff.postJson('/staff/notices', { ...base, changesJa: 'x'.repeat(5001) }, { 'accept-language': 'en' }), new KinkyuError('VALIDATION', { field: 'changesJa', rule: 'max', max: '5000' }), 'notices', 'en');
    await expectRefusal(await staff.postJson('/staff/notices', { ...base, titleJa: '<b>重要</b>' }), new KinkyuError('VALIDATION', { field: 'titleJa', rule: 'notices_markup' }), 'notices', 'ja');
    const form = await staff.postForm('/staff/notices', { ...base, actionJa: '' });
    assert.equal(form.status, 400);
    const page = await form.text();
    assert.ok(page.includes(errorMessage('ja', new KinkyuError('VALIDATION', { field: 'actionJa', rule: 'required' }), 'notices')), 'the form again, with the message');
    assert.ok(page.includes('手数料の改定'), 'and what was typed');
  });

  test('a staff route checks the session before the body', async () => {
    const res = await fetch(`${app.baseUrl}/staff/drills`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: '[1]' });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { code: string }).code, 'UNAUTHENTICATED');
  });

  test('the contact form: Japanese text rules, in JSON and as the form again', async () => {
    const post = (payload: unknown, lang = 'ja') => fetch(`${app.baseUrl}/contact`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', 'accept-language': lang }, body: JSON.stringify(payload),
    });
    const email = 'user@example.jp';
    await expectRefusal(await post({ body: '   ', email }), new KinkyuError('VALIDATION', { field: 'message', rule: 'required' }), undefined, 'ja');
    await expectRefusal(await post({ body: 'x'.repeat(20_001), email }, 'en'), new KinkyuError('VALIDATION', { field: 'message', rule: 'max', max: '20000' }), undefined, 'en');
    await expectRefusal(await post({ body: ['x'], email }), new KinkyuError('VALIDATION', { field: 'message', rule: 'text' }), undefined, 'ja');
    await expectRefusal(await post({ body: '出金できません', email: 'not an address' }), new KinkyuError('VALIDATION', { field: 'email', rule: 'email' }), undefined, 'ja');
    await expectRefusal(await post({ body: '出金できません', email, category: 'alien' }), new KinkyuError('VALIDATION', { field: 'category', rule: 'enum' }), undefined, 'ja');
    // Full-width digits count as half-width: 「１２３４５」 is five characters, and a 20-character order id fits.
    await expectRefusal(await post({ body: '出金できません', email, amount: '１'.repeat(41) }), new KinkyuError('VALIDATION', { field: 'amount', rule: 'max', max: '40' }), undefined, 'ja');
    const accepted = await post({ body: '出金できません', email, orderId: 'ＯＲＤ－１２３', amount: '１０' });
    assert.equal(accepted.status, 201);

    const form = await fetch(`${app.baseUrl}/contact`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'ja' },
      body: new URLSearchParams({ body: '入力した本文', email: 'not an address' }).toString(),
    });
    assert.equal(form.status, 400);
    const page = await form.text();
    assert.ok(page.includes(errorMessage('ja', new KinkyuError('VALIDATION', { field: 'email', rule: 'email' }))), 'the message');
    assert.ok(page.includes('入力した本文'), 'the form again, with what was typed');
  });
});
