/**
 * The security center's per-route user hook and the one same-origin check (src/web/same-origin.ts): a forged
 * cross-site form is refused the same way on the user side and the staff side, whatever the tokens it carries;
 * a route declared `stepped-up` asks for the step-up and changes nothing; the hook stays in the security center.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeStaff, StaffClient, type RunningApp } from './support/app.ts';
import type { SmtpTestServer } from './support/smtp.ts';
import { plain } from './support/text.ts';
import { createTestUser, startAppWithSmtp, stopAppWithSmtp, UserBrowser } from './support/user-client.ts';

let now = new Date('2026-12-03T01:00:00Z');
let app: RunningApp;
let smtp: SmtpTestServer;
let counter = 0;

before(async () => {
  ({ app, smtp } = await startAppWithSmtp(() => now));
});
after(() => stopAppWithSmtp(app, smtp));

const signedInUser = async () => {
  const { email, id } = await createTestUser(app, `hook-${++counter}@example.jp`);
  const b = new UserBrowser(app, () => now);
  assert.equal((await b.signIn(email)).status, 200);
  return { email, id, b };
};
const cookieHeader = (b: UserBrowser) => [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
const liveSessions = async (accountId: string) =>
  (await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM user_sessions WHERE account_id = $1 AND revoked_at IS NULL`, [accountId]))[0]!.n;

describe('one same-origin check for both sides', () => {
  test('a cross-site POST with a valid session and CSRF token is refused with CSRF on a user route and on a staff route', async () => {
    const { id, b } = await signedInUser();
    const other = new UserBrowser(app, () => now);
    await other.signIn((await app.accounts.findAccount({ accountId: id }))!.email);
    await b.get('/account');
    const sessionsBefore = await liveSessions(id);
    const staff = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
    const forged = (path: string, cookie: string, csrf: string, headers: Record<string, string>) => fetch(app.baseUrl + path, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', cookie, ...headers },
      body: new URLSearchParams({ _csrf: csrf, status: 'major_outage' }).toString(),
    });
    const forgeries: Array<Record<string, string>> = [{ origin: 'https://evil.example' }, { referer: 'https://evil.example/page' }, { origin: 'null', 'sec-fetch-site': 'cross-site' }];
    for (const headers of forgeries) {
      const user = await forged('/account/sessions/revoke-others', cookieHeader(b), b.csrf, headers);
      const staffSide = await forged('/staff/components/restapi00000/status', staff.cookie, staff.csrfToken, headers);
      assert.equal(user.status, 403, JSON.stringify(headers));
      assert.equal(staffSide.status, 403, JSON.stringify(headers));
      const [userBody, staffBody] = [(await user.json()) as { code: string }, (await staffSide.json()) as { code: string }];
      assert.equal(userBody.code, 'CSRF');
      assert.equal(staffBody.code, 'CSRF');
    }
    assert.equal(await liveSessions(id), sessionsBefore, 'no session was signed out');
    // The same form from our own pages goes through.
    const own = await b.post('/account/sessions/revoke-others', {});
    assert.equal(own.status, 303);
    assert.equal(await liveSessions(id), 1);
  });

  test('the pre-sign-in forms need their token too, and a foreign origin is refused even with it', async () => {
    const b = new UserBrowser(app, () => now);
    await b.get('/account/login');
    const res = await fetch(`${app.baseUrl}/account/login`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', cookie: cookieHeader(b), origin: 'https://evil.example' },
      body: new URLSearchParams({ _pre: b.pre, email: 'nobody@example.jp', password: 'x' }).toString(),
    });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { code: string }).code, 'CSRF');
  });
});

test('forms outside the signed-in pages use the same check: staff sign-in, the terms acknowledgement link, an article vote', async () => {
  const forgeries: Array<Record<string, string>> = [{ origin: 'https://evil.example' }, { referer: 'https://evil.example/page' }, { origin: 'null', 'sec-fetch-site': 'cross-site' }];
  const post = (path: string, headers: Record<string, string>) => fetch(app.baseUrl + path, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: new URLSearchParams({ email: 'nobody@example.jp', password: 'x', helpful: 'yes', token: 'x' }).toString(),
  });
  for (const headers of forgeries) {
    for (const path of ['/staff/login', '/terms/ack/not-a-real-token', '/help/articles/lock-account/feedback']) {
      const res = await post(path, headers);
      assert.equal(res.status, 403, `${path} ${JSON.stringify(headers)}`);
      assert.equal(((await res.json()) as { code: string }).code, 'CSRF', `${path} ${JSON.stringify(headers)}`);
    }
  }
  // From our own site the same requests get their ordinary answers, not CSRF.
  const own = await post('/terms/ack/not-a-real-token', { origin: app.baseUrl });
  assert.notEqual(own.status, 403);
});

describe('routes declare what they need of the user', () => {
  test("a route declared 'stepped-up' shows the step-up page and changes nothing until a second factor is passed", async () => {
    const { id, email, b } = await signedInUser();
    const codes = async () => (await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM user_recovery_codes WHERE account_id = $1`, [id]))[0]!.n;
    const before = await codes();
    const asked = await b.post('/account/recovery-codes', {});
    assert.equal(asked.status, 403);
    assert.match(asked.body, /action="\/account\/step-up"/);
    assert.match(asked.body, /name="action" value="recovery"/);
    assert.equal(await codes(), before, 'no recovery codes were made');
    await b.stepUp(email);
    const done = await b.post('/account/recovery-codes', {});
    assert.equal(done.status, 200, done.body);
    assert.match(done.body, /class="recovery-codes"/);
  });

  test("a route declared 'required' sends a browser without a session to sign in, and refuses a form with 401", async () => {
    const page = await fetch(`${app.baseUrl}/account`, { redirect: 'manual' });
    assert.equal(page.status, 303);
    assert.equal(page.headers.get('location'), '/account/login');
    const form = await fetch(`${app.baseUrl}/account/sessions/revoke-others`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: '_csrf=x',
    });
    assert.equal(form.status, 401);
  });

  test('an unknown ?done= on the security center is ignored, not an error', async () => {
    const { b } = await signedInUser();
    const page = await b.get('/account?done=nothingLikeThis');
    assert.equal(page.status, 200);
    assert.doesNotMatch(page.body, /class="flash"/);
    assert.match(plain((await b.get('/account?done=revokedAll')).body), /この端末以外をすべてログアウトさせました/);
  });

  test('the user hook stays in the security center: other pages are untouched by it', async () => {
    const { b } = await signedInUser();
    // A public page posted to with a user session and no _csrf is not the user hook's business (no CSRF refusal).
    const res = await fetch(`${app.baseUrl}/help/lock`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(b) },
      body: new URLSearchParams({ identifier: 'nobody@example.jp' }).toString(),
    });
    assert.notEqual(res.status, 403);
  });
});
