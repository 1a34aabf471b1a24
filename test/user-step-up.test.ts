/**
 * Step-up after sign-in, through HTTP: sensitive changes (withdrawal address, withdrawal, email, 2FA change,
 * recovery codes) need a second factor passed on the session within the window, and always while detection
 * has flagged the account; a wrong code backs off; the emergency lock never asks.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, type RunningApp } from './support/app.ts';
import type { SmtpTestServer } from './support/smtp.ts';
import { createUserAccount } from '../src/security-center/user-accounts.ts';
import { totpCode } from '../src/security-center/totp.ts';
import { plain } from './support/text.ts';
import { startAppWithSmtp, stopAppWithSmtp, USER_PASSWORD as PASSWORD, UserBrowser, type Page } from './support/user-client.ts';

let now = new Date('2026-12-02T01:00:00Z');
const advance = (ms: number) => { now = new Date(now.getTime() + ms); };
let app: RunningApp;
let smtp: SmtpTestServer;
let counter = 0;

const browser = (ua?: string, headers?: Record<string, string>) => new UserBrowser(app, () => now, ua, headers);

/** A user with an authenticator; returns a browser signed in with password + TOTP (a step-up just passed). */
async function totpUser(tag: string): Promise<{ email: string; id: string; secret: string; b: UserBrowser }> {
  const email = `${tag}-${++counter}@example.jp`;
  const id = await createUserAccount(app.db, app.referenceStore!, { email, password: PASSWORD });
  const setup = browser('Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0');
  await setup.signIn(email);
  await setup.stepUp(email); // even the first authenticator needs a step-up (tested below)
  const page = await setup.get('/account/2fa');
  const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(page.body)![1]!.replace(/ /g, '');
  assert.equal((await setup.post('/account/2fa', { code: totpCode(secret, now), current: PASSWORD })).status, 303);
  // Enrolling holds withdrawals; these tests are about step-up, not the hold.
  await app.db.query(`UPDATE xch_accounts SET withdrawal_hold_until = NULL WHERE id = $1`, [id]);
  advance(30_000);
  const b = browser();
  assert.equal((await b.signIn(email, PASSWORD, secret)).status, 200);
  advance(30_000); // the next code differs from the one the sign-in used
  return { email, id, secret, b };
}

const addAddress = (b: UserBrowser, n: number) => b.post('/account/addresses', { asset: 'BTC', address: `bc1qstepup${String(n).padStart(6, '0')}` });
const asksStepUp = (r: Page) => {
  assert.equal(r.status, 403, r.body);
  assert.match(plain(r.body), /本人確認/);
  assert.match(r.body, /action="\/account\/step-up"/);
};
const addresses = async (id: string) => (await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM xch_withdrawal_addresses WHERE account_id = $1`, [id]))[0]!.n;
const flag = (accountId: string) =>
  app.db.query(`INSERT INTO security_alerts (id, account_id, rules, score, evidence, actions) VALUES ($1, $2, '["new_country"]', 40, '[]', '{"stepUp":true}')`, [`flag${++counter}`, accountId]);

before(async () => {
  ({ app, smtp } = await startAppWithSmtp(() => now));
});
after(() => stopAppWithSmtp(app, smtp));

describe('step-up for sensitive actions', () => {
  test('right after a sign-in with TOTP it works; after the window it asks for a code, then works on submitting again', async () => {
    const { id, secret, b } = await totpUser('window');
    assert.equal((await addAddress(b, 1)).status, 303);
    advance(11 * 60_000);
    const asked = await addAddress(b, 2);
    asksStepUp(asked);
    assert.equal(await addresses(id), 1, 'nothing was added while asking');
    const passed = await b.post('/account/step-up', { action: 'address', code: totpCode(secret, now) });
    assert.equal(passed.status, 303);
    assert.equal(passed.location, '/account?done=steppedUp#wd-h');
    assert.match(plain((await b.get(passed.location!)).body), /本人確認が済みました/);
    assert.equal((await addAddress(b, 2)).status, 303);
    assert.equal(await addresses(id), 2);
    const [audit] = await app.db.query<{ data: { method: string } }>(`SELECT data FROM audit_log WHERE action = 'user.step_up' AND actor_id = $1`, [id]);
    assert.equal(audit!.data.method, 'totp');

    // Every sensitive action asks once the window has passed; the lock does not.
    advance(11 * 60_000);
    asksStepUp(await b.post('/account/withdrawals', { asset: 'BTC', amount: '0.1', address: 'bc1qstepup000001' }));
    asksStepUp(await b.post('/account/email', { email: `elsewhere-${counter}@example.jp`, current: PASSWORD }));
    asksStepUp(await b.post('/account/recovery-codes', {}));
    const setup = await b.get('/account/2fa');
    const secret2 = /id="totp-secret">([A-Z2-7 ]+)</.exec(setup.body)![1]!.replace(/ /g, '');
    asksStepUp(await b.post('/account/2fa', { code: totpCode(secret2, now), current: PASSWORD }));
    const [cred] = await app.db.query<{ totp_secret: string }>(`SELECT totp_secret FROM user_credentials WHERE account_id = $1`, [id]);
    assert.equal(cred!.totp_secret, secret, 'the authenticator was not replaced');
    const codes = await app.db.query(`SELECT 1 FROM user_recovery_codes WHERE account_id = $1`, [id]);
    assert.equal(codes.length, 0, 'no recovery codes were issued while asking');
    const confirm = await b.get('/account/lock');
    assert.equal(confirm.status, 200);
    assert.doesNotMatch(confirm.body, /step-up/);
  });

  test('while detection flags the account it always asks, even right after a step-up at sign-in', async () => {
    const { id, secret, b } = await totpUser('flagged');
    await flag(id);
    asksStepUp(await addAddress(b, 3));
    assert.equal((await b.post('/account/step-up', { action: 'address', code: totpCode(secret, now) })).status, 303);
    assert.equal((await addAddress(b, 3)).status, 303, 'the step-up satisfied the flag');
    const [alert] = await app.db.query<{ actions: { stepUpCompletedAt?: string } }>(`SELECT actions FROM security_alerts WHERE account_id = $1`, [id]);
    assert.ok(alert!.actions.stepUpCompletedAt);
    await flag(id);
    asksStepUp(await addAddress(b, 4));
  });

  test('a wrong code is refused, and repeated wrong codes back off even the right one', async () => {
    const { id, secret, b } = await totpUser('backoff');
    advance(11 * 60_000);
    asksStepUp(await addAddress(b, 5));
    const good = totpCode(secret, now);
    const wrong = good === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      const r = await b.post('/account/step-up', { action: 'address', code: wrong });
      assert.equal(r.status, 401);
      assert.match(plain(r.body), /コードが正しくない/);
    }
    const waiting = await b.post('/account/step-up', { action: 'address', code: good });
    assert.equal(waiting.status, 429);
    assert.match(plain(waiting.body), /試行回数が多すぎます/);
    asksStepUp(await addAddress(b, 5));
    assert.equal(await addresses(id), 0);
    advance(16 * 60_000);
    assert.equal((await b.post('/account/step-up', { action: 'address', code: totpCode(secret, now) })).status, 303);
    assert.equal((await addAddress(b, 5)).status, 303);
  });

  test('the emergency lock never asks, even when the account is flagged and the window has passed', async () => {
    const { id, b } = await totpUser('lock');
    await flag(id);
    advance(11 * 60_000);
    const confirm = await b.get('/account/lock');
    assert.equal(confirm.status, 200);
    const done = await b.post('/account/lock', {});
    assert.equal(done.status, 200);
    assert.match(plain(done.body), /アカウントをロックしました/);
  });

  test('without an authenticator the code comes by email (with a lock link); the code works once', async () => {
    const email = `mailed-${++counter}@example.jp`;
    const id = await createUserAccount(app.db, app.referenceStore!, { email, password: PASSWORD });
    const b = browser();
    assert.equal((await b.signIn(email)).status, 200);
    const asked = await addAddress(b, 6);
    asksStepUp(asked);
    assert.match(plain(asked.body), /確認コードをお送りしました/);
    const mail = await smtp.waitFor((m) => m.to.includes(email) && /操作の確認コード/.test(m.subject));
    assert.match(mail.text, /\/lock\/[\w-]+/, 'the code mail carries a lock link');
    const code = /確認コード: (\d{6})/.exec(mail.text)![1]!;
    assert.equal((await b.post('/account/step-up', { action: 'address', code })).status, 303);
    assert.equal((await addAddress(b, 6)).status, 303);
    assert.equal(await addresses(id), 1);
    advance(11 * 60_000);
    asksStepUp(await addAddress(b, 7));
    assert.equal((await b.post('/account/step-up', { action: 'address', code })).status, 401, 'a used code does not work again');
  });
});

describe('enrolling the first authenticator', () => {
  const totpEnabled = async (id: string) =>
    (await app.db.query<{ on: boolean }>(`SELECT totp_enabled_at IS NOT NULL AS on FROM user_credentials WHERE account_id = $1`, [id]))[0]!.on;

  test('a password-only session needs the code mailed to the current address and the current password', async () => {
    const email = `first-tfa-${++counter}@example.jp`;
    const id = await createUserAccount(app.db, app.referenceStore!, { email, password: PASSWORD });
    const b = browser();
    assert.equal((await b.signIn(email)).status, 200);
    const page = await b.get('/account/2fa');
    assert.match(page.body, /name="current"/, 'the page asks for the current password');
    const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(page.body)![1]!.replace(/ /g, '');

    // Someone holding only the session (and the password) cannot enrol their own authenticator.
    const asked = await b.post('/account/2fa', { code: totpCode(secret, now), current: PASSWORD });
    asksStepUp(asked);
    assert.match(plain(asked.body), /確認コードをお送りしました/);
    assert.equal(await totpEnabled(id), false);
    const mail = await smtp.waitFor((m) => m.to.includes(email) && /操作の確認コード/.test(m.subject));
    const code = /確認コード: (\d{6})/.exec(mail.text)![1]!;
    const passed = await b.post('/account/step-up', { action: 'totp', code });
    assert.equal(passed.location, '/account/2fa?done=steppedUp');

    const wrong = await b.post('/account/2fa', { code: totpCode(secret, now), current: 'not the password' });
    assert.equal(wrong.status, 401);
    assert.match(plain(wrong.body), /現在のパスワードが正しくありません/);
    assert.equal(await totpEnabled(id), false);

    await b.stepUp(email);
    assert.equal((await b.post('/account/2fa', { code: totpCode(secret, now), current: PASSWORD })).location, '/account?done=totp');
    assert.equal(await totpEnabled(id), true);
  });
});

describe('a window of 0', () => {
  test('every sensitive action asks, and one step-up lets one action through', async () => {
    const previous = process.env.STEP_UP_MINUTES;
    process.env.STEP_UP_MINUTES = '0';
    const strict = await startApp({ clock: () => now, config: { smtpUrl: smtp.url } });
    const main = app;
    try {
      app = strict;
      const { id, secret, b } = await totpUser('strict');
      asksStepUp(await addAddress(b, 8));
      assert.equal((await b.post('/account/step-up', { action: 'address', code: totpCode(secret, now) })).status, 303);
      assert.equal((await addAddress(b, 8)).status, 303);
      asksStepUp(await addAddress(b, 9));
      assert.equal(await addresses(id), 1);
    } finally {
      app = main;
      if (previous === undefined) delete process.env.STEP_UP_MINUTES;
      else process.env.STEP_UP_MINUTES = previous;
      await strict.stop();
    }
  });
});
