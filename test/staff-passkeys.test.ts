import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeStaff, PASSWORD, startApp, StaffClient, type RunningApp } from './support/app.ts';
import { ceremonyOptions, SoftAuthenticator, type SoftCredential } from './support/soft-authenticator.ts';
import { UserBrowser } from './support/user-client.ts';
import { createUserAccount } from '../src/security-center/user-accounts.ts';
import { insertPasskey, userHandleOf } from '../src/security-center/passkey-store.ts';
import { t } from '../src/web/i18n.ts';
import { verifyAudit } from '../src/audit/audit-log.ts';

/*
 * Staff passkeys (issue 16), over HTTP with a software authenticator: a new member enrols a passkey as their first
 * factor and signs in with it; a copied authenticator (its counter behind) is refused, the passkey turned off and
 * the refusal audited, and a recovery code still lets the member in; a user's passkey never passes for a member
 * (nor a member's for a user); removing a passkey asks for a fresh factor, which the passkey itself can give.
 */
const MIN = 60_000;
let now = Date.parse('2026-12-01T01:00:00Z');
const clock = () => new Date(now);
let app: RunningApp;

before(async () => {
  app = await startApp({ clock });
});
after(async () => app?.stop());

interface Page { status: number; body: string; location: string | null; cookie: string | null }
const cookieFrom = (res: Response) => res.headers.getSetCookie().find((c) => c.startsWith('kinkyu_staff='))?.split(';')[0] ?? null;
const count = async (sql: string, params: unknown[] = []) => (await app.db.query<{ n: number }>(sql, params))[0]!.n;
const idOf = async (email: string) => (await app.db.query<{ id: string }>('SELECT id FROM staff WHERE email = $1', [email]))[0]!.id;

/** A browser without JavaScript for the staff console: keeps the session cookie and the CSRF token of the last page. */
class StaffBrowser {
  cookie = '';
  csrf = '';
  private async send(path: string, init: RequestInit = {}): Promise<Page> {
    const res = await fetch(app.baseUrl + path, { ...init, redirect: 'manual', headers: { cookie: this.cookie, 'accept-language': 'ja', ...(init.headers as Record<string, string>) } });
    const cookie = cookieFrom(res);
    if (cookie) this.cookie = cookie;
    const body = await res.text();
    this.csrf = /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? this.csrf;
    return { status: res.status, body, location: res.headers.get('location'), cookie };
  }
  get(path: string) {
    return this.send(path);
  }
  post(path: string, fields: Record<string, string>) {
    const form = new URLSearchParams({ _csrf: this.csrf, ...fields });
    return this.send(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  }
  /** The password step: a session that must still pass (or enrol) its factor. */
  async password(email: string): Promise<void> {
    const res = await fetch(`${app.baseUrl}/staff/login`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }),
    });
    assert.equal(res.status, 200);
    this.cookie = cookieFrom(res)!;
    this.csrf = ((await res.json()) as { csrfToken: string }).csrfToken;
  }
}

/** A new member who enrolled a passkey at their first sign-in; their authenticator and recovery codes. */
async function passkeyMember(role: 'admin' | 'agent' = 'agent'): Promise<{ email: string; id: string; key: SoftAuthenticator; codes: string[]; b: StaffBrowser }> {
  const email = await makeStaff(app.db, role, { enrolled: false });
  const b = new StaffBrowser();
  await b.password(email);
  const enrol = await b.get('/staff/mfa/enrol');
  assert.equal(enrol.status, 200);
  assert.ok(enrol.body.includes('action="/staff/mfa/enrol/passkey"'), 'the enrolment offers a passkey');
  assert.ok(enrol.body.includes('id="totp-secret"'), 'and the authenticator app');
  const key = new SoftAuthenticator(app.baseUrl);
  const done = await b.post('/staff/mfa/enrol/passkey', { next: '/staff', name: '業務用ノートPC', response: key.create(ceremonyOptions(enrol)) });
  assert.equal(done.status, 200, done.body);
  assert.ok(done.cookie, 'a new, signed-in session');
  const codes = [...done.body.matchAll(/<li><code>([a-z0-9-]+)<\/code><\/li>/g)].map((m) => m[1]!);
  assert.equal(codes.length, 10, 'recovery codes, shown once');
  return { email, id: await idOf(email), key, codes, b };
}

/** Password, then the passkey: the factor page's options answered by `key` (o: how it lies). */
async function signInWithPasskey(email: string, key: SoftAuthenticator, o: { credential?: SoftCredential; signCount?: number } = {}): Promise<{ b: StaffBrowser; answer: Page }> {
  const b = new StaffBrowser();
  await b.password(email);
  const page = await b.get('/staff/login/factor');
  assert.equal(page.status, 200);
  const answer = await b.post('/staff/login/factor/passkey', { next: '/staff', response: key.get(ceremonyOptions(page), o) });
  if (answer.status === 303) await b.get('/staff'); // the signed-in session's CSRF token
  return { b, answer };
}

describe('a passkey as the first factor', () => {
  test('a new member enrols a passkey, reaches the console, and signs in later with password + passkey', async () => {
    const { email, id, key, b } = await passkeyMember();
    assert.equal((await b.get('/staff')).status, 200, 'the console opens after the enrolment');
    const [enrolled] = await app.db.query<{ data: { kind: string; name: string } }>(`SELECT data FROM audit_log WHERE action = 'staff.factor_enrol' AND target_id = $1`, [id]);
    assert.equal(enrolled!.data.kind, 'passkey');
    assert.equal(enrolled!.data.name, '業務用ノートPC');

    now += 10 * MIN;
    const { b: again, answer } = await signInWithPasskey(email, key);
    assert.equal(answer.status, 303, answer.body);
    assert.equal(answer.location, '/staff');
    assert.equal((await again.get('/staff')).status, 200);
    const [session] = await app.db.query<{ auth_method: string }>(`SELECT auth_method FROM staff_sessions WHERE staff_id = $1 ORDER BY created_at DESC LIMIT 1`, [id]);
    assert.equal(session!.auth_method, 'passkey');
    const mine = await again.get('/staff/mfa');
    assert.match(mine.body, /パスキー「業務用ノートPC」/);
    assert.match(mine.body, /最後に使った日時: /);
    assert.ok(!mine.body.includes('name="code"'), 'a passkey-only member is not asked for an app code');
    assert.equal((await verifyAudit(app.db)).ok, true);
  });
});

describe('refused passkeys', () => {
  test('a copied authenticator (counter behind) is refused, the passkey turned off and audited; a recovery code still works', async () => {
    const { email, id, key, codes } = await passkeyMember();
    for (let i = 0; i < 3; i++) assert.equal((await signInWithPasskey(email, key)).answer.status, 303);
    const stored = async () => (await app.db.query<{ sign_counter: string; disabled_at: Date | null }>(`SELECT sign_counter, disabled_at FROM staff_factors WHERE staff_id = $1 AND kind = 'passkey'`, [id]))[0]!;
    const before = Number((await stored()).sign_counter);
    assert.equal(before, 3);

    const { b, answer } = await signInWithPasskey(email, key, { signCount: 1 });
    assert.equal(answer.status, 403);
    assert.ok(answer.body.includes(t('ja', 'error.FORBIDDEN.passkey_counter')), 'the member is told why');
    const after = await stored();
    assert.equal(Number(after.sign_counter), before, 'the stored counter did not go back');
    assert.ok(after.disabled_at, 'the passkey is turned off');
    const [refusal] = await app.db.query<{ data: Record<string, unknown> }>(`SELECT data FROM audit_log WHERE action = 'staff.passkey_refused' AND target_id = $1`, [id]);
    assert.equal(refusal!.data.reason, 'counter_went_back');
    assert.equal(refusal!.data.stored, 3);
    assert.equal(refusal!.data.received, 1);
    assert.equal((await b.get('/staff')).status, 303, 'still not signed in');

    // The genuine authenticator too is refused now (the passkey is off); the recovery code is the way in.
    const off = { b: new StaffBrowser() };
    await off.b.password(email);
    const step = await off.b.get('/staff/login/factor');
    assert.equal(step.status, 200);
    assert.ok(!step.body.includes('action="/staff/login/factor/passkey"'), 'no passkey form: the factor page offers the recovery code');
    assert.ok(step.body.includes('name="recovery"'));
    const direct = await off.b.post('/staff/login/factor/passkey', { next: '/staff', response: key.get({ challenge: 'AAAA', rpId: new URL(app.baseUrl).hostname }) });
    assert.equal(direct.status, 403, 'a turned-off passkey is refused before anything else');
    assert.ok(direct.body.includes(t('ja', 'error.FORBIDDEN.passkey_disabled')));
    const recovered = await off.b.post('/staff/login/factor', { next: '/staff', recovery: codes[0]! });
    assert.equal(recovered.status, 303);
    assert.equal((await off.b.get('/staff')).status, 200);
    const mine = await off.b.get('/staff/mfa');
    assert.ok(mine.body.includes(t('ja', 'staffPasskey.disabled')), 'the member sees it was turned off');
  });

  test("a user's passkey never signs a member in, nor a member's passkey a user", async () => {
    const member = await passkeyMember();
    const userKey = new SoftAuthenticator(app.baseUrl);
    const accountId = await createUserAccount(app.db, app.referenceStore!, { email: 'passkey-owner@example.jp', password: 'user password 2026' }, clock());
    const handle = await userHandleOf(app.db, accountId);
    const created = JSON.parse(userKey.create({ challenge: 'AAAA', rp: { id: new URL(app.baseUrl).hostname }, user: { id: handle } })) as { id: string };
    const userCredential = userKey.credentials[0]!;
    await insertPasskey(app.db, accountId, 'phone', {
      credentialId: created.id, publicKey: Buffer.from(userCredential.cose).toString('base64url'), counter: 0, transports: ['internal'], deviceType: 'singleDevice', backedUp: false,
    }, clock());

    // The user's (valid) passkey at the member's factor step.
    const { b, answer } = await signInWithPasskey(member.email, userKey, { credential: userCredential });
    assert.equal(answer.status, 401);
    assert.ok(answer.body.includes(t('ja', 'error.BAD_CREDENTIALS.passkey_unknown_credential')));
    assert.equal((await b.get('/staff')).status, 303, 'not signed in');
    assert.equal(await count(`SELECT count(*)::int AS n FROM staff_factors WHERE credential_id = $1`, [created.id]), 0);

    // The member's passkey at the user's sign-in with a passkey alone.
    const user = new UserBrowser(app, clock);
    const options = ceremonyOptions((await user.get('/account/login/passkey')).body);
    const refused = await user.post('/account/login/passkey', { response: member.key.get(options) });
    assert.equal(refused.status, 401);
    assert.equal(user.cookies.has('kinkyu_user'), false, 'no user session');
  });
});

describe('managing passkeys', () => {
  test('add a second passkey, remove one with a fresh passkey answer; the last factor stays', async () => {
    const { email, id, key } = await passkeyMember();
    now += 10 * MIN;
    const { b: s } = await signInWithPasskey(email, key);
    const added = await s.post('/staff/mfa/passkeys/new', { name: 'セキュリティキー' });
    assert.equal(added.status, 200, 'within the fresh window: the registration page');
    const second = new SoftAuthenticator(app.baseUrl);
    const registered = await s.post('/staff/mfa/passkeys/register', { name: 'セキュリティキー', response: second.create(ceremonyOptions(added)) });
    assert.equal(registered.status, 303, registered.body);
    assert.equal(registered.location, '/staff/mfa?ok=passkeyAdded');
    const list = await s.get('/staff/mfa?ok=passkeyAdded');
    assert.match(list.body, /パスキー「業務用ノートPC」[\s\S]*パスキー「セキュリティキー」/);
    const [first] = await app.db.query<{ id: string }>(`SELECT id FROM staff_factors WHERE staff_id = $1 AND name = '業務用ノートPC'`, [id]);

    // After the fresh window, removing asks again; the passkey answers, and the removal goes on.
    now += 30 * MIN;
    const ask = await s.post('/staff/mfa/passkeys/remove', { id: first!.id });
    assert.equal(ask.status, 403);
    assert.ok(ask.body.includes('name="_factor_passkey"'), 'the re-enter step offers the passkey');
    assert.ok(ask.body.includes(`name="id" value="${first!.id}"`), 'carrying the action');
    assert.equal(await count(`SELECT count(*)::int AS n FROM staff_factors WHERE staff_id = $1`, [id]), 2, 'nothing removed yet');
    const wrong = await s.post('/staff/mfa/passkeys/remove', { id: first!.id, _factor_passkey: '{"id":1}' });
    assert.equal(wrong.status, 400);
    assert.equal(await count(`SELECT count(*)::int AS n FROM staff_factors WHERE staff_id = $1`, [id]), 2);
    const again = await s.post('/staff/mfa/passkeys/remove', { id: first!.id });
    const removed = await s.post('/staff/mfa/passkeys/remove', { id: first!.id, _factor_passkey: second.get(ceremonyOptions(again)) });
    assert.equal(removed.status, 303, removed.body);
    assert.equal(removed.location, '/staff/mfa?ok=passkeyRemoved');
    const [audit] = await app.db.query<{ data: { name: string } }>(`SELECT data FROM audit_log WHERE action = 'staff.passkey_remove' AND target_id = $1`, [id]);
    assert.equal(audit!.data.name, '業務用ノートPC');

    // The last one cannot go (the member would be left with recovery codes only).
    const [last] = await app.db.query<{ id: string }>(`SELECT id FROM staff_factors WHERE staff_id = $1`, [id]);
    const refused = await s.post('/staff/mfa/passkeys/remove', { id: last!.id });
    assert.equal(refused.status, 409);
    assert.ok(refused.body.includes(t('ja', 'error.CONFLICT.last_factor')));
    assert.equal(await count(`SELECT count(*)::int AS n FROM staff_factors WHERE staff_id = $1`, [id]), 1);
  });

  test('a member with the authenticator app can add a passkey and use it for a sensitive action; the team page shows both', async () => {
    const admin = await makeStaff(app.db, 'admin');
    const c = await StaffClient.signIn(app.baseUrl, admin);
    const s = new StaffBrowser();
    s.cookie = c.cookie;
    s.csrf = c.csrfToken;
    const page = await s.post('/staff/mfa/passkeys/new', { name: '' });
    assert.equal(page.status, 200);
    const key = new SoftAuthenticator(app.baseUrl);
    assert.equal((await s.post('/staff/mfa/passkeys/register', { name: '', response: key.create(ceremonyOptions(page)) })).status, 303);
    now += 30 * MIN;
    const ask = await s.post('/staff/mfa/recovery-codes', {});
    assert.equal(ask.status, 403);
    assert.ok(ask.body.includes('name="_factor_code"') && ask.body.includes('name="_factor_passkey"'), 'code or passkey');
    const done = await s.post('/staff/mfa/recovery-codes', { _factor_passkey: key.get(ceremonyOptions(ask)) });
    assert.equal(done.status, 200);
    assert.match(done.body, /<li><code>[a-z0-9-]+<\/code><\/li>/);
    const team = await s.get('/staff/team');
    assert.match(team.body, /パスキー, 認証アプリ/);
  });
});
