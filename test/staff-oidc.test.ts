import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeStaff, startApp, StaffClient, type RunningApp } from './support/app.ts';
import { startTestIdp, type TestIdp } from './support/oidc-idp.ts';
import { t } from '../src/web/i18n.ts';

/*
 * Staff sign-in through the company's OpenID Connect provider, against a real one (oidc-provider) started here:
 * authorization code + PKCE, state and nonce; the member is found by the subject kinkyu stores (linked by an admin,
 * or by a verified email at the first sign-in when the staff row exists); roles stay kinkyu's; an unknown subject
 * is refused; a tampered or malformed callback changes nothing.
 */
let app: RunningApp;
let idp: TestIdp;
let admin: StaffClient;

before(async () => {
  idp = await startTestIdp();
  app = await startApp({ demo: false, config: { staffOidc: { issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret } } });
  idp.configure(`${app.baseUrl}/staff/login/oidc/callback`);
  admin = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
});
after(async () => {
  await app?.stop();
  await idp?.stop();
});

/** Cookies per origin (paths ignored: enough for two servers on loopback). */
class Jar {
  private readonly byOrigin = new Map<string, Map<string, string>>();
  header(url: string): string {
    return [...(this.byOrigin.get(new URL(url).origin) ?? new Map()).entries()].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  store(url: string, res: Response): void {
    const origin = new URL(url).origin;
    const jar = this.byOrigin.get(origin) ?? new Map<string, string>();
    for (const c of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (!value || attrs.some((a) => /max-age=0\b|expires=thu, 01 jan 1970/i.test(a.trim()))) jar.delete(name);
      else jar.set(name, value);
    }
    this.byOrigin.set(origin, jar);
  }
  get(url: string, name: string): string | undefined {
    return this.byOrigin.get(new URL(url).origin)?.get(name);
  }
}

/** Follows redirects from `start` with a cookie jar; stops at (and returns) the app's callback URL unless told to go on. */
async function follow(jar: Jar, start: string, opts: { stopAtCallback?: boolean; lang?: string } = {}): Promise<{ res: Response | null; url: string }> {
  let url = start;
  for (let i = 0; i < 15; i++) {
    if (opts.stopAtCallback && url.startsWith(`${app.baseUrl}/staff/login/oidc/callback`)) return { res: null, url };
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header(url), 'accept-language': opts.lang ?? 'ja' } });
    jar.store(url, res);
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location) return { res, url };
    url = new URL(location, url).href;
  }
  throw new Error('too many redirects');
}

const STATE_COOKIE = 'kinkyu_oidc_state';
const sessionCookieOf = (jar: Jar) => jar.get(app.baseUrl, 'kinkyu_staff');
const count = async (table: string) => (await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n;
const idOf = async (email: string) => (await app.db.query<{ id: string }>('SELECT id FROM staff WHERE email = $1', [email]))[0]!.id;

/** Signs in at the provider as `login` and comes back to kinkyu; the answer to the callback. */
async function oidcSignIn(login: string, opts: { next?: string; lang?: string } = {}): Promise<{ jar: Jar; res: Response; url: string }> {
  idp.nextLogin = login;
  const jar = new Jar();
  const { res, url } = await follow(jar, `${app.baseUrl}/staff/login/oidc?next=${encodeURIComponent(opts.next ?? '/staff')}`, opts);
  assert.ok(res);
  return { jar, res, url };
}

/** A sign-in taken up to the provider's answer, not yet delivered to kinkyu. */
async function untilCallback(login: string): Promise<{ jar: Jar; callback: string }> {
  idp.nextLogin = login;
  const jar = new Jar();
  const { url } = await follow(jar, `${app.baseUrl}/staff/login/oidc`, { stopAtCallback: true });
  assert.match(url, /\/staff\/login\/oidc\/callback\?/);
  return { jar, callback: url };
}

/** What a refused sign-in must leave as it was: sessions, links, the audit log. */
const state = async () => JSON.stringify([
  await count('staff_sessions'), await count('audit_log'),
  await app.db.query('SELECT id, oidc_issuer, oidc_subject FROM staff ORDER BY id'),
]);

describe('staff sign-in through the company OpenID Connect provider', () => {
  test('the sign-in page offers it; the flow uses PKCE (S256), a state and a nonce', async () => {
    const page = await (await fetch(`${app.baseUrl}/staff/login`)).text();
    assert.ok(page.includes('href="/staff/login/oidc?next=%2Fstaff"'), 'the SSO button');
    assert.ok(page.includes(t('ja', 'staffAuth.oidc.button')));
    const start = await fetch(`${app.baseUrl}/staff/login/oidc`, { redirect: 'manual' });
    assert.equal(start.status, 303);
    const to = new URL(start.headers.get('location')!);
    assert.equal(to.origin, idp.issuer);
    assert.equal(to.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(to.searchParams.get('code_challenge'));
    assert.ok((to.searchParams.get('state') ?? '').length >= 40);
    assert.ok((to.searchParams.get('nonce') ?? '').length >= 40);
    assert.equal(to.searchParams.get('redirect_uri'), `${app.baseUrl}/staff/login/oidc/callback`);
    const cookie = start.headers.getSetCookie().find((c) => c.startsWith(`${STATE_COOKIE}=`)) ?? '';
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    assert.equal(cookie.split(';')[0], `${STATE_COOKIE}=${to.searchParams.get('state')}`, 'the state is bound to this browser');
  });

  test('a subject linked by an admin signs in with its kinkyu role (never one from the provider)', async () => {
    const email = await makeStaff(app.db, 'incident_commander');
    const id = await idOf(email);
    idp.accounts.set('sub-alice', { email: 'alice@corp.example', email_verified: true, role: 'admin', groups: ['admins'] });
    const link = await admin.postForm(`/staff/team/${id}/oidc`, { subject: 'sub-alice' });
    assert.equal(link.status, 303);
    assert.equal(link.headers.get('location'), '/staff/team?ok=oidcLinked');
    const { jar, res, url } = await oidcSignIn('sub-alice', { next: '/staff/components' });
    assert.equal(url, `${app.baseUrl}/staff/components`, 'back where the sign-in began');
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.ok(page.includes(t('ja', 'staff.signedInAs', { name: 'incident_commander', role: t('ja', 'staff.role.incident_commander') }).slice(0, 8)));
    assert.ok(page.includes(t('ja', 'staff.role.incident_commander')));
    const cookie = `kinkyu_staff=${sessionCookieOf(jar)}`;
    assert.equal((await fetch(`${app.baseUrl}/staff/team`, { headers: { cookie } })).status, 403, 'the provider\'s "admin" claim gives nothing');
    const [session] = await app.db.query<{ auth_method: string; factor_at: Date | null }>(
      'SELECT auth_method, factor_at FROM staff_sessions WHERE staff_id = $1 ORDER BY created_at DESC LIMIT 1', [id]);
    assert.equal(session?.auth_method, 'oidc');
    assert.ok(session?.factor_at, 'the provider\'s sign-in counts as the second factor');
    const [audit] = await app.db.query<{ data: { method: string } }>(`SELECT data FROM audit_log WHERE action = 'staff.sign_in' AND actor_id = $1 ORDER BY seq DESC LIMIT 1`, [id]);
    assert.equal(audit?.data.method, 'oidc');
  });

  test('a verified email links a staff row at its first sign-in, once; an unverified one does not', async () => {
    const email = await makeStaff(app.db, 'agent', { email: `bob-${Date.now()}@corp.example` });
    const id = await idOf(email);
    idp.accounts.set('sub-bob', { email: email.toUpperCase(), email_verified: true });
    const first = await oidcSignIn('sub-bob');
    assert.equal(first.res.status, 200, await first.res.clone().text());
    const [row] = await app.db.query<{ oidc_subject: string; oidc_issuer: string }>('SELECT oidc_subject, oidc_issuer FROM staff WHERE id = $1', [id]);
    assert.deepEqual(row, { oidc_subject: 'sub-bob', oidc_issuer: idp.issuer });
    const [audit] = await app.db.query<{ data: { via: string } }>(`SELECT data FROM audit_log WHERE action = 'staff.oidc_link' AND target_id = $1`, [id]);
    assert.equal(audit?.data.via, 'verified_email');
    // Another subject with the same verified email is not linked over it.
    idp.accounts.set('sub-bob-2', { email, email_verified: true });
    const before = await state();
    const second = await oidcSignIn('sub-bob-2');
    assert.equal(second.res.status, 401);
    assert.ok((await second.res.text()).includes(t('ja', 'error.BAD_CREDENTIALS.oidc_unknown')));
    assert.equal(await state(), before, 'nothing changed');
    // An unverified email links nothing.
    const carol = await makeStaff(app.db, 'agent', { email: `carol-${Date.now()}@corp.example` });
    idp.accounts.set('sub-carol', { email: carol, email_verified: false });
    const unverified = await oidcSignIn('sub-carol');
    assert.equal(unverified.res.status, 401);
    assert.equal((await app.db.query('SELECT 1 FROM staff WHERE email = $1 AND oidc_subject IS NOT NULL', [carol])).length, 0);
  });

  test('an unknown subject is refused clearly (ja/en), and gets no session', async () => {
    idp.accounts.set('sub-mallory', { email: 'mallory@elsewhere.example', email_verified: true });
    const before = await state();
    const ja = await oidcSignIn('sub-mallory');
    assert.equal(ja.res.status, 401);
    const jaPage = await ja.res.text();
    assert.ok(jaPage.includes(t('ja', 'staffAuth.oidc.failedTitle')));
    assert.ok(jaPage.includes(t('ja', 'error.BAD_CREDENTIALS.oidc_unknown')));
    assert.equal(sessionCookieOf(ja.jar), undefined);
    const en = await oidcSignIn('sub-mallory', { lang: 'en' });
    assert.ok((await en.res.text()).includes('This company account is not registered as kinkyu staff'));
    assert.equal(await state(), before, 'no session, no link, no audit entry');
  });

  test('a member signed in through the provider still enrols an authenticator app before anything else', async () => {
    const email = await makeStaff(app.db, 'viewer', { enrolled: false, email: `dave-${Date.now()}@corp.example` });
    idp.accounts.set('sub-dave', { email, email_verified: true });
    const { res, url } = await oidcSignIn('sub-dave');
    assert.equal(url, `${app.baseUrl}/staff`);
    assert.equal(res.status, 403);
    assert.ok((await res.text()).includes(t('ja', 'staffAuth.enrol.title')));
  });

  test('a state that is not the browser\'s, a replayed or malformed callback, and a refusal at the provider change nothing', async () => {
    const email = await makeStaff(app.db, 'viewer');
    const id = await idOf(email);
    await admin.postForm(`/staff/team/${id}/oidc`, { subject: 'sub-erin' });
    idp.accounts.set('sub-erin', { email: 'erin@corp.example', email_verified: true });
    const before = await state();
    const refused = async (url: string, cookie: string, rule: string, status: number, lang = 'ja') => {
      const res = await fetch(url, { redirect: 'manual', headers: { cookie, 'accept-language': lang } });
      const text = await res.text();
      assert.equal(res.status, status, text);
      assert.ok(text.includes(t(lang === 'en' ? 'en' : 'ja', rule === 'oidc_state' ? 'error.CSRF.oidc_state' : rule === 'oidc_denied' ? 'error.BAD_CREDENTIALS.oidc_denied' : 'error.VALIDATION.oidc_callback')), text);
      assert.equal(res.headers.getSetCookie().some((c) => c.startsWith('kinkyu_staff=') && !/max-age=0/i.test(c)), false, 'no session cookie');
    };
    // Another browser's state (an attacker's link): the state cookie does not match.
    const mine = await untilCallback('sub-erin');
    const theirs = await untilCallback('sub-erin');
    await refused(mine.callback, `${STATE_COOKIE}=${theirs.jar.get(app.baseUrl, STATE_COOKIE)}`, 'oidc_state', 403);
    await refused(mine.callback, '', 'oidc_state', 403, 'en');
    // A state kinkyu never issued, in cookie and URL alike.
    const forged = new URL(mine.callback);
    forged.searchParams.set('state', 'forged-state-value');
    await refused(forged.href, `${STATE_COOKIE}=forged-state-value`, 'oidc_state', 403);
    // A code that is not the provider's.
    const garbage = new URL(theirs.callback);
    garbage.searchParams.set('code', 'not-a-code');
    await refused(garbage.href, `${STATE_COOKIE}=${theirs.jar.get(app.baseUrl, STATE_COOKIE)}`, 'oidc_callback', 400);
    // The state is spent: the genuine answer for it cannot be used now either (one use).
    await refused(theirs.callback, `${STATE_COOKIE}=${theirs.jar.get(app.baseUrl, STATE_COOKIE)}`, 'oidc_state', 403);
    // No code at all; the provider's refusal.
    const third = await untilCallback('sub-erin');
    const noCode = new URL(third.callback);
    noCode.searchParams.delete('code');
    await refused(noCode.href, `${STATE_COOKIE}=${third.jar.get(app.baseUrl, STATE_COOKIE)}`, 'oidc_callback', 400);
    const fourth = await untilCallback('sub-erin');
    const denied = new URL(fourth.callback);
    denied.search = `?error=access_denied&state=${fourth.jar.get(app.baseUrl, STATE_COOKIE)}`;
    await refused(denied.href, `${STATE_COOKIE}=${fourth.jar.get(app.baseUrl, STATE_COOKIE)}`, 'oidc_denied', 401);
    assert.equal(await state(), before, 'no session, no link, no audit entry');
    // The untouched flow still works, once.
    const fifth = await untilCallback('sub-erin');
    const ok = await fetch(fifth.callback, { redirect: 'manual', headers: { cookie: fifth.jar.header(fifth.callback) } });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/staff');
    const replay = await fetch(fifth.callback, { redirect: 'manual', headers: { cookie: fifth.jar.header(fifth.callback) } });
    assert.equal(replay.status, 403, 'the same answer twice: refused');
  });

  test('an admin\'s link is audited, a subject belongs to one member, and without SSO configured there is no SSO', async () => {
    const a = await idOf(await makeStaff(app.db, 'viewer'));
    const b = await idOf(await makeStaff(app.db, 'viewer'));
    assert.equal((await admin.postJson(`/staff/team/${a}/oidc`, { subject: 'sub-frank' })).status, 200);
    const taken = await admin.postJson(`/staff/team/${b}/oidc`, { subject: 'sub-frank' });
    assert.equal(taken.status, 409);
    assert.equal(((await taken.json()) as { message: string }).message, t('ja', 'error.CONFLICT.oidc_subject_taken'));
    const [audit] = await app.db.query<{ actor_id: string; data: { via: string; subject: string } }>(
      `SELECT actor_id, data FROM audit_log WHERE action = 'staff.oidc_link' AND target_id = $1`, [a]);
    assert.deepEqual(audit?.data, { issuer: idp.issuer, subject: 'sub-frank', via: 'admin' });
    const plain = await startApp({ demo: false });
    try {
      assert.equal((await fetch(`${plain.baseUrl}/staff/login/oidc`, { redirect: 'manual' })).status, 404);
      assert.ok(!(await (await fetch(`${plain.baseUrl}/staff/login`)).text()).includes('/staff/login/oidc'));
    } finally {
      await plain.stop();
    }
  });
});
