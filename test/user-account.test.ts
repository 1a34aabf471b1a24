/**
 * The user security center through HTTP, with a real SMTP server: sign-in (password + TOTP, recovery codes),
 * no enumeration, rate limits, sessions, password change and withdrawal holds, security emails with working
 * lock links, preparedness, the lock from the security center (way a), and the forced reset after an unlock.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningApp } from './support/app.ts';
import type { ReceivedMail, SmtpTestServer } from './support/smtp.ts';
import { totpCode } from '../src/security-center/totp.ts';
import { plain } from './support/text.ts';
import { createTestUser, startAppWithSmtp, stopAppWithSmtp, USER_PASSWORD as PASSWORD, UserBrowser } from './support/user-client.ts';

let now = new Date('2026-11-25T01:00:00Z');
const advance = (ms: number) => { now = new Date(now.getTime() + ms); };
let app: RunningApp;
let smtp: SmtpTestServer;
let counter = 0;

const browser = (ua?: string, headers?: Record<string, string>) => new UserBrowser(app, () => now, ua, headers);

const newUser = (tag: string) => createTestUser(app, `${tag}-${++counter}@example.jp`);

const linkIn = (m: ReceivedMail) => {
  const found = /(http:\/\/[^\s]+\/lock\/[\w-]+)/.exec(m.text);
  assert.ok(found, `a lock link in ${m.subject}`);
  return found[1]!;
};

/** Turns on 2FA through the pages (a step-up by the emailed code, and the password); returns the secret. Moves the clock one step so codes differ. */
async function enableTotp(b: UserBrowser, email: string): Promise<string> {
  await b.stepUp(email);
  const page = await b.get('/account/2fa');
  assert.equal(page.status, 200);
  assert.match(page.body, /<img src="data:image\/png;base64,/);
  const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(page.body)![1]!.replace(/ /g, '');
  const r = await b.post('/account/2fa', { code: totpCode(secret, now), current: PASSWORD });
  assert.equal(r.status, 303, r.body);
  advance(30_000);
  return secret;
}

before(async () => {
  ({ app, smtp } = await startAppWithSmtp(() => now));
});
after(() => stopAppWithSmtp(app, smtp));

describe('sign-in', () => {
  test('password + TOTP; a replayed code is refused; a recovery code works once', async () => {
    const { email } = await newUser('totp');
    const b = browser();
    const center = await b.signIn(email);
    assert.equal(center.status, 200);
    assert.match(plain(center.body), /セキュリティセンター/);
    const secret = await enableTotp(b, email);
    await smtp.waitFor((m) => m.to.includes(email) && /二段階認証/.test(m.subject));

    // A fresh sign-in needs the code; the same code twice is refused.
    const c = browser();
    await c.get('/account/login');
    const first = await c.post('/account/login', { email, password: PASSWORD });
    assert.equal(first.location, '/account/login/2fa');
    assert.equal((await c.get('/account')).location, '/account/login', 'no access before the second factor');
    await c.get('/account/login/2fa');
    const code = totpCode(secret, now);
    const ok = await c.post('/account/login/2fa', { code });
    assert.equal(ok.location, '/account');
    assert.equal((await c.get('/account')).status, 200);

    const d = browser();
    await d.get('/account/login');
    await d.post('/account/login', { email, password: PASSWORD });
    await d.get('/account/login/2fa');
    const replay = await d.post('/account/login/2fa', { code });
    assert.equal(replay.status, 401);
    assert.match(plain(replay.body), /すでに使われています/);

    // Recovery codes: shown once, each works once.
    const codesPage = await c.post('/account/recovery-codes', {});
    assert.equal(codesPage.status, 200);
    const codes = [...codesPage.body.matchAll(/<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})<\/code>/g)].map((m) => m[1]!);
    assert.equal(codes.length, 10);
    const [row] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM user_recovery_codes WHERE code_hash = $1`, [codes[0]]);
    assert.equal(row!.n, 0, 'only hashes are stored');
    const e = browser();
    await e.get('/account/login');
    await e.post('/account/login', { email, password: PASSWORD });
    await e.get('/account/login/2fa');
    assert.equal((await e.post('/account/login/2fa', { recovery: codes[0]!.toUpperCase() })).location, '/account');
    const f = browser();
    await f.get('/account/login');
    await f.post('/account/login', { email, password: PASSWORD });
    await f.get('/account/login/2fa');
    assert.equal((await f.post('/account/login/2fa', { recovery: codes[0]! })).status, 401, 'a recovery code works once');
  });

  test('a wrong password and an unknown address get the same answer; no enumeration', async () => {
    const { email } = await newUser('enum');
    const b = browser();
    await b.get('/account/login');
    const wrong = await b.post('/account/login', { email, password: 'not the password' });
    const unknown = await b.post('/account/login', { email: `nobody-${counter}@example.jp`, password: 'not the password' });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    const msg = (s: string) => /<p class="error-box" role="alert">([^<]*)</.exec(s)?.[1];
    assert.equal(msg(wrong.body), msg(unknown.body));
    assert.match(msg(wrong.body)!, /正しくありません/);
  });

  test('rate limits: repeated failures for one account are refused with a clear message', async () => {
    const { email } = await newUser('limit');
    const b = browser('Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36');
    await b.get('/account/login');
    let last = { status: 0, body: '' };
    for (let i = 0; i < 9; i++) last = await b.post('/account/login', { email, password: `wrong ${i}` });
    assert.equal(last.status, 429);
    assert.match(plain(last.body), /試行回数が多すぎます/);
    // Even the right password waits out the window (this browser has no device cookie of the account yet).
    assert.equal((await b.post('/account/login', { email, password: PASSWORD })).status, 429);
    advance(16 * 60_000);
    assert.equal((await b.post('/account/login', { email, password: PASSWORD })).status, 303);
    // Known devices, the account's own limit and how long a new device can wait: test/sign-in-lockout.test.ts.
    const c = browser('Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0');
    await c.get('/account/login');
    // An unknown address is limited the same way (nothing tells it apart).
    const ghost = `ghost-${counter}@example.jp`;
    let ghostLast = 0;
    for (let i = 0; i < 9; i++) ghostLast = (await c.post('/account/login', { email: ghost, password: `wrong ${i}` })).status;
    assert.equal(ghostLast, 429);
    advance(16 * 60_000);
    // Credential stuffing: failures from one address across many accounts trip the per-address back-off.
    const victim = await newUser('stuffing');
    // (The failures earlier in this test count too: the address has a budget of 100 before it waits.)
    let tries = 0;
    while ((await c.post('/account/login', { email: `list-${tries}-${counter}@example.jp`, password: `guess ${tries}` })).status === 401) tries++;
    assert.ok(tries > 30 && tries <= 100, `the address was stopped after ${tries} more failures`);
    const blocked = await c.post('/account/login', { email: victim.email, password: PASSWORD });
    assert.equal(blocked.status, 429, 'the address waits, even with the right password');
    advance(16 * 60_000);
    assert.equal((await c.post('/account/login', { email: victim.email, password: PASSWORD })).status, 303);
    const [fails] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM account_events a JOIN xch_accounts x ON x.id = a.account_id WHERE x.email = $1 AND kind = 'sign_in_failed'`, [email]);
    assert.ok(fails!.n >= 8, 'failed sign-ins are account events');
  });

  test('POST without the CSRF token is refused', async () => {
    const { email } = await newUser('csrf');
    const b = browser();
    await b.signIn(email);
    const r = await b.post('/account/sessions/revoke-others', {}, { csrf: false });
    assert.equal(r.status, 403);
  });
});

describe('sessions', () => {
  test('list, revoke one, revoke all others: a revoked cookie is refused at once', async () => {
    const { email } = await newUser('sessions');
    const phone = browser();
    const laptop = browser('Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537.36');
    const tablet = browser('Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile Safari/537.36');
    await phone.signIn(email);
    await laptop.signIn(email);
    await tablet.signIn(email);
    const page = await phone.get('/account');
    assert.match(plain(page.body), /Chrome \/ Windows/);
    assert.match(plain(page.body), /Chrome \/ Android/);
    assert.match(plain(page.body), /Safari \/ iPhone/);
    const hashes = [...page.body.matchAll(/name="session" value="([0-9a-f]{64})"/g)].map((m) => m[1]!);
    assert.equal(hashes.length, 2);
    // Revoke the laptop's session: find it by the row's device.
    const laptopHash = /Chrome \/ Windows[\s\S]*?name="session" value="([0-9a-f]{64})"/.exec(page.body)![1]!;
    assert.equal((await phone.post('/account/sessions/revoke', { session: laptopHash })).status, 303);
    assert.equal((await laptop.get('/account')).location, '/account/login');
    assert.equal((await tablet.get('/account')).status, 200);
    assert.equal((await phone.post('/account/sessions/revoke-others', {})).status, 303);
    assert.equal((await tablet.get('/account')).location, '/account/login');
    assert.equal((await phone.get('/account')).status, 200);
    const [audit] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action IN ('user.session_revoke','user.session_revoke_all') AND actor_type = 'user'`);
    assert.ok(audit!.n >= 2);
    // Sign out: the session is revoked in the database, not only forgotten by the browser.
    const cookie = phone.cookies.get('kinkyu_user')!;
    assert.equal((await phone.post('/account/logout', {})).location, '/account/login');
    const res = await fetch(`${app.baseUrl}/account`, { redirect: 'manual', headers: { cookie: `kinkyu_user=${cookie}` } });
    assert.equal(res.headers.get('location'), '/account/login');
  });
});

describe('withdrawal holds and security emails', () => {
  test('password change → hold → withdrawal refused until the hold passes; every notice has a working lock link', async () => {
    const { email, id } = await newUser('hold');
    const b = browser();
    await b.signIn(email);
    await b.stepUp(email); // withdrawals and new addresses need a recent step-up
    const signInMail = await smtp.waitFor((m) => m.to.includes(email) && /新しい端末/.test(m.subject));
    assert.match(signInMail.text, /\/lock\//);

    // An address never registered is not paid out at once: the attempt registers it and starts its hold.
    const unknown = await b.post('/account/withdrawals', { asset: 'BTC', amount: '0.1', address: 'bc1qneverseen0009' });
    assert.equal(unknown.status, 403);
    assert.match(plain(unknown.body), /使えません/);
    // Before any change, to an address past its hold: a withdrawal goes through, with a notice.
    await app.db.query(`INSERT INTO xch_withdrawal_addresses (id, account_id, asset, address, created_at, usable_after) VALUES ('addr0001hold', $1, 'BTC', 'bc1qexampleaddress0001', now(), $2)`, [id, new Date(0)]);
    assert.equal((await b.post('/account/withdrawals', { asset: 'BTC', amount: '0.1', address: 'bc1qexampleaddress0001' })).status, 303);
    await smtp.waitFor((m) => m.to.includes(email) && /出金の申請/.test(m.subject));

    // The current password is needed.
    assert.equal((await b.post('/account/password', { current: 'wrong', password: 'a brand new password' })).status, 401);
    assert.equal((await b.post('/account/password', { current: PASSWORD, password: 'a brand new password' })).status, 303);
    const pwMail = await smtp.waitFor((m) => m.to.includes(email) && /パスワードの変更/.test(m.subject));
    const refused = await b.post('/account/withdrawals', { asset: 'BTC', amount: '0.1', address: 'bc1qexampleaddress0001' });
    assert.equal(refused.status, 403);
    assert.match(plain(refused.body), /保留/);
    assert.match(plain((await b.get('/account')).body), /出金を保留しています/);

    // A new address becomes usable after its hold only.
    advance(24 * 3_600_000 + 1000);
    assert.equal((await b.get('/account')).location, '/account/login', 'a session lasts 12 hours');
    await b.signIn(email, 'a brand new password');
    await b.stepUp(email);
    assert.equal((await b.post('/account/addresses', { asset: 'BTC', address: 'bc1qnewaddress0002' })).status, 303);
    const addrMail = await smtp.waitFor((m) => m.to.includes(email) && /出金先アドレスの追加/.test(m.subject));
    // A new address soon after a password change makes detection ask for a step-up: the next withdrawal needs one again.
    const flagged = await b.post('/account/withdrawals', { asset: 'BTC', amount: '0.2', address: 'bc1qnewaddress0002' });
    assert.equal(flagged.status, 403);
    assert.match(plain(flagged.body), /本人確認/);
    await b.stepUp(email);
    const early = await b.post('/account/withdrawals', { asset: 'BTC', amount: '0.2', address: 'bc1qnewaddress0002' });
    assert.equal(early.status, 403);
    assert.match(plain(early.body), /使えません/);
    assert.equal((await b.post('/account/withdrawals', { asset: 'BTC', amount: '0.2', address: 'bc1qexampleaddress0001' })).status, 303, 'the hold itself has passed');
    advance(24 * 3_600_000 + 1000);
    await b.signIn(email, 'a brand new password');
    await b.stepUp(email);
    assert.equal((await b.post('/account/withdrawals', { asset: 'BTC', amount: '0.2', address: 'bc1qnewaddress0002' })).status, 303);

    // Every notice's link is its own and works (checked without using up the others).
    for (const m of [signInMail, pwMail, addrMail]) {
      const link = linkIn(m);
      assert.equal(await app.lock.lockLinkValid(link.split('/lock/')[1]!), true, m.subject);
    }
    const emailPage = await b.post('/account/email', { email: `moved-${counter}@example.jp`, current: 'a brand new password' });
    assert.equal(emailPage.status, 303);
    // The change waits for the new address to confirm it (see user-email-change.test.ts).
    const confirmMail = await smtp.waitFor((m) => m.to.includes(`moved-${counter}@example.jp`) && /新しいメールアドレスの確認/.test(m.subject));
    const confirmPath = new URL(/(http:\/\/\S+\/account\/email\/confirm\/[\w-]+)/.exec(confirmMail.text)![1]!).pathname;
    await b.get(confirmPath);
    assert.equal((await b.post(confirmPath, { _pre: b.pre })).status, 200);
    const toOld = await smtp.waitFor((m) => m.to.includes(email) && /メールアドレスの変更/.test(m.subject));
    await smtp.waitFor((m) => m.to.includes(`moved-${counter}@example.jp`) && /メールアドレスの変更/.test(m.subject));
    // The lock link from the old address's notice locks the account (way b, served by the lock routes).
    const result = await app.lock.lockByLink(linkIn(toOld).split('/lock/')[1]!, { type: 'user', id: null, ip: '127.0.0.1' }, 'ja');
    assert.equal(result.effects.newlyLocked, true);
    assert.equal((await b.get('/account')).location, '/account/login', 'the session ended with the lock');
    const [acct] = await app.db.query<{ locked_at: Date | null }>(`SELECT locked_at FROM xch_accounts WHERE id = $1`, [id]);
    assert.ok(acct!.locked_at);
  });

  test('2FA change needs the current password, holds withdrawals and sends a notice', async () => {
    const { email } = await newUser('tfa-change');
    const b = browser();
    await b.signIn(email);
    const secret1 = await enableTotp(b, email);
    await b.stepUp(email, secret1); // replacing the authenticator needs a recent step-up
    const page = await b.get('/account/2fa');
    const secret2 = /id="totp-secret">([A-Z2-7 ]+)</.exec(page.body)![1]!.replace(/ /g, '');
    assert.equal((await b.post('/account/2fa', { code: totpCode(secret2, now), current: 'wrong' })).status, 401);
    assert.equal((await b.post('/account/2fa', { code: totpCode(secret2, now), current: PASSWORD })).status, 303);
    const mails = smtp.messages.filter((m) => m.to.includes(email) && /二段階認証/.test(m.subject));
    await smtp.waitFor((m) => m.to.includes(email) && /二段階認証/.test(m.subject) && !mails.slice(0, 1).includes(m));
    assert.equal((await b.post('/account/withdrawals', { asset: 'BTC', amount: '1', address: 'bc1qexampleaddress0001' })).status, 403);
  });
});

describe('language', () => {
  test('a user who signs in in English gets English pages and English security emails', async () => {
    const { email } = await newUser('english');
    const b = browser(undefined, { 'accept-language': 'en' });
    const center = await b.signIn(email);
    assert.match(plain(center.body), /Security center/);
    assert.match(plain(center.body), /Lock my account now/);
    const mail = await smtp.waitFor((m) => m.to.includes(email) && /new device or country/.test(m.subject));
    assert.match(mail.text, /If this wasn't you — lock your account now/);
  });
});

describe('preparedness', () => {
  test('the score changes as items are fixed; the emergency contact counts once verified', async () => {
    const { email, id } = await newUser('prep');
    const b = browser();
    const score = async () => Number(/備えの達成度: (\d) \/ 9/.exec(plain((await b.get('/account')).body))![1]);
    await b.signIn(email);
    assert.equal(await score(), 1, 'only the fresh password');
    const secret = await enableTotp(b, email);
    assert.equal(await score(), 2);
    await b.stepUp(email, secret); // new recovery codes need a recent step-up
    await b.get('/account');
    await b.post('/account/recovery-codes', {});
    await b.get('/account');
    await b.post('/account/allowlist', {});
    await b.post('/account/declare', { item: 'privateKeyBackup' });
    await b.post('/account/declare', { item: 'bookmarked' });
    await b.post('/account/declare', { item: 'faqRead' });
    assert.equal(await score(), 7);
    const contact = `family-${counter}@example.jp`;
    await b.post('/account/contact', { email: contact });
    assert.equal(await score(), 7, 'not yet verified');
    const mail = await smtp.waitFor((m) => m.to.includes(contact));
    const code = /^\s+(\d{6})$/m.exec(mail.text)![1]!;
    assert.equal((await b.post('/account/contact/verify', { code: '000000' === code ? '111111' : '000000' })).status, 400);
    assert.equal((await b.post('/account/contact/verify', { code })).status, 303);
    assert.equal(await score(), 8);
    // A verified contact gets lock links from the help center.
    await app.lock.requestLockLinks(email, 'ja');
    await app.lock.settled();
    await smtp.waitFor((m) => m.to.includes(contact) && /ロック/.test(m.subject));
    const [a] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE actor_type = 'user' AND actor_id = $1`, [id]);
    assert.ok(a!.n >= 8, 'every change is audited');
  });
});

describe('lock way (a): from the security center', () => {
  test('one button, one confirmation: sessions, API key, withdrawals and trading refused; ticket and email', async () => {
    const { email, id } = await newUser('lock');
    const apiKey = await app.referenceStore!.createApiKey(id, 'bot');
    const b = browser();
    const other = browser('Mozilla/5.0 (Windows NT 10.0) Chrome/120.0');
    await b.signIn(email);
    await other.signIn(email);
    const wd = await app.referenceStore!.requestWithdrawal(id, { asset: 'BTC', amount: '1', address: 'bc1qpending' });
    const center = await b.get('/account');
    assert.match(center.body, /href="\/account\/lock"/);
    const confirm = await b.get('/account/lock');
    assert.equal(confirm.status, 200);
    assert.doesNotMatch(confirm.body, /type="password"/, 'a lock never asks for the password');
    const done = await b.post('/account/lock', {});
    assert.equal(done.status, 200);
    assert.match(plain(done.body), /アカウントをロックしました/);
    const ticket = /id="lock-ticket">(\d+)</.exec(done.body)![1]!;

    assert.equal((await b.get('/account')).location, '/account/login');
    assert.equal((await other.get('/account')).location, '/account/login');
    assert.equal(await app.referenceStore!.accountForApiKey(apiKey), null);
    await assert.rejects(app.referenceStore!.requestWithdrawal(id, { asset: 'BTC', amount: '1', address: 'bc1qx' }), /withdrawals_blocked/);
    await assert.rejects(app.referenceStore!.placeOrder(id, { pair: 'btc_jpy', side: 'buy', amount: '1' }), /trading_blocked/);
    const [w] = await app.db.query<{ status: string }>(`SELECT status FROM xch_withdrawals WHERE id = $1`, [wd]);
    assert.equal(w!.status, 'cancelled');
    const [t] = await app.db.query<{ type: string; priority: string }>(`SELECT type, priority FROM tickets WHERE number = $1`, [Number(ticket)]);
    assert.equal(t!.type, 'security');
    assert.equal(t!.priority, 'urgent');
    await smtp.waitFor((m) => m.to.includes(email) && /ロックしました/.test(m.subject));
    const [l] = await app.db.query<{ source: string; actor_type: string }>(`SELECT source, actor_type FROM account_locks WHERE account_id = $1`, [id]);
    assert.deepEqual({ ...l }, { source: 'self', actor_type: 'user' });

    // Signing in again shows only "your account is locked".
    const c = browser();
    await c.get('/account/login');
    const again = await c.post('/account/login', { email, password: PASSWORD });
    assert.equal(again.status, 403);
    assert.match(plain(again.body), /アカウントはロックされています/);
  });

  test('with SMTP down the lock still succeeds; the email goes out once SMTP is back', async () => {
    const { email } = await newUser('smtp-down');
    const b = browser();
    await b.signIn(email);
    await b.get('/account/lock');
    await smtp.stop();
    try {
      const done = await b.post('/account/lock', {});
      assert.equal(done.status, 200);
      assert.equal((await b.get('/account')).location, '/account/login');
    } finally {
      await smtp.start();
    }
    await smtp.waitFor((m) => m.to.includes(email) && /ロックしました/.test(m.subject), 15_000);
  });
});

describe('after an unlock', () => {
  test('a new password and 2FA again before anything else', async () => {
    const { email, id } = await newUser('reset');
    const b = browser();
    await b.signIn(email);
    const secret = await enableTotp(b, email);
    await app.db.query(`UPDATE user_credentials SET must_reset_password = true, must_reenrol_2fa = true WHERE account_id = $1`, [id]);
    const c = browser();
    const landed = await c.follow(await c.signIn(email, PASSWORD, secret));
    assert.equal(landed.status, 200);
    assert.match(plain(landed.body), /新しいパスワードの設定/);
    assert.equal((await c.get('/account')).location, '/account/reset');
    assert.equal((await c.get('/account/2fa')).location, '/account/reset');
    assert.equal((await c.post('/account/withdrawals', { asset: 'BTC', amount: '1', address: 'bc1qexampleaddress0001' })).status, 303);
    assert.equal((await c.post('/account/reset', { password: 'short' })).status, 400);
    assert.equal((await c.post('/account/reset', { password: 'a completely new password' })).location, '/account/2fa');
    assert.equal((await c.get('/account')).location, '/account/2fa');
    const setup = await c.get('/account/2fa');
    assert.doesNotMatch(setup.body, /name="current"/);
    const secret2 = /id="totp-secret">([A-Z2-7 ]+)</.exec(setup.body)![1]!.replace(/ /g, '');
    assert.notEqual(secret2, secret);
    assert.equal((await c.post('/account/2fa', { code: totpCode(secret2, now) })).location, '/account?done=totp');
    assert.equal((await c.get('/account')).status, 200);
    const [cred] = await app.db.query<{ must_reset_password: boolean; must_reenrol_2fa: boolean }>(`SELECT must_reset_password, must_reenrol_2fa FROM user_credentials WHERE account_id = $1`, [id]);
    assert.deepEqual({ ...cred }, { must_reset_password: false, must_reenrol_2fa: false });
  });
});

describe('forgot password', () => {
  test('the same answer for any address; the emailed link (with a 2FA code) sets a new password once, ends every session and holds withdrawals', async () => {
    const { email, id } = await newUser('forgot');
    const owner = browser();
    await owner.signIn(email);
    const secret = await enableTotp(owner, email);

    const other = browser();
    await other.get('/account/forgot');
    const unknown = await other.post('/account/forgot', { email: `nobody-${++counter}@example.jp`, _pre: other.pre });
    const known = await other.post('/account/forgot', { email, _pre: other.pre });
    assert.equal(unknown.status, 200);
    assert.equal(known.status, 200);
    assert.equal(plain(unknown.body), plain(known.body), 'the answer does not tell whether the account exists');

    const mail = await smtp.waitFor((m) => m.to.includes(email) && /パスワードの再設定/.test(m.subject));
    assert.match(mail.text, /\/lock\//, 'the mail also carries a lock link');
    const path = new URL(/(http:\/\/\S+\/account\/forgot\/[\w-]+)/.exec(mail.text)![1]!).pathname;
    const form = await other.get(path);
    assert.equal(form.status, 200);
    assert.match(form.body, /name="code"/, 'with 2FA on, the mailbox alone is not enough');
    assert.equal((await other.post(path, { password: 'a new password 2026', code: '000000', _pre: other.pre })).status, 401);
    const done = await other.post(path, { password: 'a new password 2026', code: totpCode(secret, now), _pre: other.pre });
    assert.equal(done.status, 303, done.body);
    assert.equal((await other.post(path, { password: 'another one 2026', code: totpCode(secret, now), _pre: other.pre })).status, 404, 'the link works once');

    assert.equal((await owner.get('/account')).location, '/account/login', 'every old session ended');
    const [account] = await app.db.query<{ withdrawal_hold_until: Date | null }>(`SELECT withdrawal_hold_until FROM xch_accounts WHERE id = $1`, [id]);
    assert.ok(account?.withdrawal_hold_until && new Date(account.withdrawal_hold_until) > now, 'withdrawals are held after a reset');
    await smtp.waitFor((m) => m.to.includes(email) && /パスワードの変更/.test(m.subject));

    advance(30_000);
    const signedIn = await browser().signIn(email, 'a new password 2026', secret);
    assert.equal(signedIn.status, 200, 'the new password (with 2FA) signs in');
  });
});

describe('step-up asked for by detection', () => {
  test('without an authenticator, sign-in needs a code sent by email; once passed, the next sign-in does not', async () => {
    const { email, id } = await newUser('stepup');
    await app.db.query(
      `INSERT INTO security_alerts (id, account_id, rules, score, evidence, actions) VALUES ($1, $2, '["new_country"]', 40, '[]', '{"stepUp":true}')`,
      [`stepup${++counter}`, id],
    );
    const b = browser();
    await b.get('/account/login');
    const first = await b.post('/account/login', { email, password: PASSWORD });
    assert.equal(first.location, '/account/login/2fa', 'the password alone is not enough now');
    const page = await b.get('/account/login/2fa');
    assert.match(page.body, /確認コードをお送りしました/);
    const mail = await smtp.waitFor((m) => m.to.includes(email) && /ログイン確認コード/.test(m.subject));
    const code = /確認コード: (\d{6})/.exec(mail.text)![1]!;
    assert.equal((await b.post('/account/login/2fa', { code: code === '000000' ? '111111' : '000000' })).status, 401);
    const done = await b.post('/account/login/2fa', { code });
    assert.equal(done.location, '/account', done.body);
    const again = browser();
    const second = await again.signIn(email);
    assert.equal(second.status, 200, 'the step-up was satisfied: no code the second time');
  });
});
