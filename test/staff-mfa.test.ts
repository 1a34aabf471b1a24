import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { makeStaff, nextStaffCode, PASSWORD, rememberStaffFactor, staffFactorOf, startApp, StaffClient, type RunningApp } from './support/app.ts';
import { totpCode } from '../src/security-center/totp.ts';
import { t } from '../src/web/i18n.ts';
import { loadConfig } from '../src/config.ts';
import { verifyAudit } from '../src/audit/audit-log.ts';

/*
 * Staff multi-factor sign-in (issue 16): enrolment before anything else, password then TOTP or a recovery code,
 * codes never accepted twice and throttled, four-eyes factor resets, and a fresh factor for sensitive actions.
 * The app runs on a clock the tests move; codes are computed from it as the app checks them.
 */
const MIN = 60_000;
let now = Date.parse('2026-12-01T01:00:00Z');
const clock = () => new Date(now);
let app: RunningApp;

before(async () => {
  app = await startApp({ clock });
});
after(async () => app?.stop());

type Json = Record<string, any>;
const json = { 'content-type': 'application/json', accept: 'application/json' };
const idOf = async (email: string) => (await app.db.query<{ id: string }>('SELECT id FROM staff WHERE email = $1', [email]))[0]!.id;
const count = async (sql: string, params: unknown[] = []) => (await app.db.query<{ n: number }>(sql, params))[0]!.n;
const cookieFrom = (res: Response) => (res.headers.getSetCookie().find((c) => c.startsWith('kinkyu_staff=')) ?? '').split(';')[0]!;

/** The password step only: a session that must still pass (or enrol) its factor. */
async function passwordOnly(email: string, lang = 'ja'): Promise<{ cookie: string; csrf: string; stage: string }> {
  const res = await fetch(`${app.baseUrl}/staff/login`, { method: 'POST', headers: { ...json, 'accept-language': lang }, body: JSON.stringify({ email, password: PASSWORD }) });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { csrfToken: string; stage: string };
  return { cookie: cookieFrom(res), csrf: body.csrfToken, stage: body.stage };
}

async function factorStep(s: { cookie: string; csrf: string }, factor: Json, lang = 'ja'): Promise<{ status: number; body: Json; cookie: string }> {
  const res = await fetch(`${app.baseUrl}/staff/login/factor`, {
    method: 'POST', headers: { ...json, cookie: s.cookie, 'x-csrf-token': s.csrf, 'accept-language': lang }, body: JSON.stringify(factor),
  });
  return { status: res.status, body: (await res.json()) as Json, cookie: cookieFrom(res) };
}

const codeAndMessage = async (res: Response) => {
  const body = (await res.json()) as Json;
  return [body.code, body.message];
};

const get = (path: string, cookie: string, headers: Record<string, string> = {}) =>
  fetch(app.baseUrl + path, { headers: { cookie, 'accept-language': 'ja', ...headers }, redirect: 'manual' });

describe('enrolment before anything else', () => {
  test('after the password, every staff page and API answers with the enrolment (HTML) or a 403 JSON; nothing runs', async () => {
    const email = await makeStaff(app.db, 'admin', { enrolled: false });
    const s = await passwordOnly(email);
    assert.equal(s.stage, 'enrol');
    for (const path of ['/staff', '/staff/team', '/staff/audit', '/staff/incidents/new', '/staff/tickets', '/staff/accounts', '/staff/mfa']) {
      const res = await get(path, s.cookie);
      const page = await res.text();
      assert.equal(res.status, 403, path);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      assert.ok(page.includes(`<h1>${t('ja', 'staffAuth.enrol.title')}</h1>`), `${path} shows the enrolment`);
      assert.ok(page.includes('action="/staff/mfa/enrol"'));
      assert.ok(!page.includes('class="console-nav"'), 'no console around it');
    }
    const en = await (await get('/staff?lang=en', s.cookie)).text();
    assert.ok(en.includes(`<h1>${t('en', 'staffAuth.enrol.title')}</h1>`));
    const incidents = await count('SELECT count(*)::int AS n FROM incidents');
    const api = await fetch(`${app.baseUrl}/staff/incidents`, {
      method: 'POST', headers: { ...json, cookie: s.cookie, 'x-csrf-token': s.csrf },
      body: JSON.stringify({ type: 'outage', severity: 'SEV3', nameJa: '障害', bodyJa: '調査中' }),
    });
    assert.equal(api.status, 403);
    const err = (await api.json()) as Json;
    assert.equal(err.code, 'FACTOR_ENROLMENT_REQUIRED');
    assert.equal(err.message, t('ja', 'error.FACTOR_ENROLMENT_REQUIRED'));
    assert.equal(await count('SELECT count(*)::int AS n FROM incidents'), incidents, 'nothing was declared');
    const form = await fetch(`${app.baseUrl}/staff/team`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: s.cookie },
      body: new URLSearchParams({ _csrf: s.csrf, email: 'x@example.com', name: 'x', role: 'admin' }).toString(),
    });
    assert.equal(form.status, 403);
    assert.equal(await count('SELECT count(*)::int AS n FROM staff WHERE email = $1', ['x@example.com']), 0);
    // Static assets and signing out stay open.
    assert.equal((await get('/assets/site.css', s.cookie)).status, 200);
    const out = await fetch(`${app.baseUrl}/staff/logout`, { method: 'POST', redirect: 'manual', headers: { ...json, cookie: s.cookie, 'x-csrf-token': s.csrf }, body: '{}' });
    assert.equal(out.status, 303);
    assert.equal((await get('/staff', s.cookie)).headers.get('location'), '/staff/login?next=%2Fstaff');
  });

  test('the first admin enrols: a wrong code changes nothing; the right one signs in (new session) with ten recovery codes, hashed', async () => {
    const email = await makeStaff(app.db, 'admin', { enrolled: false });
    const id = await idOf(email);
    const s = await passwordOnly(email);
    const { secret } = (await (await get('/staff/mfa/enrol', s.cookie, { accept: 'application/json' })).json()) as { secret: string };
    assert.match(secret, /^[A-Z2-7]{32}$/);
    const again = (await (await get('/staff/mfa/enrol', s.cookie, { accept: 'application/json' })).json()) as { secret: string };
    assert.equal(again.secret, secret, 'the same secret until it is confirmed');
    const enrol = (code: string, lang = 'ja') => fetch(`${app.baseUrl}/staff/mfa/enrol`, {
      method: 'POST', headers: { ...json, cookie: s.cookie, 'x-csrf-token': s.csrf, 'accept-language': lang }, body: JSON.stringify({ code }),
    });
    const audit = await count('SELECT count(*)::int AS n FROM audit_log');
    for (const [code, lang] of [['000000', 'ja'], ['12', 'en'], ['abcdef', 'ja']] as const) {
      const wrong = await enrol(code, lang);
      assert.equal(wrong.status, 401);
      assert.deepEqual(await codeAndMessage(wrong), ['BAD_CREDENTIALS', t(lang, 'error.BAD_CREDENTIALS.code')]);
    }
    assert.equal(await count('SELECT count(*)::int AS n FROM staff_factors WHERE staff_id = $1', [id]), 0);
    assert.equal(await count('SELECT count(*)::int AS n FROM audit_log'), audit, 'no audit entry for a refusal');
    const ok = await enrol(totpCode(secret, clock()));
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { csrfToken: string; recoveryCodes: string[] };
    assert.equal(body.recoveryCodes.length, 10);
    assert.equal(new Set(body.recoveryCodes).size, 10);
    const stored = await app.db.query<{ code_hash: string }>('SELECT code_hash FROM staff_recovery_codes WHERE staff_id = $1', [id]);
    assert.deepEqual(stored.map((r) => r.code_hash).sort(), body.recoveryCodes.map((c) => createHash('sha256').update(c).digest('hex')).sort(), 'only hashes at rest');
    const dump = JSON.stringify(await app.db.query('SELECT * FROM staff_recovery_codes')) + JSON.stringify(await app.db.query('SELECT data FROM audit_log'));
    assert.ok(body.recoveryCodes.every((c) => !dump.includes(c)), 'no recovery code in the database or the audit log');
    const cookie = cookieFrom(ok);
    assert.notEqual(cookie, s.cookie, 'a new session');
    assert.equal((await get('/staff', s.cookie)).status, 303, 'the password-only session is gone');
    assert.equal((await get('/staff', cookie)).status, 200);
    const actions = await app.db.query<{ action: string }>(`SELECT action FROM audit_log WHERE actor_id = $1 ORDER BY seq`, [id]);
    assert.deepEqual(actions.map((a) => a.action), ['staff.factor_enrol', 'staff.sign_in']);
    // The code that confirmed the enrolment is spent.
    rememberStaffFactor(email, secret, body.recoveryCodes);
    const next = await passwordOnly(email);
    assert.equal(next.stage, 'factor');
    const replay = await factorStep(next, { code: totpCode(secret, clock()) });
    assert.equal(replay.status, 401);
    assert.equal(replay.body.message, t('ja', 'error.BAD_CREDENTIALS.code_used'));
    assert.equal((await verifyAudit(app.db)).ok, true);
  });
});

describe('sign-in with a factor', () => {
  test('password, then the authenticator code; until then the console redirects to the code step (JSON: 403 FACTOR_REQUIRED)', async () => {
    const email = await makeStaff(app.db, 'viewer');
    const { secret } = staffFactorOf(email);
    const s = await passwordOnly(email);
    assert.equal(s.stage, 'factor');
    assert.equal((await get('/staff/tickets', s.cookie)).headers.get('location'), '/staff/login/factor?next=%2Fstaff%2Ftickets');
    const api = await get('/staff/tickets', s.cookie, { accept: 'application/json' });
    assert.equal(api.status, 403);
    assert.equal(((await api.json()) as Json).code, 'FACTOR_REQUIRED');
    const page = await (await get('/staff/login/factor', s.cookie)).text();
    assert.ok(page.includes(t('ja', 'staffAuth.factor.lead')));
    // A wrong code, in Japanese and in English: refused, nothing changes.
    const step = await app.db.query('SELECT totp_last_step FROM staff_factors');
    for (const lang of ['ja', 'en']) {
      const wrong = await factorStep(s, { code: totpCode(secret, new Date(now + 10 * MIN)) }, lang);
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.message, t(lang === 'en' ? 'en' : 'ja', 'error.BAD_CREDENTIALS.code'));
    }
    assert.deepEqual(await app.db.query('SELECT totp_last_step FROM staff_factors'), step);
    assert.equal((await get('/staff', s.cookie)).status, 303);
    const code = await nextStaffCode(email, app.baseUrl);
    const ok = await factorStep(s, { code });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.method, 'totp');
    assert.equal((await get('/staff', ok.cookie)).status, 200);
    assert.equal((await get('/staff', s.cookie)).status, 303, 'the password-only token does not open the new session');
    // The same code again, within its step, for a second sign-in: refused as used.
    const second = await passwordOnly(email, 'en');
    const replay = await factorStep(second, { code }, 'en');
    assert.equal(replay.status, 401);
    assert.equal(replay.body.message, t('en', 'error.BAD_CREDENTIALS.code_used'));
  });

  test('a recovery code signs in once; the same code again is refused', async () => {
    const email = await makeStaff(app.db, 'agent');
    const id = await idOf(email);
    const code = staffFactorOf(email).recoveryCodes.shift()!;
    const first = await factorStep(await passwordOnly(email), { recovery: code.toUpperCase().replace(/-/g, ' ') });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.method, 'recovery_code');
    assert.equal(await count('SELECT count(*)::int AS n FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NOT NULL', [id]), 1);
    const again = await factorStep(await passwordOnly(email), { recovery: code });
    assert.equal(again.status, 401);
    assert.equal(again.body.message, t('ja', 'error.BAD_CREDENTIALS.recovery'));
    const malformed = await factorStep(await passwordOnly(email), { recovery: 'not a code' });
    assert.equal(malformed.status, 401);
    const [audit] = await app.db.query<{ data: { method: string } }>(`SELECT data FROM audit_log WHERE action = 'staff.sign_in' AND actor_id = $1`, [id]);
    assert.equal(audit?.data.method, 'recovery_code');
  });

  test('wrong codes are throttled like wrong passwords: after five, even the right code waits', async () => {
    const email = await makeStaff(app.db, 'viewer');
    const { secret } = staffFactorOf(email);
    const s = await passwordOnly(email);
    for (let i = 0; i < 5; i++) assert.equal((await factorStep(s, { code: String(100000 + i) })).status, 401);
    const right = await factorStep(s, { code: totpCode(secret, clock()) });
    assert.equal(right.status, 429);
    assert.equal(right.body.message, t('ja', 'error.RATE_LIMITED.code'));
    assert.equal((await get('/staff', s.cookie)).status, 303, 'still not signed in');
    const [factor] = await app.db.query<{ totp_last_step: string | null }>('SELECT totp_last_step FROM staff_factors WHERE staff_id = $1', [await idOf(email)]);
    assert.equal(factor?.totp_last_step, null, 'the right code was not spent');
  });
});

describe('resetting another member\'s factors takes two admins', () => {
  test('one requests, the requester cannot approve, another admin approves; audited; the member enrols again', async () => {
    const requester = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
    const approver = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
    const targetEmail = await makeStaff(app.db, 'security');
    const target = await StaffClient.signIn(app.baseUrl, targetEmail);
    const targetId = await idOf(targetEmail);
    const requesterId = await idOf(requester.email!);
    const approverId = await idOf(approver.email!);
    const stateOf = async () => JSON.stringify([
      await app.db.query('SELECT id, kind FROM staff_factors WHERE staff_id = $1', [targetId]),
      await count('SELECT count(*)::int AS n FROM staff_recovery_codes WHERE staff_id = $1', [targetId]),
      await count('SELECT count(*)::int AS n FROM staff_sessions WHERE staff_id = $1', [targetId]),
      await app.db.query('SELECT id, approved_by, cancelled_at FROM staff_factor_resets ORDER BY id'),
      await count('SELECT count(*)::int AS n FROM audit_log'),
    ]);

    // A reason is needed; nobody requests their own reset.
    const noReason = await requester.postJson(`/staff/team/${targetId}/factor-reset`, { reason: '  ' });
    assert.equal(noReason.status, 400);
    const own = await requester.postJson(`/staff/team/${requesterId}/factor-reset`, { reason: 'lost phone' });
    assert.equal(own.status, 403);
    assert.equal(((await own.json()) as Json).message, t('ja', 'error.FORBIDDEN.factor_reset_own'));

    const asked = await requester.postForm(`/staff/team/${targetId}/factor-reset`, { reason: 'スマートフォン紛失 (本人から電話で確認)' });
    assert.equal(asked.status, 303);
    assert.equal(asked.headers.get('location'), '/staff/team?ok=resetRequested');
    const [request] = await app.db.query<{ id: string }>('SELECT id FROM staff_factor_resets WHERE staff_id = $1', [targetId]);
    const teamPage = await (await requester.get('/staff/team')).text();
    assert.ok(teamPage.includes(t('ja', 'staffAuth.team.ownRequest')), 'the requester sees it waits for someone else');
    assert.ok(!teamPage.includes(`/staff/team/factor-resets/${request!.id}/approve`), 'and no approve button');
    assert.ok((await (await approver.get('/staff/team')).text()).includes(`/staff/team/factor-resets/${request!.id}/approve`));
    const duplicate = await approver.postJson(`/staff/team/${targetId}/factor-reset`, { reason: 'again' });
    assert.equal(duplicate.status, 409);

    // The requester approving their own request: refused (ja/en), nothing changes.
    const before = await stateOf();
    const self = await requester.postJson(`/staff/team/factor-resets/${request!.id}/approve`, {});
    assert.equal(self.status, 403);
    assert.deepEqual(await codeAndMessage(self), ['FORBIDDEN', t('ja', 'error.FORBIDDEN.four_eyes_self')]);
    const selfForm = await requester.postForm(`/staff/team/factor-resets/${request!.id}/approve`, {});
    assert.equal(selfForm.status, 403);
    assert.ok((await selfForm.text()).includes(t('ja', 'error.FORBIDDEN.four_eyes_self')));
    const selfEn = await requester.postJson(`/staff/team/factor-resets/${request!.id}/approve`, {}, { 'accept-language': 'en' });
    assert.equal(((await selfEn.json()) as Json).message, t('en', 'error.FORBIDDEN.four_eyes_self'));
    // Nor the member whose factors they are (were they an admin) — and not at the database either.
    await assert.rejects(app.db.query('UPDATE staff_factor_resets SET approved_by = requested_by, approved_at = now() WHERE id = $1', [request!.id]), /four_eyes/);
    assert.equal(await stateOf(), before, 'nothing changed');
    assert.equal((await target.get('/staff')).status, 200, 'the member is still signed in');

    const approved = await approver.postForm(`/staff/team/factor-resets/${request!.id}/approve`, {});
    assert.equal(approved.status, 303);
    assert.equal(approved.headers.get('location'), '/staff/team?ok=resetApproved');
    assert.equal(await count('SELECT count(*)::int AS n FROM staff_factors WHERE staff_id = $1', [targetId]), 0);
    assert.equal(await count('SELECT count(*)::int AS n FROM staff_recovery_codes WHERE staff_id = $1', [targetId]), 0);
    assert.equal((await target.get('/staff')).status, 303, 'the member is signed out');
    const audit = await app.db.query<{ action: string; actor_id: string; target_id: string; data: Json }>(
      `SELECT action, actor_id, target_id, data FROM audit_log WHERE action LIKE 'staff.factor_reset%' AND target_id = $1 ORDER BY seq`, [targetId]);
    assert.deepEqual(audit.map((a) => [a.action, a.actor_id]), [['staff.factor_reset_request', requesterId], ['staff.factor_reset_approve', approverId]]);
    assert.equal(audit[1]!.data.requestedBy, requesterId);
    assert.equal(audit[1]!.data.factorsRemoved, 1);
    // Approved once: approving again or withdrawing is refused.
    assert.equal((await approver.postJson(`/staff/team/factor-resets/${request!.id}/approve`, {})).status, 409);
    // The member's next sign-in enrols a new authenticator.
    assert.equal((await passwordOnly(targetEmail)).stage, 'enrol');
    const again = await StaffClient.signIn(app.baseUrl, targetEmail);
    assert.equal((await again.get('/staff')).status, 200);
  });

  test('a request can be withdrawn, and one that expired cannot be approved', async () => {
    const a = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
    const b = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
    const targetId = await idOf(await makeStaff(app.db, 'viewer'));
    const first = (await (await a.postJson(`/staff/team/${targetId}/factor-reset`, { reason: 'lost phone' })).json()) as Json;
    assert.equal((await b.postForm(`/staff/team/factor-resets/${first.requestId}/cancel`, {})).headers.get('location'), '/staff/team?ok=resetCancelled');
    const second = (await (await a.postJson(`/staff/team/${targetId}/factor-reset`, { reason: 'lost phone' })).json()) as Json;
    now += 25 * 60 * MIN;
    try {
      const late = await b.postJson(`/staff/team/factor-resets/${second.requestId}/approve`, {});
      assert.equal(late.status, 409);
      assert.equal(((await late.json()) as Json).message, t('ja', 'error.CONFLICT.factor_reset_expired'));
      assert.equal(await count('SELECT count(*)::int AS n FROM staff_factors WHERE staff_id = $1', [targetId]), 1);
    } finally {
      now -= 25 * 60 * MIN;
    }
  });
});

describe('a fresh factor for sensitive actions', () => {
  test('staff management after the window: the code again, then the action continues (form and JSON)', async () => {
    const admin = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
    admin.autoFreshFactor = false;
    // Within the window: no question.
    const created = await admin.postJson('/staff/team', { email: `fresh-1-${Date.now()}@example.com`, name: '新人 1', role: 'viewer' });
    assert.equal(created.status, 200);
    now += 16 * MIN;
    const email = `fresh-2-${Date.now()}@example.com`;
    const staffCount = () => count('SELECT count(*)::int AS n FROM staff WHERE email = $1', [email]);
    const asked = await admin.postJson('/staff/team', { email, name: '新人 2', role: 'viewer' });
    assert.equal(asked.status, 403);
    assert.deepEqual(await codeAndMessage(asked), ['FRESH_FACTOR_REQUIRED', t('ja', 'error.FRESH_FACTOR_REQUIRED')]);
    assert.equal(await staffCount(), 0, 'nothing happened yet');
    // A browser form: the re-enter page carries the form's fields back to the same address.
    const form = await admin.postForm('/staff/team', { email, name: '新人 2', role: 'agent' });
    assert.equal(form.status, 403);
    const page = await form.text();
    assert.ok(page.includes(t('ja', 'staffAuth.fresh.lead', { minutes: 15 })));
    assert.ok(page.includes('<form method="post" action="/staff/team"'));
    for (const [name, value] of [['email', email], ['name', '新人 2'], ['role', 'agent'], ['_csrf', admin.csrfToken]]) {
      assert.ok(page.includes(`<input type="hidden" name="${name}" value="${value}">`), `carries ${name}`);
    }
    assert.ok(page.includes('name="_factor_code"'));
    // A wrong code: refused, still nothing.
    const wrong = await admin.postForm('/staff/team', { email, name: '新人 2', role: 'agent', _factor_code: '000000' });
    assert.equal(wrong.status, 401);
    assert.ok((await wrong.text()).includes(t('ja', 'error.BAD_CREDENTIALS.code')));
    assert.equal(await staffCount(), 0);
    // The right code: the member is created in the same request.
    const ok = await admin.postForm('/staff/team', { email, name: '新人 2', role: 'agent', _factor_code: await nextStaffCode(admin.email!, app.baseUrl) });
    assert.equal(ok.status, 200);
    assert.ok((await ok.text()).includes('id="generated-password"'));
    assert.equal(await staffCount(), 1);
    // Fresh again for the next 15 minutes; JSON clients send the code in a header.
    now += 5 * MIN;
    assert.equal((await admin.postJson('/staff/team', { email: `fresh-3-${Date.now()}@example.com`, name: '新人 3', role: 'viewer' })).status, 200);
    now += 15 * MIN;
    const header = await admin.postJson('/staff/team', { email: `fresh-4-${Date.now()}@example.com`, name: '新人 4', role: 'viewer' },
      { 'x-staff-factor-code': await nextStaffCode(admin.email!, app.baseUrl) });
    assert.equal(header.status, 200);
  });

  test('a public update to a SEV1 incident asks again; an internal note and a SEV3 update do not', async () => {
    const commander = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'incident_commander'));
    commander.autoFreshFactor = false;
    const declare = async (severity: string) =>
      ((await (await commander.postJson('/staff/incidents', { type: 'outage', severity, nameJa: `${severity} 障害`, bodyJa: '調査中です' })).json()) as Json).incidentId as string;
    const sev1 = await declare('SEV1');
    const sev3 = await declare('SEV3');
    now += 20 * MIN;
    const updates = async (id: string) => count('SELECT count(*)::int AS n FROM incident_updates WHERE incident_id = $1', [id]);
    const before = await updates(sev1);
    const asked = await commander.postJson(`/staff/incidents/${sev1}/updates`, { status: 'identified', bodyJa: '原因を特定しました' });
    assert.equal(asked.status, 403);
    assert.equal(((await asked.json()) as Json).code, 'FRESH_FACTOR_REQUIRED');
    assert.equal(await updates(sev1), before);
    assert.equal((await commander.postJson(`/staff/incidents/${sev1}/updates`, { visibility: 'internal', status: 'investigating', bodyJa: '社内メモ' })).status, 200);
    assert.equal((await commander.postJson(`/staff/incidents/${sev3}/updates`, { status: 'identified', bodyJa: '原因を特定しました' })).status, 200);
    const withCode = await commander.postJson(`/staff/incidents/${sev1}/updates`, { status: 'identified', bodyJa: '原因を特定しました' },
      { 'x-staff-factor-code': await nextStaffCode(commander.email!, app.baseUrl) });
    assert.equal(withCode.status, 200);
    assert.equal(await updates(sev1), before + 2);
  });

  test('approving an unlock asks again after the window too; STAFF_FRESH_FACTOR_MINUTES sets the window', async () => {
    const security = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'security'));
    security.autoFreshFactor = false;
    now += 16 * MIN;
    const res = await security.postJson('/staff/accounts/abc/unlock-requests/def/approve', { plan: 'x' });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as Json).code, 'FRESH_FACTOR_REQUIRED');
    const saved = process.env.STAFF_FRESH_FACTOR_MINUTES;
    try {
      process.env.STAFF_FRESH_FACTOR_MINUTES = '5';
      assert.equal(loadConfig().staffFreshFactorMinutes, 5);
      process.env.STAFF_FRESH_FACTOR_MINUTES = 'soon';
      assert.equal(loadConfig().staffFreshFactorMinutes, 15, 'a value that is not a number keeps the default');
      delete process.env.STAFF_FRESH_FACTOR_MINUTES;
      assert.equal(loadConfig().staffFreshFactorMinutes, 15);
    } finally {
      if (saved === undefined) delete process.env.STAFF_FRESH_FACTOR_MINUTES;
      else process.env.STAFF_FRESH_FACTOR_MINUTES = saved;
    }
  });
});
