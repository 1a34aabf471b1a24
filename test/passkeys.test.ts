/**
 * Passkeys through HTTP, with a software authenticator (test/support/soft-authenticator.ts) answering the options
 * the pages carry: registration (step-up first, named, times shown, held withdrawals, notice, events, audit), sign-in
 * with a passkey alone, a passkey as the second factor and for step-up, removal behind step-up, recovery codes
 * still working, the lock never asking. Refusals: malformed responses and replayed challenges give clear ja/en
 * errors and change nothing; a signature counter that goes backwards is refused, the passkey turned off, the event
 * recorded and detection alerted. Plus the challenge store and the counter rule on their own (injected clock).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeStaff, startApp, type RunningApp } from './support/app.ts';
import { UNLOCK_CHECKLIST } from '../src/protection/emergency-lock.ts';
import { createUserAccount, newRecoveryCodes } from '../src/security-center/user-accounts.ts';
import { generateTotpSecret } from '../src/security-center/totp.ts';
import { plain } from './support/text.ts';
import { USER_PASSWORD as PASSWORD, UserBrowser, type Page } from './support/user-client.ts';
import { ceremonyOptions, SoftAuthenticator } from './support/soft-authenticator.ts';
import { WebAuthnChallenges, type ChallengeScope } from '../src/webauthn/challenges.ts';
import { counterWentBack } from '../src/webauthn/ceremony.ts';
import { formatDateTime } from '../src/web/i18n.ts';

let now = new Date('2026-12-02T01:00:00Z');
const advance = (ms: number) => { now = new Date(now.getTime() + ms); };
let app: RunningApp;
let counter = 0;

before(async () => {
  app = await startApp({ clock: () => now });
});
after(() => app?.stop());

const browser = (headers?: Record<string, string>) => new UserBrowser(app, () => now, undefined, headers);
const count = async (sql: string, params: unknown[]) => (await app.db.query<{ n: number }>(sql, params))[0]!.n;
const passkeys = (id: string) => count(`SELECT count(*)::int AS n FROM user_passkeys WHERE account_id = $1`, [id]);
const events = (id: string, kind: string) => count(`SELECT count(*)::int AS n FROM account_events WHERE account_id = $1 AND kind = $2`, [id, kind]);
const sessions = (id: string) => count(`SELECT count(*)::int AS n FROM user_sessions WHERE account_id = $1 AND revoked_at IS NULL AND pending_2fa = false`, [id]);

/** A user with an authenticator app, signed in with password + TOTP (so a step-up has just passed). */
async function totpUser(tag: string) {
  const email = `${tag}-${++counter}@example.jp`;
  const id = await createUserAccount(app.db, app.referenceStore!, { email, password: PASSWORD }, now);
  const secret = generateTotpSecret();
  await app.db.query(`UPDATE user_credentials SET totp_secret = $2, totp_enabled_at = $3 WHERE account_id = $1`, [id, secret, now]);
  const b = browser();
  assert.equal((await b.signIn(email, PASSWORD, secret)).status, 200);
  advance(31_000);
  return { email, id, secret, b };
}

/** The registration page for a passkey named `name` (the step-up is recent). */
async function registrationPage(b: UserBrowser, name: string): Promise<Page> {
  await b.get('/account/passkeys');
  const page = await b.post('/account/passkeys/new', { name });
  assert.equal(page.status, 200, page.body);
  return page;
}

async function register(b: UserBrowser, key: SoftAuthenticator, name: string): Promise<Page> {
  const page = await registrationPage(b, name);
  const r = await b.post('/account/passkeys/register', { name, response: key.create(ceremonyOptions(page)) });
  assert.equal(r.status, 303, r.body);
  assert.equal(r.location, '/account/passkeys?done=added');
  return b.get(r.location!);
}

const refused = (r: Page, status: number, message: RegExp) => {
  assert.equal(r.status, status, plain(r.body).slice(0, 400));
  assert.match(r.body, /role="alert"/);
  assert.match(plain(r.body), message);
};

describe('registering passkeys', () => {
  test('several, named, with created and last-used times in the reader\'s zone; withdrawals held, notice, event, audit', async () => {
    const { id, email, b } = await totpUser('reg');
    const key = new SoftAuthenticator(app.baseUrl);
    const first = now;
    const list = await register(b, key, '自分の iPhone');
    assert.match(plain(list.body), /パスキーを登録しました/);
    assert.match(plain(list.body), /自分の iPhone/);
    assert.ok(plain(list.body).includes(`登録: ${formatDateTime('ja', first, 'Asia/Tokyo')}`), 'created, in JST');
    assert.match(formatDateTime('ja', first, 'Asia/Tokyo'), /^\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d JST$/);
    assert.match(plain(list.body), /最終利用: まだ使われていません/);
    const options = ceremonyOptions(await registrationPage(b, 'x'));
    assert.equal(options.rp.id, '127.0.0.1', 'RP ID from PUBLIC_URL');
    assert.equal(options.authenticatorSelection?.residentKey, 'required');
    assert.equal(options.authenticatorSelection?.userVerification, 'required');
    assert.doesNotMatch(Buffer.from(options.user.id, 'base64url').toString('latin1'), new RegExp(id), 'the user handle is not the account id');

    advance(60_000);
    const second = now;
    await register(b, key, 'YubiKey');
    assert.equal(await passkeys(id), 2);
    const en = plain((await b.get('/account/passkeys?lang=en')).body);
    assert.ok(en.includes(`Added: ${formatDateTime('en', first, 'Asia/Tokyo')}`) && en.includes(`Added: ${formatDateTime('en', second, 'Asia/Tokyo')}`), en);
    assert.match(en, /Added: [A-Z][a-z]{2} \d{1,2}, \d{4}, \d\d:\d\d JST/);
    await b.get('/account/passkeys?lang=ja');

    assert.equal(await events(id, 'passkey_added'), 2);
    const [audit] = await app.db.query<{ data: { name: string } }>(`SELECT data FROM audit_log WHERE action = 'user.passkey_add' AND actor_id = $1 ORDER BY seq LIMIT 1`, [id]);
    assert.equal(audit!.data.name, '自分の iPhone');
    const [account] = await app.db.query<{ withdrawal_hold_until: Date | null }>(`SELECT withdrawal_hold_until FROM xch_accounts WHERE id = $1`, [id]);
    assert.ok(account!.withdrawal_hold_until && new Date(account!.withdrawal_hold_until) > now, 'withdrawals held');
    const mails = await app.db.query<{ subject: string; text_body: string }>(`SELECT subject, text_body FROM mail_outbox WHERE to_address = $1 AND subject LIKE '%パスキーの追加%'`, [email]);
    assert.equal(mails.length, 2);
    assert.match(mails[0]!.text_body, /\/lock\//, 'with a lock link');

    // The preparedness score: a passkey counts as two-factor and as the strongest factor besides.
    const center = await b.get('/account');
    assert.match(plain(center.body), /✓ パスキーを登録している/);
    assert.match(plain(center.body), /登録済みのパスキー: 2 件/);
  });

  test('adding one needs a step-up: without a recent one, the step-up page and nothing issued', async () => {
    const { id, secret, b } = await totpUser('reg-stepup');
    advance(11 * 60_000);
    await b.get('/account/passkeys');
    const asked = await b.post('/account/passkeys/new', { name: 'late' });
    assert.equal(asked.status, 403);
    assert.match(plain(asked.body), /本人確認/);
    assert.doesNotMatch(asked.body, /data-webauthn/);
    assert.equal(await count(`SELECT count(*)::int AS n FROM webauthn_challenges WHERE subject = $1`, [id]), 0);
    const { totpCode } = await import('../src/security-center/totp.ts');
    const passed = await b.post('/account/step-up', { action: 'passkey', code: totpCode(secret, now) });
    assert.equal(passed.location, '/account/passkeys?done=steppedUp');
    assert.equal((await b.post('/account/passkeys/new', { name: 'late' })).status, 200);
  });

  test('malformed registration responses: a clear message in ja and en, and nothing changes', async () => {
    const { id, b } = await totpUser('reg-bad');
    const key = new SoftAuthenticator(app.baseUrl);
    const evil = new SoftAuthenticator('https://kinkyu-login.example');
    const eventsBefore = await count(`SELECT count(*)::int AS n FROM account_events WHERE account_id = $1`, [id]);
    const auditBefore = await count(`SELECT count(*)::int AS n FROM audit_log WHERE actor_id = $1`, [id]);
    const cases: Array<{ response: (options: Parameters<SoftAuthenticator['create']>[0]) => string; status: number; ja: RegExp; en: RegExp; failure?: string }> = [
      { response: () => '', status: 400, ja: /JavaScriptを有効に/, en: /need JavaScript/ },
      { response: () => 'not json {', status: 400, ja: /読み取れませんでした/, en: /could not be read/ },
      { response: () => '{"id":"abc"}', status: 400, ja: /読み取れませんでした/, en: /could not be read/ },
      { response: () => JSON.stringify({ id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'bm90LWpzb24', attestationObject: 'AAAA' } }), status: 400, ja: /読み取れませんでした/, en: /could not be read/ },
      { response: (o) => { const r = JSON.parse(key.create(o)) as { response: { attestationObject: string } }; r.response.attestationObject = 'oWNmbXRkbm9uZQ'; return JSON.stringify(r); }, status: 401, ja: /確認できませんでした/, en: /could not be verified/ },
      { response: (o) => evil.create(o), status: 401, ja: /確認できませんでした/, en: /could not be verified/ },
      { response: (o) => key.create(o, { userVerified: false }), status: 401, ja: /指紋・顔認証・PIN/, en: /fingerprint, face or PIN/ },
      { response: (o) => key.create({ ...o, challenge: Buffer.from('a challenge we never issued').toString('base64url') }), status: 401, ja: /期限切れか、すでに使われています/, en: /expired or was already used/ },
      { response: () => '', failure: 'NotAllowedError', status: 400, ja: /取り消されたか、時間切れ/, en: /cancelled or timed out/ },
    ];
    for (const [i, c] of cases.entries()) {
      for (const lang of ['ja', 'en'] as const) {
        const page = await registrationPage(b, `bad ${i}`);
        const r = await b.post(`/account/passkeys/register${lang === 'en' ? '?lang=en' : ''}`, { name: `bad ${i}`, response: c.response(ceremonyOptions(page)), ...(c.failure ? { failure: c.failure } : {}) });
        refused(r, c.status, lang === 'en' ? c.en : c.ja);
        if (c.status !== 400 || i === 0) assert.match(plain(r.body), lang === 'en' ? /Nothing was changed|need JavaScript/ : /何も変更していません/);
      }
      await b.get('/account/passkeys?lang=ja');
    }
    assert.equal(await passkeys(id), 0, 'no passkey was added');
    assert.equal(await events(id, 'passkey_added'), 0);
    assert.equal(await count(`SELECT count(*)::int AS n FROM audit_log WHERE actor_id = $1 AND action = 'user.passkey_add'`, [id]), 0);
    const [account] = await app.db.query<{ withdrawal_hold_until: Date | null }>(`SELECT withdrawal_hold_until FROM xch_accounts WHERE id = $1`, [id]);
    assert.equal(account!.withdrawal_hold_until, null, 'no hold either');
    assert.ok((await count(`SELECT count(*)::int AS n FROM audit_log WHERE actor_id = $1`, [id])) === auditBefore);
    assert.ok((await count(`SELECT count(*)::int AS n FROM account_events WHERE account_id = $1 AND kind <> 'sign_in_failed'`, [id])) <= eventsBefore);
  });

  test('a replayed registration (the same answer twice) is refused: one passkey, not two', async () => {
    const { id, b } = await totpUser('reg-replay');
    const key = new SoftAuthenticator(app.baseUrl);
    const page = await registrationPage(b, 'once');
    const response = key.create(ceremonyOptions(page));
    assert.equal((await b.post('/account/passkeys/register', { name: 'once', response })).status, 303);
    refused(await b.post('/account/passkeys/register', { name: 'twice', response }), 401, /期限切れか、すでに使われています。何も変更していません/);
    assert.equal(await passkeys(id), 1);
    assert.equal(await events(id, 'passkey_added'), 1);
  });
});

describe('signing in with a passkey', () => {
  test('alone (usernameless, user verification required): a session, the passkey\'s last use shown, events', async () => {
    const { id, b } = await totpUser('alone');
    const key = new SoftAuthenticator(app.baseUrl);
    await register(b, key, 'laptop');
    advance(60_000);

    const fresh = browser();
    const login = await fresh.get('/account/login');
    assert.match(login.body, /href="\/account\/login\/passkey"/);
    const page = await fresh.get('/account/login/passkey');
    assert.equal(page.status, 200);
    assert.match(page.body, /<script src="\/assets\/webauthn\.js\?v=[0-9a-f]+" defer><\/script>/);
    const csp = (await fetch(`${app.baseUrl}/account/login/passkey`)).headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.doesNotMatch((await fetch(`${app.baseUrl}/account/login`)).headers.get('content-security-policy') ?? '', /script-src/, 'pages without a ceremony keep the no-script policy');
    const options = ceremonyOptions(page.body);
    assert.equal(options.userVerification, 'required');
    assert.deepEqual(options.allowCredentials ?? [], [], 'discoverable: no account named');
    const r = await fresh.post('/account/login/passkey', { response: key.get(options) });
    assert.equal(r.status, 303, plain(r.body));
    assert.equal(r.location, '/account');
    const center = await fresh.get('/account');
    assert.match(plain(center.body), /セキュリティセンター/);
    const list = await fresh.get('/account/passkeys');
    assert.ok(plain(list.body).includes(`最終利用: ${formatDateTime('ja', now, 'Asia/Tokyo')}`), 'last used, in JST');
    assert.equal(await events(id, 'passkey_used'), 1);
    const [signIn] = await app.db.query<{ data: { method: string } }>(`SELECT data FROM account_events WHERE account_id = $1 AND kind = 'sign_in' ORDER BY id DESC LIMIT 1`, [id]);
    assert.equal(signIn!.data.method, 'passkey');
    const js = await fetch(`${app.baseUrl}/assets/webauthn.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
  });

  test('refusals change nothing: replayed answer, no user verification, unknown passkey, malformed; ja and en', async () => {
    const { id, b } = await totpUser('alone-bad');
    const key = new SoftAuthenticator(app.baseUrl);
    await register(b, key, 'phone');
    const other = new SoftAuthenticator(app.baseUrl);
    other.create({ challenge: 'AAAA', rp: { id: '127.0.0.1' }, user: { id: 'AAAA' } });

    const fresh = browser();
    const first = ceremonyOptions((await fresh.get('/account/login/passkey')).body);
    const answer = key.get(first);
    assert.equal((await fresh.post('/account/login/passkey', { response: answer })).status, 303);
    const sessionsAfterOne = await sessions(id);

    const attacker = browser();
    await attacker.get('/account/login/passkey');
    refused(await attacker.post('/account/login/passkey', { response: answer }), 401, /期限切れか、すでに使われています/);
    await fresh.get('/account/login/passkey');
    refused(await fresh.post('/account/login/passkey', { response: answer }), 401, /期限切れか、すでに使われています/);

    const next = async (lang: 'ja' | 'en' = 'ja') => ceremonyOptions((await attacker.get(`/account/login/passkey?lang=${lang}`)).body);
    refused(await attacker.post('/account/login/passkey', { response: key.get(await next(), { userVerified: false }) }), 401, /指紋・顔認証・PIN/);
    refused(await attacker.post('/account/login/passkey', { response: other.get(await next()) }), 401, /このパスキーは登録されていません/);
    refused(await attacker.post('/account/login/passkey', { response: key.get(await next(), { origin: 'https://kinkyu-login.example' }) }), 401, /確認できませんでした/);
    refused(await attacker.post('/account/login/passkey?lang=en', { response: '{"id":1}' }), 400, /could not be read.*Nothing was changed/);
    await next('en');
    refused(await attacker.post('/account/login/passkey', { response: key.get(await next('en'), { userVerified: false }) }), 401, /did not confirm it is you/);
    await next('ja');
    assert.equal(await sessions(id), sessionsAfterOne, 'no session was made');
    assert.equal(attacker.cookies.has('kinkyu_user'), false);
    const passkey = (await app.db.query<{ disabled_at: Date | null }>(`SELECT disabled_at FROM user_passkeys WHERE account_id = $1`, [id]))[0]!;
    assert.equal(passkey.disabled_at, null, 'refusals never turn the passkey off');
  });

  test('a signature counter that goes backwards (a copied authenticator) is refused, the passkey turned off, the user warned, detection alerted', async () => {
    const { id, email, b } = await totpUser('clone');
    const key = new SoftAuthenticator(app.baseUrl);
    await register(b, key, 'cloned one');
    const fresh = browser();
    for (let i = 0; i < 3; i++) {
      const options = ceremonyOptions((await fresh.get('/account/login/passkey')).body);
      assert.equal((await fresh.post('/account/login/passkey', { response: key.get(options) })).status, 303);
    }
    const [stored] = await app.db.query<{ counter: string }>(`SELECT counter FROM user_passkeys WHERE account_id = $1`, [id]);
    assert.equal(Number(stored!.counter), 3);

    // The copy was taken when the counter was 1: its next signature says 2.
    const thief = browser();
    const options = ceremonyOptions((await thief.get('/account/login/passkey')).body);
    const r = await thief.post('/account/login/passkey', { response: key.get(options, { signCount: 2 }) });
    refused(r, 403, /署名カウンターが前回より戻っていた.*複製されたおそれ/);
    assert.match(r.body, /href="\/help\/lock"/, 'told to lock the account (signed out: the lock of the help center)');
    assert.equal(thief.cookies.has('kinkyu_user'), false);
    const [after] = await app.db.query<{ counter: string; disabled_at: Date | null; disabled_reason: string }>(`SELECT counter, disabled_at, disabled_reason FROM user_passkeys WHERE account_id = $1`, [id]);
    assert.equal(Number(after!.counter), 3, 'the counter did not move');
    assert.ok(after!.disabled_at, 'the passkey is turned off');
    assert.equal(after!.disabled_reason, 'counter_went_back');
    const [event] = await app.db.query<{ data: { storedCounter: number; receivedCounter: number } }>(`SELECT data FROM account_events WHERE account_id = $1 AND kind = 'passkey_cloned'`, [id]);
    assert.deepEqual([event!.data.storedCounter, event!.data.receivedCounter], [3, 2]);
    assert.equal(await count(`SELECT count(*)::int AS n FROM audit_log WHERE actor_id = $1 AND action = 'user.passkey_refused'`, [id]), 1);
    const [alert] = await app.db.query<{ rules: string[]; actions: { taken: string[] } }>(`SELECT rules, actions FROM security_alerts WHERE account_id = $1`, [id]);
    assert.deepEqual(alert!.rules, ['cloned_passkey']);
    assert.ok(alert!.actions.taken.includes('notify'));
    assert.equal(await count(`SELECT count(*)::int AS n FROM mail_outbox WHERE to_address = $1 AND text_body LIKE '%/lock/%' AND text_body LIKE '%複製されたおそれのあるパスキー%'`, [email]), 1, 'the owner is mailed a lock link');

    // Even the genuine authenticator cannot use it now; the list says why.
    const owner = browser();
    const again = ceremonyOptions((await owner.get('/account/login/passkey')).body);
    refused(await owner.post('/account/login/passkey', { response: key.get(again) }), 403, /複製されたおそれがあるため停止しています/);
    assert.match(plain((await b.get('/account/passkeys')).body), /停止中: 署名カウンターが前回より戻っていた/);
  });

  test('as the second factor instead of TOTP; a recovery code still works; a wrong passkey counts as a wrong code', async () => {
    const { id, email, b } = await totpUser('second');
    const key = new SoftAuthenticator(app.baseUrl);
    await register(b, key, 'only factor');
    // The authenticator app goes: the passkey is the account's only second factor.
    await app.db.query(`UPDATE user_credentials SET totp_secret = NULL, totp_enabled_at = NULL WHERE account_id = $1`, [id]);
    const codes = await app.db.transaction((tx) => newRecoveryCodes(tx, id, now));

    const c = browser();
    await c.get('/account/login');
    const afterPassword = await c.post('/account/login', { email, password: PASSWORD });
    assert.equal(afterPassword.location, '/account/login/2fa', 'a passkey makes the password alone not enough');
    const tfa = await c.get('/account/login/2fa');
    assert.match(tfa.body, /href="\/account\/login\/2fa\/passkey"/);
    assert.doesNotMatch(tfa.body, /name="code"/, 'no authenticator app, no code field');
    assert.match(tfa.body, /name="recovery"/);
    const page = await c.get('/account/login/2fa/passkey');
    const options = ceremonyOptions(page.body);
    assert.deepEqual((options.allowCredentials ?? []).map((x) => x.id), [key.credentials[0]!.id]);
    const wrong = new SoftAuthenticator(app.baseUrl);
    wrong.create({ challenge: 'AAAA', rp: { id: '127.0.0.1' }, user: { id: 'AAAA' } });
    refused(await c.post('/account/login/2fa/passkey', { response: wrong.get(options, { credential: wrong.credentials[0]! }) }), 401, /登録されていません/);
    assert.equal(await sessions(id), 1, 'still only the earlier session');
    const next = ceremonyOptions((await c.get('/account/login/2fa/passkey')).body);
    const ok = await c.post('/account/login/2fa/passkey', { response: key.get(next) });
    assert.equal(ok.status, 303, plain(ok.body));
    assert.equal(ok.location, '/account');
    const [signIn] = await app.db.query<{ data: { method: string } }>(`SELECT data FROM account_events WHERE account_id = $1 AND kind = 'sign_in' ORDER BY id DESC LIMIT 1`, [id]);
    assert.equal(signIn!.data.method, 'passkey');

    const d = browser();
    await d.get('/account/login');
    await d.post('/account/login', { email, password: PASSWORD });
    await d.get('/account/login/2fa');
    const byCode = await d.post('/account/login/2fa', { recovery: codes[0]! });
    assert.equal(byCode.location, '/account', 'recovery codes still work');
  });
});

describe('removing a passkey', () => {
  test('needs a step-up, which the passkey itself can give; the notice and the event follow', async () => {
    const { id, email, b } = await totpUser('remove');
    const key = new SoftAuthenticator(app.baseUrl);
    const list = await register(b, key, 'to remove');
    const passkeyId = /name="id" value="([^"]+)"/.exec(list.body)![1]!;
    advance(11 * 60_000);
    const asked = await b.post('/account/passkeys/remove', { id: passkeyId });
    assert.equal(asked.status, 403);
    assert.match(plain(asked.body), /本人確認/);
    assert.match(asked.body, /href="\/account\/step-up\/passkey\?action=passkey"/);
    assert.equal(await passkeys(id), 1, 'not removed while asking');

    const confirm = await b.get('/account/step-up/passkey?action=passkey');
    const options = ceremonyOptions(confirm.body);
    refused(await b.post('/account/step-up/passkey', { action: 'passkey', response: '{}' }), 400, /読み取れませんでした/);
    const passed = await b.post('/account/step-up/passkey', { action: 'passkey', response: key.get(options) });
    assert.equal(passed.location, '/account/passkeys?done=steppedUp');
    const [audit] = await app.db.query<{ data: { method: string } }>(`SELECT data FROM audit_log WHERE action = 'user.step_up' AND actor_id = $1 ORDER BY seq DESC LIMIT 1`, [id]);
    assert.equal(audit!.data.method, 'passkey');
    await b.get('/account/passkeys');
    const removed = await b.post('/account/passkeys/remove', { id: passkeyId });
    assert.equal(removed.location, '/account/passkeys?done=removed');
    assert.equal(await passkeys(id), 0);
    assert.equal(await events(id, 'passkey_removed'), 1);
    assert.equal(await count(`SELECT count(*)::int AS n FROM mail_outbox WHERE to_address = $1 AND subject LIKE '%パスキーの削除%'`, [email]), 1);
    const again = await b.post('/account/passkeys/remove', { id: passkeyId });
    assert.equal(again.status, 404);
  });

  test('the emergency lock never needs a passkey (nor a step-up); a locked account cannot sign in with one; the unlock removes them all', async () => {
    const { id, b } = await totpUser('lock');
    const key = new SoftAuthenticator(app.baseUrl);
    await register(b, key, 'k');
    advance(60 * 60_000);
    await b.get('/account/lock');
    const r = await b.post('/account/lock', {});
    assert.equal(r.status, 200, plain(r.body));
    await app.lock.settled(); // the record follows the answer
    assert.match(plain(r.body), /アカウントをロックしました/);
    assert.equal(await count(`SELECT count(*)::int AS n FROM account_locks WHERE account_id = $1 AND unlocked_at IS NULL`, [id]), 1);

    const c = browser();
    const locked = await c.post('/account/login/passkey', { response: key.get(ceremonyOptions(await c.get('/account/login/passkey'))) });
    assert.equal(locked.status, 403);
    assert.match(plain(locked.body), /ロックされています/);
    assert.equal(c.cookies.has('kinkyu_user'), false);

    // Whoever held the account may have added a passkey: the unlock removes every one, like TOTP and recovery codes.
    const staffId = async (role: 'security' | 'admin') => (await app.db.query<{ id: string }>(`SELECT id FROM staff WHERE email = $1`, [await makeStaff(app.db, role)]))[0]!.id;
    const requester = { type: 'staff' as const, id: await staffId('security'), ip: null };
    const approver = { type: 'staff' as const, id: await staffId('admin'), ip: null };
    const requestId = await app.lock.requestUnlock(requester, id, { checklist: [...UNLOCK_CHECKLIST] });
    await app.lock.approveUnlock(approver, requestId);
    assert.equal(await passkeys(id), 0);
  });
});

describe('the WebAuthn module on its own', () => {
  test('a challenge is spent once, by the browser, ceremony and account it was issued to, before it expires', async () => {
    let t = new Date('2026-12-02T00:00:00Z');
    const store = new WebAuthnChallenges(app.db, () => t);
    const scope: ChallengeScope = { realm: 'user', purpose: 'authenticate', binding: 'session-a', subject: 'acct-1' };
    await store.issue(scope, 'challenge-1');
    assert.equal(await store.consume({ ...scope, binding: 'session-b' }, 'challenge-1'), false, 'another browser');
    assert.equal(await store.consume({ ...scope, purpose: 'register' }, 'challenge-1'), false, 'another ceremony');
    assert.equal(await store.consume({ ...scope, subject: 'acct-2' }, 'challenge-1'), false, 'another account');
    assert.equal(await store.consume({ ...scope, subject: null }, 'challenge-1'), false, 'usernameless is its own scope');
    assert.equal(await store.consume(scope, 'challenge-1'), true);
    assert.equal(await store.consume(scope, 'challenge-1'), false, 'replayed');
    await store.issue(scope, 'challenge-2');
    t = new Date(t.getTime() + 5 * 60_000 + 1);
    assert.equal(await store.consume(scope, 'challenge-2'), false, 'expired');
  });

  test('the counter rule (WebAuthn §6.1.1): up is fine, equal or down is a copy, all zeros means no counter', () => {
    assert.equal(counterWentBack(0, 0), false);
    assert.equal(counterWentBack(0, 1), false);
    assert.equal(counterWentBack(5, 6), false);
    assert.equal(counterWentBack(5, 5), true);
    assert.equal(counterWentBack(5, 2), true);
    assert.equal(counterWentBack(5, 0), true);
  });
});
