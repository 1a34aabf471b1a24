/**
 * The emergency lock through HTTP, with a real SMTP server: the "this wasn't me" link (way b), the help
 * center (way c), and the staff unlock under four eyes.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type ReferenceAccountStore } from '../src/exchange/reference-store.ts';
import { UNLOCK_CHECKLIST } from '../src/protection/emergency-lock.ts';
import { t } from '../src/web/i18n.ts';
import { StaffClient, makeStaff, startApp, type RunningApp } from './support/app.ts';
import { startSmtpServer, type SmtpTestServer } from './support/smtp.ts';
import { sha256Hex } from '../src/domain/secrets.ts';

const DAY = 86_400_000;
let offset = 0;
const clock = () => new Date(Date.now() + offset);

let app: RunningApp;
let smtp: SmtpTestServer;
let store: ReferenceAccountStore;

before(async () => {
  smtp = await startSmtpServer();
  app = await startApp({ demo: false, clock, config: { smtpUrl: smtp.url, mailSender: { pollMs: 100, backoffBaseMs: 50 } } });
  store = app.referenceStore!;
});
after(async () => {
  await app.stop();
  await smtp.stop();
});

const uniq = () => randomBytes(4).toString('hex');
const tokenOf = (link: string) => link.slice(link.lastIndexOf('/') + 1);
const html = async (res: Response) => ({ status: res.status, body: await res.text() });
const postLock = (token: string, headers: Record<string, string> = {}) =>
  fetch(`${app.baseUrl}/lock/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'ja', ...headers }, body: 'lang=ja' });
const getLock = (token: string) => fetch(`${app.baseUrl}/lock/${token}`, { headers: { 'accept-language': 'ja' } });
const helpLock = (identifier: string) =>
  fetch(`${app.baseUrl}/help/lock`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'ja' }, body: new URLSearchParams({ identifier, lang: 'ja' }).toString() });

const sessionCheck = async (sessionToken: string) =>
  (await fetch(`${app.baseUrl}/account/session`, { headers: { cookie: `kinkyu_user=${sessionToken}` } })).json();
const accountPage = (sessionToken: string) => fetch(`${app.baseUrl}/account`, { headers: { cookie: `kinkyu_user=${sessionToken}` }, redirect: 'manual' });

/** An exchange account with an API key, a pending withdrawal and a signed-in user session. */
async function victim(label: string) {
  const email = `${label}-${uniq()}@example.jp`;
  const id = await store.createAccount(email);
  const apiKey = await store.createApiKey(id, 'bot');
  const withdrawalId = await store.requestWithdrawal(id, { asset: 'BTC', amount: '0.5', address: `bc1q${uniq()}` });
  const sessionToken = randomBytes(24).toString('base64url');
  await app.db.query(`INSERT INTO user_sessions (token_hash, account_id, csrf_token, expires_at) VALUES ($1, $2, 'csrf', $3)`, [
    sha256Hex(sessionToken), id, new Date(Date.now() + DAY),
  ]);
  await app.db.query(`INSERT INTO user_credentials (account_id, password_hash) VALUES ($1, 'x')`, [id]);
  const before = await accountPage(sessionToken);
  assert.equal(before.status, 200, 'the session cookie works before the lock');
  assert.deepEqual(await sessionCheck(sessionToken), { signedIn: true, locked: false });
  return { id, email, apiKey, withdrawalId, sessionToken };
}

async function assertLocked(v: Awaited<ReturnType<typeof victim>>, source: string) {
  // The answer comes once the exchange has locked; the record follows in the background.
  await app.lock.settled();
  assert.equal(await store.accountForApiKey(v.apiKey), null, 'the old API key is refused');
  await assert.rejects(store.requestWithdrawal(v.id, { asset: 'BTC', amount: '1', address: 'bc1qattacker' }), (e: { code?: string; params?: { rule?: string } }) => e.code === 'FORBIDDEN' && e.params?.rule === 'withdrawals_blocked');
  await assert.rejects(store.placeOrder(v.id, { pair: 'BTC/JPY', side: 'sell', amount: '1' }), (e: { code?: string; params?: { rule?: string } }) => e.code === 'FORBIDDEN' && e.params?.rule === 'trading_blocked');
  const [w] = await app.db.query<{ status: string }>(`SELECT status FROM xch_withdrawals WHERE id = $1`, [v.withdrawalId]);
  assert.equal(w?.status, 'cancelled', 'the pending withdrawal is cancelled');
  const [s] = await app.db.query<{ revoked_at: Date | null }>(`SELECT revoked_at FROM user_sessions WHERE token_hash = $1`, [sha256Hex(v.sessionToken)]);
  assert.ok(s?.revoked_at, 'the old session is revoked');
  const after = await accountPage(v.sessionToken);
  assert.notEqual(after.status, 200, 'the old session cookie is refused');
  assert.match(after.headers.get('location') ?? '', /\/account\/login/);
  assert.deepEqual(await sessionCheck(v.sessionToken), { signedIn: false, locked: false }, 'the session check says signed out');
  const locks = await app.db.query<{ source: string }>(`SELECT source FROM account_locks WHERE account_id = $1`, [v.id]);
  assert.deepEqual(locks.map((l) => l.source), [source]);
  const audit = await app.db.query(`SELECT 1 FROM audit_log WHERE action = 'account.lock' AND target_id = $1`, [v.id]);
  assert.equal(audit.length, 1, 'the lock is audited');
  const tickets = await app.db.query(`SELECT number FROM tickets WHERE email = $1 AND type = 'security' AND priority = 'urgent'`, [v.email]);
  assert.equal(tickets.length, 1, 'an urgent security ticket is open');
}

describe('way (b): the lock link in a security email', () => {
  test('GET confirms, POST locks everything, the email arrives; the link works once', async () => {
    const v = await victim('b');
    const token = tokenOf(await app.lock.issueLockLink(v.id, v.email, 'new_sign_in'));

    const confirm = await html(await getLock(token));
    assert.equal(confirm.status, 200);
    assert.match(confirm.body, new RegExp(t('ja', 'lock.confirm.button')));
    assert.match(confirm.body, new RegExp(`action="/lock/${token}"`));
    assert.doesNotMatch(confirm.body, /password/i, 'no password is asked for');

    // A form posted from another site is refused, and locks nothing.
    const forged = await postLock(token, { origin: 'https://evil.example' });
    assert.equal(forged.status, 403);
    const forgedNull = await postLock(token, { origin: 'null', 'sec-fetch-site': 'cross-site' });
    assert.equal(forgedNull.status, 403);
    assert.equal(await store.accountForApiKey(v.apiKey), v.id);

    // As a browser posts the page's form (the page sends no Referer, so Origin is "null").
    const done = await html(await postLock(token, { origin: 'null', 'sec-fetch-site': 'same-origin' }));
    assert.equal(done.status, 200);
    assert.match(done.body, new RegExp(t('ja', 'lock.done.title')));
    assert.match(done.body, new RegExp(t('ja', 'lock.done.withdrawals', { count: 1 }).replace(/[()]/g, '\\$&')));
    // The answer comes once the exchange has locked; the record (with the ticket) follows in the background.
    await app.lock.settled();
    const [ticket] = await app.db.query<{ number: string }>(`SELECT number FROM tickets WHERE email = $1`, [v.email]);
    assert.match(done.body, new RegExp(`#${ticket!.number}`), 'the page gives the security ticket number');
    await assertLocked(v, 'email_link');
    const mail = await smtp.waitFor((m) => m.to.includes(v.email) && m.subject.includes('ロックしました'), 10_000);
    assert.match(mail.text, /本人確認/);

    // The same link again: the used-link page, identical to an unknown token's, and nothing new happens.
    const again = await html(await getLock(token));
    const unknown = await html(await getLock(randomBytes(24).toString('base64url')));
    assert.equal(again.status, 404);
    assert.equal(again.body, unknown.body, 'a used link and an unknown one look the same');
    assert.match(again.body, /href="\/help\/lock/);
    const repost = await postLock(token);
    assert.equal(repost.status, 404);
    const [locks] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM account_locks WHERE account_id = $1`, [v.id]);
    assert.equal(locks?.n, 1, 'a used link locks nothing new');
    const [tickets] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tickets WHERE email = $1`, [v.email]);
    assert.equal(tickets?.n, 1);
  });

  test('with the SMTP server down the lock still succeeds; the email goes out once it is back', async () => {
    const v = await victim('smtpdown');
    const token = tokenOf(await app.lock.issueLockLink(v.id, v.email, 'withdrawal_request'));
    await smtp.stop();
    try {
      const done = await html(await postLock(token));
      assert.equal(done.status, 200);
      assert.match(done.body, new RegExp(t('ja', 'lock.done.title')));
      await assertLocked(v, 'email_link');
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(smtp.messages.filter((m) => m.to.includes(v.email)).length, 0);
    } finally {
      await smtp.start();
    }
    await smtp.waitFor((m) => m.to.includes(v.email) && m.subject.includes('ロックしました'), 20_000);
  });
});

describe('way (c): from the help center without signing in', () => {
  test('links go to the current email, an email replaced 10 days ago and the verified emergency contact; a link locks', async () => {
    const oldEmail = `c-old-${uniq()}@example.jp`;
    const newEmail = `c-new-${uniq()}@example.jp`;
    const emergency = `c-emergency-${uniq()}@example.net`;
    offset = -10 * DAY;
    const id = await store.createAccount(oldEmail);
    await store.changeEmail(id, newEmail);
    offset = 0;
    const apiKey = await store.createApiKey(id);
    await app.db.query(`INSERT INTO user_credentials (account_id, password_hash, emergency_contact, emergency_contact_verified_at) VALUES ($1, 'x', $2, now())`, [id, emergency]);

    const form = await html(await fetch(`${app.baseUrl}/help/lock`, { headers: { 'accept-language': 'ja' } }));
    assert.equal(form.status, 200);
    assert.match(form.body, /name="identifier"/);
    assert.doesNotMatch(form.body, /type="password"/);

    const known = await html(await helpLock(newEmail));
    assert.equal(known.status, 200);
    const mails = await Promise.all([newEmail, oldEmail, emergency].map((to) => smtp.waitFor((m) => m.to.includes(to) && m.text.includes('/lock/'), 10_000)));

    const nobody = `nobody-${uniq()}@example.jp`;
    const unknown = await html(await helpLock(nobody));
    const norm = (s: string) => s.replace(/\d+/g, '#');
    assert.equal(unknown.status, known.status);
    assert.equal(norm(unknown.body), norm(known.body), 'the answer is the same whether or not the account exists');
    const byId = await html(await helpLock(`no-such-account-${uniq()}`));
    assert.equal(norm(byId.body), norm(known.body));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(smtp.messages.filter((m) => m.to.includes(nobody)).length, 0, 'no email for an unknown account');

    const link = /\/lock\/([\w-]+)/.exec(mails[1]!.text)![1]!;
    const done = await html(await postLock(link));
    assert.equal(done.status, 200);
    assert.match(done.body, new RegExp(t('ja', 'lock.done.title')));
    assert.equal(await store.accountForApiKey(apiKey), null);
    await assert.rejects(store.placeOrder(id, { pair: 'BTC/JPY', side: 'buy', amount: '1' }));
  });

  test('the help center is rate limited per identifier with a clear message', async () => {
    const who = `limited-${uniq()}@example.jp`;
    for (let i = 0; i < 3; i++) assert.equal((await helpLock(who)).status, 200);
    const limited = await html(await helpLock(who));
    assert.equal(limited.status, 429);
    assert.match(limited.body, new RegExp(t('ja', 'error.RATE_LIMITED.lock_help', { phone: app.config.supportPhone }).slice(0, 20)));
  });
});

describe('staff: lock now, and unlock under four eyes', () => {
  test('a staff lock; an unlock asked for by A cannot be approved by A; B approves; the user must reset password and 2FA', async () => {
    const emailA = await makeStaff(app.db, 'security');
    const emailB = await makeStaff(app.db, 'admin');
    const a = await StaffClient.signIn(app.baseUrl, emailA);
    const b = await StaffClient.signIn(app.baseUrl, emailB);
    const [staffA] = await app.db.query<{ id: string; name: string }>(`SELECT id, name FROM staff WHERE email = $1`, [emailA]);
    const [staffB] = await app.db.query<{ id: string; name: string }>(`SELECT id, name FROM staff WHERE email = $1`, [emailB]);

    const v = await victim('staff');
    const search = await a.get(`/staff/accounts?q=${encodeURIComponent(v.email)}`);
    assert.equal(search.status, 303);
    assert.equal(search.headers.get('location'), `/staff/accounts/${v.id}`);
    const notFound = await a.get(`/staff/accounts?q=nobody@example.jp`);
    assert.equal(notFound.status, 404);

    const locked = await a.postForm(`/staff/accounts/${v.id}/lock`, { reason: '電話で本人から乗っ取りの申告' });
    assert.equal(locked.status, 303);
    await assertLocked(v, 'staff');

    const page = await html(await a.get(`/staff/accounts/${v.id}`));
    assert.equal(page.status, 200);
    for (const item of UNLOCK_CHECKLIST) assert.match(page.body, new RegExp(`value="${item}"`));
    assert.match(page.body, new RegExp(t('ja', 'acct.locked')));

    // Not every identity check done: refused.
    const partial = await html(await a.postForm(`/staff/accounts/${v.id}/unlock-requests`, { checklist: UNLOCK_CHECKLIST.slice(0, 3), note: 'x' }));
    assert.equal(partial.status, 400);
    assert.match(partial.body, new RegExp(t('ja', 'error.VALIDATION.unlock_checks')));

    const requested = await a.postForm(`/staff/accounts/${v.id}/unlock-requests`, { checklist: [...UNLOCK_CHECKLIST], note: '書類とセルフィーを確認' });
    assert.equal(requested.status, 303);
    const [req] = await app.db.query<{ id: string }>(`SELECT id FROM unlock_requests WHERE account_id = $1`, [v.id]);

    const self = await html(await a.postForm(`/staff/accounts/${v.id}/unlock-requests/${req!.id}/approve`, {}));
    assert.equal(self.status, 403, 'the requester cannot approve');
    assert.match(self.body, new RegExp(t('ja', 'error.FORBIDDEN.four_eyes').slice(0, 15)));
    await assert.rejects(store.placeOrder(v.id, { pair: 'BTC/JPY', side: 'buy', amount: '1' }), 'still locked');

    const approved = await b.postForm(`/staff/accounts/${v.id}/unlock-requests/${req!.id}/approve`, {});
    assert.equal(approved.status, 303);
    assert.ok(await store.placeOrder(v.id, { pair: 'BTC/JPY', side: 'buy', amount: '1' }), 'trading works again');
    const [audit] = await app.db.query<{ actor_id: string; data: { requestedBy: string; approvedBy: string } }>(
      `SELECT actor_id, data FROM audit_log WHERE action = 'account.unlock' AND target_id = $1`,
      [v.id],
    );
    assert.equal(audit?.data.requestedBy, staffA!.id);
    assert.equal(audit?.data.approvedBy, staffB!.id);
    const [cred] = await app.db.query<{ must_reset_password: boolean; must_reenrol_2fa: boolean }>(`SELECT must_reset_password, must_reenrol_2fa FROM user_credentials WHERE account_id = $1`, [v.id]);
    assert.equal(cred?.must_reset_password, true);
    assert.equal(cred?.must_reenrol_2fa, true);
    // The old password and second factor no longer count: the owner gets a one-time link to set a new password.
    const [reset] = await app.db.query<{ password_hash: string; totp_secret: string | null }>(`SELECT password_hash, totp_secret FROM user_credentials WHERE account_id = $1`, [v.id]);
    assert.equal(reset?.totp_secret, null);
    assert.ok(!reset?.password_hash.startsWith('$argon2'), 'the old password hash is gone');
    const resetMail = await smtp.waitFor((m) => m.to.includes(v.email) && /\/account\/forgot\//.test(m.text), 10_000);
    const resetPath = new URL(/(http:\/\/\S+\/account\/forgot\/[\w-]+)/.exec(resetMail.text)![1]!).pathname;
    const resetForm = await fetch(app.baseUrl + resetPath, { headers: { 'accept-language': 'ja' } });
    assert.equal(resetForm.status, 200, 'the link opens the new-password form');
    assert.doesNotMatch(await resetForm.text(), /name="code"/, 'no old second factor is asked for');
    const after = await html(await b.get(`/staff/accounts/${v.id}`));
    assert.match(after.body, new RegExp(staffA!.name));
    assert.match(after.body, new RegExp(staffB!.name));

    // Agents (no account permission) do not get the page.
    const agent = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'agent'));
    assert.equal((await agent.get(`/staff/accounts/${v.id}`)).status, 403);
  });
});

describe('an expired link', () => {
  test('is refused, and locks nothing', async () => {
    const v = await victim('expired');
    const token = tokenOf(await app.lock.issueLockLink(v.id, v.email, 'password_change'));
    offset = 8 * DAY;
    try {
      assert.equal((await getLock(token)).status, 404);
      const res = await html(await postLock(token));
      assert.equal(res.status, 404);
      assert.match(res.body, new RegExp(t('ja', 'lock.invalid.title')));
      assert.equal(await store.accountForApiKey(v.apiKey), v.id, 'not locked');
    } finally {
      offset = 0;
    }
  });
});
