import { assertRefusedWithoutChange, type ExpectedRefusal } from './support/refusal.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, makeStaff, StaffClient, PASSWORD, type RunningApp } from './support/app.ts';
import { verifyAudit } from '../src/audit/audit-log.ts';

let app: RunningApp;
let admin: StaffClient;
let adminEmail: string;
let commander: StaffClient;
/** Every password the app generated in this file: none may ever reach the database or the audit log. */
const generated: string[] = [];

type Json = Record<string, any>;

/** Everything a refused request must leave untouched: staff rows, sessions, audit log. */
async function observable(a: RunningApp = app): Promise<string> {
  const [staff, sessions, audit] = await Promise.all([
    a.db.query('SELECT id, email, name, role, password_hash, disabled_at FROM staff ORDER BY id'),
    a.db.query('SELECT token_hash, staff_id FROM staff_sessions ORDER BY token_hash'),
    a.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log'),
  ]);
  return JSON.stringify([staff, sessions, audit[0]?.n]);
}

const refusedWithoutChange = (send: () => Promise<Response>, expect: ExpectedRefusal, a: RunningApp = app) =>
  assertRefusedWithoutChange(() => observable(a), send, expect);

const shownPassword = (page: string): string => {
  const m = /id="generated-password"[^>]*value="([^"]+)"/.exec(page);
  assert.ok(m, 'the result page shows the generated password');
  generated.push(m[1]!);
  return m[1]!;
};

const idOf = async (email: string, a: RunningApp = app): Promise<string> => {
  const [row] = await a.db.query<{ id: string }>('SELECT id FROM staff WHERE email = $1', [email]);
  assert.ok(row, `no staff member ${email}`);
  return row.id;
};

async function signInStatus(email: string, password: string): Promise<number> {
  const res = await fetch(`${app.baseUrl}/staff/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  await res.arrayBuffer();
  return res.status;
}

async function createViaJson(email: string, role: string, name = 'テスト スタッフ'): Promise<{ id: string; password: string }> {
  const res = await admin.postJson('/staff/team', { email, name, role });
  const body = (await res.json()) as Json;
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.ok, true);
  generated.push(body.password);
  return { id: body.id, password: body.password };
}

before(async () => {
  app = await startApp();
  adminEmail = await makeStaff(app.db, 'admin');
  admin = await StaffClient.signIn(app.baseUrl, adminEmail);
  commander = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'incident_commander'));
});
after(async () => app.stop());

describe('staff management', () => {
  test('the team page lists staff, and only admins see the nav link', async () => {
    const res = await admin.get('/staff/team');
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.ok(page.includes(adminEmail));
    assert.ok(page.includes('スタッフ一覧'));
    assert.ok(page.includes('<a href="/staff/team">スタッフ管理</a>'));
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const en = await (await admin.get('/staff/team?lang=en')).text();
    assert.ok(en.includes('<a href="/staff/team">Staff</a>'));
    const commanderPage = await (await commander.get('/staff')).text();
    assert.ok(!commanderPage.includes('/staff/team'), 'no link for those without staff.manage');
  });

  test('an admin creates an agent through the form; the password is shown once and works', async () => {
    const email = `New.Agent-${Date.now()}@Example.com`;
    const res = await admin.postForm('/staff/team', { email, name: '新しい 担当者', role: 'agent' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const page = await res.text();
    const password = shownPassword(page);
    assert.ok(password.length >= 20);
    assert.match(page, /一度だけ表示/);

    const [row] = await app.db.query<{ email: string; role: string; password_hash: string }>(
      'SELECT email, role, password_hash FROM staff WHERE lower(email) = $1', [email.toLowerCase()],
    );
    assert.equal(row?.role, 'agent');
    assert.equal(row?.email, email.toLowerCase());
    assert.match(row!.password_hash, /^\$argon2id\$/);
    assert.ok(!row!.password_hash.includes(password));

    const agent = await StaffClient.signIn(app.baseUrl, email, password);
    assert.equal((await agent.get('/staff')).status, 200);
    assert.equal((await agent.get('/staff/team')).status, 403, 'an agent does not manage staff');
    // The list shows them, and it never shows a password.
    const list = await (await admin.get('/staff/team')).text();
    assert.ok(list.includes(email.toLowerCase()));
    assert.ok(!list.includes(password));
  });

  test('JSON clients can create staff too', async () => {
    const email = `json-${Date.now()}@example.com`;
    const { id, password } = await createViaJson(email, 'viewer');
    assert.match(id, /^[a-z0-9]{12}$/);
    assert.equal((await StaffClient.signIn(app.baseUrl, email, password)).cookie.length > 0, true);
  });

  test('a duplicate email is refused with a clear message (any letter case)', async () => {
    await refusedWithoutChange(() => admin.postJson('/staff/team', { email: adminEmail.toUpperCase(), name: 'x', role: 'agent' }), {
      status: 409, code: 'CONFLICT', message: /すでに登録されています/,
    });
    await refusedWithoutChange(() => admin.postJson('/staff/team', { email: adminEmail, name: 'x', role: 'agent' }, { 'accept-language': 'en' }), {
      status: 409, code: 'CONFLICT', message: /already exists/,
    });
    // A form gets the page again, with the message and what was typed (escaped).
    await refusedWithoutChange(() => admin.postForm('/staff/team', { email: adminEmail, name: '<b>入力した名前</b>', role: 'security' }), {
      status: 409, message: /すでに登録されています/,
    });
    const page = await (await admin.postForm('/staff/team', { email: adminEmail, name: '<b>入力した名前</b>', role: 'security' })).text();
    assert.ok(page.includes('&lt;b&gt;入力した名前&lt;/b&gt;'));
    assert.ok(page.includes('<option value="security" selected>'));
  });

  test('a role change takes effect on the next request', async () => {
    const email = `promote-${Date.now()}@example.com`;
    const { id, password } = await createViaJson(email, 'agent');
    const member = await StaffClient.signIn(app.baseUrl, email, password);
    assert.equal((await member.get('/staff/incidents/new')).status, 403);

    const res = await admin.postForm(`/staff/team/${id}/role`, { role: 'incident_commander' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/staff/team?ok=role');
    assert.equal((await member.get('/staff/incidents/new')).status, 200, 'the same session now has the new role');
    assert.ok((await (await admin.get('/staff/team?ok=role')).text()).includes('役割を変更しました'));

    const back = await admin.postJson(`/staff/team/${id}/role`, { role: 'viewer' });
    assert.deepEqual(await back.json(), { ok: true, id, changed: true });
    assert.equal((await member.get('/staff/incidents/new')).status, 403);
    const same = await admin.postJson(`/staff/team/${id}/role`, { role: 'viewer' });
    assert.deepEqual(await same.json(), { ok: true, id, changed: false }, 'the same role again is not a change');
  });

  test('disabling signs the member out at once and keeps them out; enabling lets them back', async () => {
    const email = `disable-${Date.now()}@example.com`;
    const { id, password } = await createViaJson(email, 'security');
    const first = await StaffClient.signIn(app.baseUrl, email, password);
    const second = await StaffClient.signIn(app.baseUrl, email, password);
    assert.equal((await first.get('/staff')).status, 200);

    const res = await admin.postForm(`/staff/team/${id}/disable`, {});
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/staff/team?ok=disabled');
    const [{ n } = { n: -1 }] = await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM staff_sessions WHERE staff_id = $1', [id]);
    assert.equal(n, 0, 'every session is gone');
    for (const client of [first, second]) {
      const page = await client.get('/staff');
      assert.equal(page.status, 303);
      assert.match(page.headers.get('location') ?? '', /^\/staff\/login/);
      const json = await client.postJson('/staff/incidents', { type: 'outage', severity: 'SEV1', nameJa: 'x', bodyJa: 'y' });
      assert.equal(json.status, 401);
    }
    assert.equal(await signInStatus(email, password), 401, 'a disabled member cannot sign in');
    const list = await (await admin.get('/staff/team')).text();
    assert.match(list, /無効 \(/);
    assert.ok(list.includes(`action="/staff/team/${id}/enable"`));

    const again = await admin.postJson(`/staff/team/${id}/disable`, {});
    assert.equal(((await again.json()) as Json).changed, false);

    const enabled = await admin.postForm(`/staff/team/${id}/enable`, {});
    assert.equal(enabled.status, 303);
    assert.equal(enabled.headers.get('location'), '/staff/team?ok=enabled');
    assert.equal((await first.get('/staff')).status, 303, 'old sessions stay ended after re-enabling');
    const back = await StaffClient.signIn(app.baseUrl, email, password);
    assert.equal((await back.get('/staff')).status, 200);
  });

  test('a password reset shows a new password once and ends every session', async () => {
    const email = `reset-${Date.now()}@example.com`;
    const { id, password } = await createViaJson(email, 'viewer');
    const member = await StaffClient.signIn(app.baseUrl, email, password);

    const res = await admin.postForm(`/staff/team/${id}/password`, {});
    assert.equal(res.status, 200);
    const fresh = shownPassword(await res.text());
    assert.notEqual(fresh, password);
    assert.equal((await member.get('/staff')).status, 303, 'signed out at once');
    assert.equal(await signInStatus(email, password), 401, 'the old password no longer works');
    const again = await StaffClient.signIn(app.baseUrl, email, fresh);
    assert.equal((await again.get('/staff')).status, 200);

    const json = await admin.postJson(`/staff/team/${id}/password`, {});
    const body = (await json.json()) as Json;
    assert.equal(json.status, 200);
    assert.equal(body.sessionsRevoked, 1);
    generated.push(body.password);
    assert.equal((await again.get('/staff')).status, 303);
  });

  test('an incident commander gets 403 on every team route, and nothing changes', async () => {
    const target = await idOf(adminEmail);
    const page = await commander.get('/staff/team');
    assert.equal(page.status, 403);
    assert.match(await page.text(), /権限がありません/);
    const posts: Array<[string, Json]> = [
      ['/staff/team', { email: `cmd-${Date.now()}@example.com`, name: 'x', role: 'admin' }],
      [`/staff/team/${target}/role`, { role: 'viewer' }],
      [`/staff/team/${target}/disable`, {}],
      [`/staff/team/${target}/enable`, {}],
      [`/staff/team/${target}/password`, {}],
    ];
    for (const [path, payload] of posts) {
      await refusedWithoutChange(() => commander.postJson(path, payload), { status: 403, code: 'FORBIDDEN' });
      await refusedWithoutChange(() => commander.postForm(path, payload as Record<string, string>), { status: 403, message: /権限がありません/ });
    }
  });

  test('without a session or a CSRF token nothing happens', async () => {
    const target = await idOf(adminEmail);
    const anon = await fetch(`${app.baseUrl}/staff/team`, { redirect: 'manual' });
    assert.equal(anon.status, 303);
    assert.match(anon.headers.get('location') ?? '', /^\/staff\/login\?next=%2Fstaff%2Fteam/);
    await refusedWithoutChange(() => fetch(`${app.baseUrl}/staff/team/${target}/disable`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: '{}',
    }), { status: 401, code: 'UNAUTHENTICATED' });
    await refusedWithoutChange(() => admin.postForm('/staff/team', { email: `csrf-${Date.now()}@example.com`, name: 'x', role: 'admin' }, { csrf: false }), { status: 403 });
  });

  test('bad input is refused with a clear message and changes nothing', async () => {
    const target = await idOf(adminEmail);
    const victimEmail = `victim-${Date.now()}@example.com`;
    const { id: victim } = await createViaJson(victimEmail, 'agent');
    const email = `bad-${Date.now()}@example.com`;

    await refusedWithoutChange(() => admin.postJson('/staff/team', { email, name: 'x', role: 'superuser' }), { status: 400, code: 'VALIDATION', message: /役割/ });
    await refusedWithoutChange(() => admin.postJson('/staff/team', { email, name: 'x', role: ['admin'] }), { status: 400, code: 'VALIDATION' });
    await refusedWithoutChange(() => admin.postJson('/staff/team', { email: 'not-an-email', name: 'x', role: 'agent' }), { status: 400, code: 'VALIDATION', message: /メールアドレスの形式/ });
    await refusedWithoutChange(() => admin.postJson('/staff/team', { email: 'not-an-email', name: 'x', role: 'agent' }, { 'accept-language': 'en' }), { status: 400, code: 'VALIDATION', message: /email address/i });
    await refusedWithoutChange(() => admin.postJson('/staff/team', { email, name: '', role: 'agent' }), { status: 400, code: 'VALIDATION', message: /「名前」を入力してください/ });
    await refusedWithoutChange(() => admin.postJson('/staff/team', { email, name: 'x'.repeat(101), role: 'agent' }), { status: 400, code: 'VALIDATION', message: /100/ });
    await refusedWithoutChange(() => admin.postJson('/staff/team', { email: `${'a'.repeat(250)}@example.com`, name: 'x', role: 'agent' }), { status: 400, code: 'VALIDATION' });
    await refusedWithoutChange(() => admin.postJson('/staff/team', [email, 'x', 'agent']), { status: 400, code: 'VALIDATION' });
    await refusedWithoutChange(() => admin.postJson('/staff/team', 'null'), { status: 400, code: 'VALIDATION' });
    await refusedWithoutChange(() => admin.postForm('/staff/team', { email, name: 'x', role: 'root' }), { status: 400, message: /役割の値が正しくありません/ });

    await refusedWithoutChange(() => admin.postJson(`/staff/team/${victim}/role`, { role: 'superuser' }), { status: 400, code: 'VALIDATION', message: /役割/ });
    await refusedWithoutChange(() => admin.postJson(`/staff/team/${victim}/role`, {}), { status: 400, code: 'VALIDATION' });
    await refusedWithoutChange(() => admin.postForm(`/staff/team/${victim}/role`, { role: ['admin', 'viewer'] }), { status: 400, message: /役割の値が正しくありません/ });

    for (const action of ['role', 'disable', 'enable', 'password']) {
      await refusedWithoutChange(() => admin.postJson(`/staff/team/zzzzzzzzzzzz/${action}`, { role: 'viewer' }), { status: 404, code: 'NOT_FOUND', message: /スタッフは見つかりません/ });
      await refusedWithoutChange(() => admin.postJson(`/staff/team/${'%3Cscript%3E'}/${action}`, { role: 'viewer' }), { status: 404, code: 'NOT_FOUND' });
      await refusedWithoutChange(() => admin.postJson(`/staff/team/${'a'.repeat(90)}/${action}`, { role: 'viewer' }), { status: 404, code: 'NOT_FOUND' });
      await refusedWithoutChange(() => admin.postJson(`/staff/team/${'a'.repeat(200)}/${action}`, { role: 'viewer' }), { status: 404, code: 'NOT_FOUND' });
    }
    await refusedWithoutChange(() => admin.postForm('/staff/team/zzzzzzzzzzzz/disable', {}), { status: 404, message: /スタッフは見つかりませんでした/ });

    const huge = 'あ'.repeat(350_000);
    await refusedWithoutChange(() => admin.postJson('/staff/team', { email, name: huge, role: 'agent' }), { status: 413, code: 'BODY_TOO_LARGE' });
    await refusedWithoutChange(() => admin.postForm('/staff/team', { email, name: huge, role: 'agent' }), { status: 413 });
    await refusedWithoutChange(() => admin.postJson(`/staff/team/${target}/role`, '{"role": "viewer",'), { status: 400, code: 'MALFORMED_BODY' });
    await refusedWithoutChange(() => admin.postJson('/staff/team', '{"email":'), { status: 400, code: 'MALFORMED_BODY' });

    // The victim is untouched by all of the above.
    const [row] = await app.db.query<{ role: string; disabled_at: Date | null }>('SELECT role, disabled_at FROM staff WHERE id = $1', [victim]);
    assert.deepEqual(row, { role: 'agent', disabled_at: null });
  });

  test('script in a name is text on the team page', async () => {
    const email = `xss-${Date.now()}@example.com`;
    await createViaJson(email, 'viewer', '<script>alert(1)</script>');
    const page = await (await admin.get('/staff/team')).text();
    assert.ok(!page.includes('<script>alert(1)</script>'));
    assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  });
});

describe('there is always one active admin', () => {
  let solo: RunningApp;
  let only: StaffClient;
  let onlyEmail: string;

  before(async () => {
    solo = await startApp();
    onlyEmail = await makeStaff(solo.db, 'admin');
    only = await StaffClient.signIn(solo.baseUrl, onlyEmail);
  });
  after(async () => solo.stop());

  test('the last active admin cannot disable or demote themself', async () => {
    const self = await idOf(onlyEmail, solo);
    await refusedWithoutChange(() => only.postJson(`/staff/team/${self}/disable`, {}), {
      status: 409, code: 'CONFLICT', message: /管理者は常に1人以上必要です/,
    }, solo);
    await refusedWithoutChange(() => only.postJson(`/staff/team/${self}/role`, { role: 'incident_commander' }, { 'accept-language': 'en' }), {
      status: 409, code: 'CONFLICT', message: /at least one/,
    }, solo);
    await refusedWithoutChange(() => only.postForm(`/staff/team/${self}/disable`, {}), { status: 409, message: /管理者は常に1人以上必要です/ }, solo);
    await refusedWithoutChange(() => only.postForm(`/staff/team/${self}/role`, { role: 'viewer' }), { status: 409, message: /管理者は常に1人以上必要です/ }, solo);
    assert.equal((await only.get('/staff/team')).status, 200, 'still signed in, still an admin');
  });

  test('a disabled admin does not count; with a second active admin, one may step down, then the other may not', async () => {
    const self = await idOf(onlyEmail, solo);
    const other = await makeStaff(solo.db, 'admin');
    const otherId = await idOf(other, solo);
    assert.equal((await only.postJson(`/staff/team/${otherId}/disable`, {})).status, 200);
    await refusedWithoutChange(() => only.postJson(`/staff/team/${self}/role`, { role: 'viewer' }), { status: 409, code: 'CONFLICT' }, solo);

    assert.equal((await only.postJson(`/staff/team/${otherId}/enable`, {})).status, 200);
    const otherClient = await StaffClient.signIn(solo.baseUrl, other, PASSWORD);
    const res = await only.postJson(`/staff/team/${self}/role`, { role: 'incident_commander' });
    assert.equal(res.status, 200);
    assert.equal((await only.get('/staff/team')).status, 403, 'the demotion applies at once');
    await refusedWithoutChange(() => otherClient.postJson(`/staff/team/${otherId}/disable`, {}), { status: 409, code: 'CONFLICT' }, solo);
    await refusedWithoutChange(() => otherClient.postJson(`/staff/team/${otherId}/role`, { role: 'viewer' }), { status: 409, code: 'CONFLICT' }, solo);
  });

  test('two admins disabling each other at the same moment: exactly one succeeds', async () => {
    const a = await makeStaff(solo.db, 'admin');
    // Only `a` and the remaining admin from the previous test are active admins now.
    const [{ n } = { n: 0 }] = await solo.db.query<{ n: number }>("SELECT count(*)::int AS n FROM staff WHERE role = 'admin' AND disabled_at IS NULL");
    assert.equal(n, 2);
    const [b] = await solo.db.query<{ email: string }>("SELECT email FROM staff WHERE role = 'admin' AND disabled_at IS NULL AND email <> $1", [a]);
    const ca = await StaffClient.signIn(solo.baseUrl, a);
    const cb = await StaffClient.signIn(solo.baseUrl, b!.email);
    const [ra, rb] = await Promise.all([
      ca.postJson(`/staff/team/${await idOf(b!.email, solo)}/disable`, {}),
      cb.postJson(`/staff/team/${await idOf(a, solo)}/disable`, {}),
    ]);
    const statuses = [ra.status, rb.status].sort();
    // The loser is either refused as the last admin (409) or already signed out by the winner (401).
    assert.equal(statuses[0], 200, String(statuses));
    assert.ok(statuses[1] === 409 || statuses[1] === 401, String(statuses));
    const [{ m } = { m: 0 }] = await solo.db.query<{ m: number }>("SELECT count(*)::int AS m FROM staff WHERE role = 'admin' AND disabled_at IS NULL");
    assert.equal(m, 1);
  });

  test('the audit log holds every change, verifies, and never a password', async () => {
    for (const a of [app, solo]) {
      const verification = await verifyAudit(a.db);
      assert.equal(verification.ok, true, JSON.stringify(verification.problems));
    }
    const rows = await app.db.query<{ action: string; actor_id: string | null; target_id: string | null; data: unknown }>(
      "SELECT action, actor_id, target_id, data FROM audit_log WHERE action LIKE 'staff.%' ORDER BY seq",
    );
    const actions = new Set(rows.map((r) => r.action));
    for (const action of ['staff.create', 'staff.role', 'staff.disable', 'staff.enable', 'staff.password_reset']) {
      assert.ok(actions.has(action), `${action} is audited`);
    }
    const adminId = await idOf(adminEmail);
    const role = rows.find((r) => r.action === 'staff.role');
    assert.equal(role?.actor_id, adminId, 'the admin who acted is recorded');
    assert.deepEqual(role?.data, { from: 'agent', to: 'incident_commander' });
    assert.ok(generated.length >= 5);
    const everything = JSON.stringify(await app.db.query('SELECT * FROM audit_log')) + JSON.stringify(await app.db.query('SELECT * FROM staff'));
    for (const password of generated) assert.ok(!everything.includes(password), 'a generated password is never stored in plain text');
  });
});
