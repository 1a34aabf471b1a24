/**
 * Changing the account's email address through HTTP, with a real SMTP server: the new address confirms the
 * change by a single-use link (a button, not the GET), the answer never tells whether an address has an
 * account, a taken address only hears that nothing changed, and the old address is told with a lock link.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningApp } from './support/app.ts';
import type { ReceivedMail, SmtpTestServer } from './support/smtp.ts';
import { plain } from './support/text.ts';
import { createTestUser, startAppWithSmtp, stopAppWithSmtp, USER_PASSWORD as PASSWORD, UserBrowser } from './support/user-client.ts';

let now = new Date('2026-12-01T01:00:00Z');
const advance = (ms: number) => { now = new Date(now.getTime() + ms); };
let app: RunningApp;
let smtp: SmtpTestServer;
let counter = 0;

const browser = (ua?: string, headers?: Record<string, string>) => new UserBrowser(app, () => now, ua, headers);

const newUser = (tag: string) => createTestUser(app, `${tag}-${++counter}@example.jp`);

/** Signs in with the password, then passes the step-up an email change needs (the code mailed to the account). */
async function signedInAndSteppedUp(email: string): Promise<UserBrowser> {
  const b = browser();
  await b.get('/account/login');
  assert.equal((await b.follow(await b.post('/account/login', { email, password: PASSWORD }))).status, 200);
  const asked = await b.post('/account/email', { email: 'someone@example.jp', current: PASSWORD });
  assert.equal(asked.status, 403);
  const mail = await smtp.waitFor((m) => m.to.includes(email) && /操作の確認コード/.test(m.subject));
  const code = /確認コード: (\d{6})/.exec(mail.text)![1]!;
  assert.equal((await b.post('/account/step-up', { action: 'email', code })).status, 303);
  return b;
}

const confirmPathIn = (m: ReceivedMail) => new URL(/(http:\/\/\S+\/account\/email\/confirm\/[\w-]+)/.exec(m.text)![1]!).pathname;
const emailOf = async (id: string) => (await app.db.query<{ email: string }>(`SELECT email FROM xch_accounts WHERE id = $1`, [id]))[0]!.email;

before(async () => {
  ({ app, smtp } = await startAppWithSmtp(() => now));
});
after(() => stopAppWithSmtp(app, smtp));

describe('email change', () => {
  test('the same answer for a free and a taken address; the taken one only hears that nothing changed', async () => {
    const user = await newUser('mover');
    const owner = await newUser('owner');
    const b = await signedInAndSteppedUp(user.email);
    const free = `free-${++counter}@example.jp`;
    const toFree = await b.post('/account/email', { email: free, current: PASSWORD });
    const toTaken = await b.post('/account/email', { email: owner.email.toUpperCase(), current: PASSWORD });
    assert.equal(toFree.status, 303);
    assert.deepEqual([toTaken.status, toTaken.location], [toFree.status, toFree.location]);
    const freePage = plain((await b.get(toFree.location!)).body);
    assert.equal(plain((await b.get(toTaken.location!)).body), freePage, 'the page does not tell whether the address has an account');
    assert.match(freePage, /確認のメールをお送りしました/);

    const confirm = await smtp.waitFor((m) => m.to.includes(free) && /新しいメールアドレスの確認/.test(m.subject));
    assert.ok(confirmPathIn(confirm));
    const notice = await smtp.waitFor((m) => m.to.includes(owner.email) && /利用が試みられました/.test(m.subject));
    assert.match(notice.text, /何も変更されていません/);
    assert.doesNotMatch(notice.text, /\/account\/email\/confirm\//, 'no link that could move anything');
    assert.doesNotMatch(notice.text, new RegExp(user.email), 'the other account is not named');

    // Nothing changed for either account.
    assert.equal(await emailOf(user.id), user.email);
    assert.equal(await emailOf(owner.id), owner.email);
    const [pending] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM email_change_tokens WHERE lower(new_email) = $1`, [owner.email]);
    assert.equal(pending!.n, 0);
    const [ownerState] = await app.db.query<{ locked_at: Date | null; withdrawal_hold_until: Date | null }>(`SELECT locked_at, withdrawal_hold_until FROM xch_accounts WHERE id = $1`, [owner.id]);
    assert.deepEqual({ ...ownerState }, { locked_at: null, withdrawal_hold_until: null });
    const [ownerEvents] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM account_events WHERE account_id = $1`, [owner.id]);
    assert.equal(ownerEvents!.n, 0, 'the owner of the taken address is untouched');

    // A wrong current password: refused, nothing mailed.
    const wrong = await b.post('/account/email', { email: `other-${++counter}@example.jp`, current: 'not it' });
    assert.equal(wrong.status, 401);
    assert.match(plain(wrong.body), /現在のパスワードが正しくありません/);
    const [queued] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM mail_outbox WHERE to_address = $1`, [`other-${counter}@example.jp`]);
    assert.equal(queued!.n, 0);
  });

  test('the link shows a button; pressing it applies the change once, holds withdrawals and tells the old address with a lock link', async () => {
    const user = await newUser('confirm');
    const b = await signedInAndSteppedUp(user.email);
    const next = `next-${++counter}@example.jp`;
    assert.equal((await b.post('/account/email', { email: next, current: PASSWORD })).status, 303);
    const path = confirmPathIn(await smtp.waitFor((m) => m.to.includes(next) && /新しいメールアドレスの確認/.test(m.subject)));

    // Opening the link (as a mail scanner would) changes nothing.
    const other = browser('Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0');
    const page = await other.get(path);
    assert.equal(page.status, 200);
    assert.match(plain(page.body), new RegExp(`${next} に変更します`));
    assert.equal(await emailOf(user.id), user.email);

    const done = await other.post(path, {});
    assert.equal(done.status, 200, done.body);
    assert.match(plain(done.body), /メールアドレスを変更しました/);
    assert.equal(await emailOf(user.id), next);
    const [held] = await app.db.query<{ withdrawal_hold_until: Date | null }>(`SELECT withdrawal_hold_until FROM xch_accounts WHERE id = $1`, [user.id]);
    assert.ok(held?.withdrawal_hold_until && new Date(held.withdrawal_hold_until) > now, 'withdrawals are held');
    const [audit] = await app.db.query<{ data: { from: string; to: string } }>(`SELECT data FROM audit_log WHERE action = 'user.email_change' AND actor_id = $1`, [user.id]);
    assert.deepEqual({ from: audit!.data.from, to: audit!.data.to }, { from: user.email, to: next });

    const toOld = await smtp.waitFor((m) => m.to.includes(user.email) && /メールアドレスの変更/.test(m.subject));
    await smtp.waitFor((m) => m.to.includes(next) && /メールアドレスの変更/.test(m.subject));
    const lockToken = /\/lock\/([\w-]+)/.exec(toOld.text)![1]!;
    assert.equal(await app.lock.lockLinkValid(lockToken), true, 'the old address can still lock the account');

    // Signing in works with the new address; the link cannot be used again.
    const again = await other.post(path, {});
    assert.equal(again.status, 404);
    assert.match(plain(again.body), /このリンクは使えません/);
    assert.equal((await other.get(path)).status, 404);
    const c = browser();
    await c.get('/account/login');
    assert.equal((await c.post('/account/login', { email: next, password: PASSWORD })).location, '/account');

    // The old address's lock link locks the account.
    const locked = await app.lock.lockByLink(lockToken, { type: 'user', id: null, ip: '127.0.0.1' }, 'ja');
    assert.equal(locked.effects.newlyLocked, true);
  });

  test('an expired link, and a link replaced by a newer request, are refused and change nothing', async () => {
    const user = await newUser('expiry');
    const b = await signedInAndSteppedUp(user.email);
    const first = `first-${++counter}@example.jp`;
    assert.equal((await b.post('/account/email', { email: first, current: PASSWORD })).status, 303);
    const firstPath = confirmPathIn(await smtp.waitFor((m) => m.to.includes(first)));
    const second = `second-${++counter}@example.jp`;
    assert.equal((await b.post('/account/email', { email: second, current: PASSWORD })).status, 303);
    const secondPath = confirmPathIn(await smtp.waitFor((m) => m.to.includes(second)));

    const other = browser();
    await other.get('/account/login');
    assert.equal((await other.post(firstPath, {})).status, 404, 'replaced by the newer request');
    advance(61 * 60_000);
    assert.equal((await other.get(secondPath)).status, 404);
    const late = await other.post(secondPath, {});
    assert.equal(late.status, 404);
    assert.match(plain(late.body), /期限切れ/);
    assert.equal(await emailOf(user.id), user.email);
  });

  test('asking for a taken address ends the link sent for an earlier free one', async () => {
    const user = await newUser('probe');
    const owner = await newUser('probed');
    const b = await signedInAndSteppedUp(user.email);
    const free = `probe-free-${++counter}@example.jp`;
    assert.equal((await b.post('/account/email', { email: free, current: PASSWORD })).status, 303);
    const path = confirmPathIn(await smtp.waitFor((m) => m.to.includes(free) && /新しいメールアドレスの確認/.test(m.subject)));
    assert.equal((await b.post('/account/email', { email: owner.email, current: PASSWORD })).status, 303);
    await smtp.waitFor((m) => m.to.includes(owner.email) && /利用が試みられました/.test(m.subject));

    // Were the first link still alive, it would tell the requester that the second address has an account.
    const other = browser();
    await other.get('/account/login');
    assert.equal((await other.get(path)).status, 404);
    assert.equal((await other.post(path, {})).status, 404);
    assert.equal(await emailOf(user.id), user.email);
  });

  test('a lock, even one lifted since, or a new password after the request makes its link refuse', async () => {
    const user = await newUser('relock');
    const b = await signedInAndSteppedUp(user.email);
    const target = `relock-${++counter}@example.jp`;
    assert.equal((await b.post('/account/email', { email: target, current: PASSWORD })).status, 303);
    const path = confirmPathIn(await smtp.waitFor((m) => m.to.includes(target) && /新しいメールアドレスの確認/.test(m.subject)));
    advance(60_000);
    assert.equal((await b.post('/account/lock', {})).status, 200);
    await app.lock.settled(); // the record follows the answer
    advance(60_000);
    const [lock] = await app.db.query<{ id: string }>(`UPDATE account_locks SET unlocked_at = $2 WHERE account_id = $1 AND unlocked_at IS NULL RETURNING id`, [user.id, now]);
    await app.referenceStore!.unlock(user.id, { lockId: lock!.id });
    const other = browser();
    await other.get('/account/login');
    const refused = await other.post(path, {});
    assert.equal(refused.status, 409);
    assert.match(plain(refused.body), /変更は完了できませんでした/);
    assert.equal(await emailOf(user.id), user.email);

    // The same after a password change.
    const mover = await newUser('repass');
    const c = await signedInAndSteppedUp(mover.email);
    const next = `repass-${++counter}@example.jp`;
    assert.equal((await c.post('/account/email', { email: next, current: PASSWORD })).status, 303);
    const nextPath = confirmPathIn(await smtp.waitFor((m) => m.to.includes(next) && /新しいメールアドレスの確認/.test(m.subject)));
    advance(60_000);
    assert.equal((await c.post('/account/password', { current: PASSWORD, password: 'another long passphrase 42' })).status, 303);
    assert.equal((await other.post(nextPath, {})).status, 409);
    assert.equal(await emailOf(mover.id), mover.email);
  });

  test('a confirmation that loses the link to another one holds nothing', async () => {
    const user = await newUser('race');
    const b = await signedInAndSteppedUp(user.email);
    const target = `race-${++counter}@example.jp`;
    assert.equal((await b.post('/account/email', { email: target, current: PASSWORD })).status, 303);
    const path = confirmPathIn(await smtp.waitFor((m) => m.to.includes(target) && /新しいメールアドレスの確認/.test(m.subject)));
    // Another request uses the link up right when this one would hold withdrawals (the moment a race is lost in).
    const store = app.referenceStore!;
    const original = store.holdWithdrawals;
    let holds = 0;
    store.holdWithdrawals = async (accountId: string, until: Date) => {
      holds++;
      await app.db.query(`UPDATE email_change_tokens SET used_at = $2 WHERE account_id = $1 AND used_at IS NULL`, [accountId, now]);
      return original.call(store, accountId, until);
    };
    try {
      const other = browser();
      await other.get('/account/login');
      await other.post(path, {});
    } finally {
      store.holdWithdrawals = original;
    }
    assert.equal(holds, 1);
    const [held] = await app.db.query<{ withdrawal_hold_until: Date | null }>(`SELECT withdrawal_hold_until FROM xch_accounts WHERE id = $1`, [user.id]);
    assert.equal(held!.withdrawal_hold_until !== null, (await emailOf(user.id)) === target, 'withdrawals are held only together with the change');
  });

  test('a forged confirmation (no pre-sign-in token) is refused', async () => {
    const user = await newUser('forged');
    const b = await signedInAndSteppedUp(user.email);
    const target = `forged-${++counter}@example.jp`;
    await b.post('/account/email', { email: target, current: PASSWORD });
    const path = confirmPathIn(await smtp.waitFor((m) => m.to.includes(target)));
    const res = await fetch(app.baseUrl + path, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
    assert.equal(res.status, 403);
    assert.equal(await emailOf(user.id), user.email);
  });
});
