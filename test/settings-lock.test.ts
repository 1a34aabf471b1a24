/**
 * The settings lock (issue 16, point 4), through HTTP with a real SMTP server and an injected clock: while it holds,
 * password, email, 2FA, recovery codes, withdrawal addresses, emergency contact and the anti-phishing code are
 * refused with the date it ends (ja/en) and nothing changes — also through a mailed reset link; the emergency lock
 * and sign-out keep working; lifting it early waits 72 h, across a restart of the app on the same database with a
 * later clock, and is announced by a mail whose lock link works.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../src/store/db.ts';
import { FROZEN_ROUTES } from '../src/security-center/settings-lock.ts';
import { totpCode } from '../src/security-center/totp.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { startSmtpServer, type ReceivedMail, type SmtpTestServer } from './support/smtp.ts';
import { openMigratedDb } from './support/test-db.ts';
import { plain } from './support/text.ts';
import { createTestUser, USER_PASSWORD, UserBrowser } from './support/user-client.ts';

const HOUR = 3_600_000;
let now = new Date('2026-12-03T01:00:00Z'); // 10:00 JST
const clock = () => now;
let smtp: SmtpTestServer;
let db: Db;
let app: RunningApp;
let counter = 0;
const address = (tag: string) => `${tag}-${++counter}@example.jp`;

const start = () => startApp({ db, clock, config: { smtpUrl: smtp.url, mailSender: { pollMs: 50, backoffBaseMs: 50 } } });

before(async () => {
  smtp = await startSmtpServer();
  db = await openMigratedDb();
  app = await start();
});
after(async () => {
  await app?.stop();
  await db?.close();
  await smtp?.stop();
});

async function signedInUser(tag: string) {
  const { email, id } = await createTestUser(app, address(tag));
  const b = new UserBrowser(app, clock);
  assert.equal((await b.signIn(email)).status, 200);
  await b.stepUp(email);
  return { email, id, b };
}

const mailTo = (to: string, subject: RegExp, from = 0): Promise<ReceivedMail> =>
  smtp.waitFor((m) => m.to.includes(to) && subject.test(m.subject) && smtp.messages.indexOf(m) >= from, 10_000);
const passwordHash = async (id: string) => (await app.db.query<{ password_hash: string }>(`SELECT password_hash FROM user_credentials WHERE account_id = $1`, [id]))[0]!.password_hash;

/** A refusal by the settings lock: 403, the page says until when, and nothing else. */
function refused(r: { status: number; body: string }, until: RegExp) {
  assert.equal(r.status, 403, r.body.slice(0, 400));
  assert.match(plain(r.body), /セキュリティ設定はロックされています/);
  assert.match(plain(r.body), until);
  assert.match(plain(r.body), /何も変更していません/);
}

describe('while the settings lock holds', () => {
  test('every frozen route is a real route (a renamed one cannot escape the lock)', () => {
    for (const r of FROZEN_ROUTES) assert.ok(app.app.hasRoute({ method: r.method, url: r.url }), `${r.method} ${r.url}`);
  });

  test('password, email, 2FA, recovery codes, withdrawal address (also by a withdrawal to a new one), emergency contact and anti-phishing changes are refused with the end date (ja/en), nothing changes; sign-out and the emergency lock still work', async () => {
    const { email, id, b } = await signedInUser('frozen');
    assert.equal((await b.post('/account/addresses', { asset: 'BTC', address: 'bc1qknown00000001' })).status, 303, 'registered before the lock');
    const from = smtp.messages.length;
    const locked = await b.post('/account/settings-lock', { days: '7' });
    assert.equal(locked.status, 303, locked.body);
    const page = await b.follow(locked);
    assert.match(plain(page.body), /セキュリティ設定は 2026年12月10日 10:00 JST までロックされています/);
    const notice = await mailTo(email, /設定ロックの開始/, from);
    assert.match(notice.text, /ロック期限: 2026年12月10日 10:00 JST/);
    assert.match(notice.text, /\/lock\/[\w-]+/, 'the notice carries a lock link');

    now = new Date(now.getTime() + HOUR);
    const until = /2026年12月10日 10:00 JST まで/;
    const hash = await passwordHash(id);
    refused(await b.post('/account/password', { current: USER_PASSWORD, password: 'a brand new password' }), until);
    assert.equal(await passwordHash(id), hash, 'the password is the same');
    refused(await b.post('/account/email', { email: address('elsewhere'), current: USER_PASSWORD }), until);
    assert.equal((await app.db.query(`SELECT 1 FROM email_change_tokens WHERE account_id = $1`, [id])).length, 0, 'no email change started');
    const setup = await b.get('/account/2fa');
    const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(setup.body)![1]!.replace(/ /g, '');
    refused(await b.post('/account/2fa', { code: totpCode(secret, now), current: USER_PASSWORD }), until);
    assert.equal((await app.db.query(`SELECT 1 FROM user_credentials WHERE account_id = $1 AND totp_enabled_at IS NOT NULL`, [id])).length, 0, '2FA unchanged');
    refused(await b.post('/account/recovery-codes', {}), until);
    assert.equal((await app.db.query(`SELECT 1 FROM user_recovery_codes WHERE account_id = $1`, [id])).length, 0);
    refused(await b.post('/account/addresses', { asset: 'BTC', address: 'bc1qfrozen0000001' }), until);
    refused(await b.post('/account/withdrawals', { asset: 'btc', amount: '0.1', address: ' bc1qfrozen0000002 ' }), until);
    assert.equal((await app.db.query(`SELECT 1 FROM xch_withdrawal_addresses WHERE account_id = $1`, [id])).length, 1, 'no address added, not even by a withdrawal to it');
    // A withdrawal to the address registered before is not the lock's business (here the new-address hold answers).
    const known = await b.post('/account/withdrawals', { asset: 'BTC', amount: '0.1', address: 'bc1qknown00000001' });
    assert.doesNotMatch(plain(known.body), /セキュリティ設定はロックされています/);
    refused(await b.post('/account/contact', { email: address('family') }), until);
    assert.equal((await app.db.query(`SELECT 1 FROM user_credentials WHERE account_id = $1 AND emergency_contact IS NOT NULL`, [id])).length, 0);
    refused(await b.post('/account/anti-phishing', { code: 'うさぎ2026' }), until);
    assert.equal((await app.db.query(`SELECT 1 FROM anti_phishing_codes WHERE account_id = $1`, [id])).length, 0);

    // In English, in the same zone.
    const en = await b.post('/account/password?lang=en', { current: USER_PASSWORD, password: 'a brand new password' });
    assert.equal(en.status, 403);
    assert.match(plain(en.body), /Your security settings are locked until Dec 10, 2026, 10:00 JST, so this change cannot be made\. Nothing was changed\./);
    assert.match(plain(en.body), /ask for an early lift in the security center \(it takes a waiting period of 72 hours\)/);

    // A reset link mailed before or during the lock does not get round it.
    const forgot = new UserBrowser(app, clock);
    await forgot.get('/account/forgot');
    const asked = smtp.messages.length;
    await forgot.post('/account/forgot', { email, _pre: forgot.pre });
    const resetPath = /\/account\/forgot\/[\w-]+/.exec((await mailTo(email, /パスワードの再設定/, asked)).text)![0];
    refused(await forgot.get(resetPath), until);
    const resetPost = await forgot.post(resetPath, { password: 'another new password', _pre: forgot.pre });
    refused(resetPost, until);
    assert.equal(await passwordHash(id), hash);
    assert.doesNotMatch(resetPost.body, /\/account\/settings-lock/, 'a page opened by a link alone offers no security-center link');

    // What always works: signing other devices out, and the emergency lock.
    const other = new UserBrowser(app, clock, 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0');
    await other.signIn(email);
    assert.equal((await b.post('/account/sessions/revoke-others', {})).status, 303);
    assert.equal((await other.get('/account')).location, '/account/login');
    const confirm = await b.get('/account/lock');
    assert.equal(confirm.status, 200);
    const lock = await b.post('/account/lock?lang=ja', {});
    assert.equal(lock.status, 200, lock.body);
    assert.match(plain(lock.body), /アカウントをロックしました/);
    assert.equal((await app.accounts.findAccount({ accountId: id }))!.locked, true);
  });

  test('a recovery after a staff unlock (the forced new password) is never blocked by a lock someone else set', async () => {
    const { id, b } = await signedInUser('recovering');
    assert.equal((await b.post('/account/settings-lock', { days: '30' })).status, 303);
    await app.db.query(`UPDATE user_credentials SET must_reset_password = true WHERE account_id = $1`, [id]);
    const hash = await passwordHash(id);
    const r = await b.post('/account/reset', { password: 'the owner takes it back' });
    assert.equal(r.status, 303, r.body.slice(0, 300));
    assert.notEqual(await passwordHash(id), hash);
  });

  test('bad days are refused, a running lock is not shortened, and an early lift is refused when the lock ends sooner anyway', async () => {
    const { id, b } = await signedInUser('rules');
    for (const days of ['0', '31', '1.5', 'seven', '']) {
      const r = await b.post('/account/settings-lock', { days });
      assert.equal(r.status, 400, days);
      assert.match(plain(r.body), /ロックする日数は1〜30の整数で指定してください/);
    }
    assert.equal((await app.db.query(`SELECT 1 FROM settings_locks WHERE account_id = $1`, [id])).length, 0, 'nothing was locked');
    assert.equal((await b.post('/account/settings-lock', { days: '2' })).status, 303);
    const shorter = await b.post('/account/settings-lock', { days: '1' });
    assert.equal(shorter.status, 409);
    assert.match(plain(shorter.body), /期間を短くすることはできません/);
    const lift = await b.post('/account/settings-lock/lift', {});
    assert.equal(lift.status, 409, 'a 2-day lock ends before a 72 h wait would');
    assert.match(plain(lift.body), /早期解除の申請は不要です/);
    assert.equal((await b.post('/account/settings-lock', { days: '10' })).status, 303, 'extending works');
    const [row] = await app.db.query<{ locked_until: Date }>(`SELECT locked_until FROM settings_locks WHERE account_id = $1`, [id]);
    assert.equal(new Date(row!.locked_until).getTime(), now.getTime() + 10 * 24 * HOUR);
  });
});

describe('lifting it early', () => {
  test('waits 72 h across a restart on the same database, and is announced with a working lock link', async () => {
    now = new Date('2026-12-10T01:00:00Z'); // 10:00 JST
    const { email, id, b } = await signedInUser('lift');
    assert.equal((await b.post('/account/settings-lock', { days: '10' })).status, 303);
    const asked = smtp.messages.length;
    const requested = await b.post('/account/settings-lock/lift', {});
    assert.equal(requested.status, 303, requested.body);
    const page = plain((await b.follow(requested)).body);
    assert.match(page, /早期解除の申請を受け付けました \(2026年12月10日 10:00 JST\)。2026年12月13日 10:00 JST にロックが解除されます/);
    const mail = await mailTo(email, /設定ロックの早期解除が申請されました/, asked);
    assert.match(mail.text, /2026年12月13日 10:00 JST にロックが解除され/);
    assert.match(mail.text, /端末: Safari \/ iPhone/);
    const lockPath = /\/lock\/[\w-]+/.exec(mail.text)![0];
    assert.equal((await b.post('/account/settings-lock/lift', {})).status, 303, 'asking again changes nothing');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(smtp.messages.filter((m) => m.to.includes(email) && /早期解除/.test(m.subject)).length, 1, 'and sends no second mail');

    // Restart: a new app on the same database, 71 hours later.
    await app.stop();
    now = new Date(now.getTime() + 71 * HOUR);
    app = await start();
    const again = new UserBrowser(app, clock);
    assert.equal((await again.signIn(email)).status, 200);
    const stillLocked = await again.post('/account/password', { current: USER_PASSWORD, password: 'a brand new password' });
    refused(stillLocked, /2026年12月20日 10:00 JST まで/);
    assert.match(plain(stillLocked.body), /早期解除の申請により、2026年12月13日 10:00 JST にロックが解除されます/);

    // Two hours later the waiting period is over: the change goes through.
    now = new Date(now.getTime() + 2 * HOUR);
    const changed = await again.post('/account/password', { current: USER_PASSWORD, password: 'a brand new password' });
    assert.equal(changed.status, 303, changed.body.slice(0, 300));
    assert.match(plain((await again.get('/account/settings-lock')).body), /設定ロック.*オフ|セキュリティ設定を一定期間/);
    assert.doesNotMatch(plain((await again.get('/account/settings-lock')).body), /までロックされています/);

    // The announcement's lock link works (after the restart too).
    const confirm = await fetch(app.baseUrl + lockPath);
    assert.equal(confirm.status, 200);
    const used = await fetch(app.baseUrl + lockPath, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    assert.equal(used.status, 200, await used.text());
    assert.equal((await app.accounts.findAccount({ accountId: id }))!.locked, true, 'the lock link locked the account');
  });

  test('"keep the lock" cancels a lift asked for: past the waiting period the lock still holds', async () => {
    const { id, b } = await signedInUser('keep');
    assert.equal((await b.post('/account/settings-lock', { days: '10' })).status, 303);
    assert.equal((await b.post('/account/settings-lock/lift', {})).status, 303);
    const kept = await b.post('/account/settings-lock/keep', {});
    assert.equal(kept.status, 303);
    assert.match(plain((await b.follow(kept)).body), /早期解除を取り消しました/);
    now = new Date(now.getTime() + 73 * HOUR);
    const fresh = new UserBrowser(app, clock);
    await fresh.signIn((await app.accounts.findAccount({ accountId: id }))!.email);
    refused(await fresh.post('/account/password', { current: USER_PASSWORD, password: 'a brand new password' }), /まで/);
  });
});
