/**
 * Passkeys in a real browser (Debian's Chromium via playwright-core) with the DevTools protocol's virtual
 * authenticator (CTAP2, internal, resident keys, user verification): a user adds a passkey, signs out and signs in
 * with it alone; a copy of the authenticator with a counter behind the real one is refused; removing a passkey
 * needs a step-up, given by the passkey itself. The pages run our one static script under the site's CSP plus
 * `script-src 'self'` (the first test does not bypass CSP), pass axe in ja and en, on a phone and a desktop.
 * PUBLIC_URL's host is `localhost`: Chromium allows WebAuthn over http only there.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { virtualAuthenticator } from './support/browser.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { createUserAccount } from '../src/security-center/user-accounts.ts';
import { generateTotpSecret, totpCode } from '../src/security-center/totp.ts';
import { axeViolations, SCREENS, startBrowserAndApp, stopBrowserAndApp } from './support/browser.ts';

const PASSWORD = 'passkey browser password';
let browser: Browser;
let app: RunningApp;
/** The application's clock runs with real time, moved forward by the tests (the step-up window). */
let offset = 0;

before(async () => {
  [browser, app] = await startBrowserAndApp(() => startApp({ publicHost: 'localhost', clock: () => new Date(Date.now() + offset) }));
});
after(() => stopBrowserAndApp(browser, app));

async function totpUser(email: string): Promise<{ id: string; secret: string }> {
  const id = await createUserAccount(app.db, app.referenceStore!, { email, password: PASSWORD });
  const secret = generateTotpSecret();
  await app.db.query(`UPDATE user_credentials SET totp_secret = $2, totp_enabled_at = now() WHERE account_id = $1`, [id, secret]);
  return { id, secret };
}


async function signInWithTotp(page: Page, email: string, secret: string, tap: boolean): Promise<void> {
  await page.goto(`${app.baseUrl}/account/login`);
  await page.getByLabel('メールアドレス').fill(email);
  await page.getByLabel('パスワード').fill(PASSWORD);
  const press = (name: string) => (tap ? page.getByRole('button', { name }).first().tap() : page.getByRole('button', { name }).first().click());
  await press('ログイン');
  await page.waitForURL('**/account/login/2fa');
  await page.getByLabel('認証アプリの6桁のコード').fill(totpCode(secret, app.clock()));
  await press('確認する');
  await page.waitForURL(/\/account$/);
}

async function addPasskey(page: Page, name: string, tap: boolean): Promise<void> {
  const press = (l: ReturnType<Page['getByRole']>) => (tap ? l.tap() : l.click());
  await page.goto(`${app.baseUrl}/account`);
  await press(page.getByRole('link', { name: 'パスキーを管理する' }));
  await page.getByRole('heading', { name: 'パスキー', level: 1 }).waitFor();
  await page.getByLabel('パスキーの名前 (例: 自分のiPhone)').fill(name);
  await press(page.getByRole('button', { name: 'パスキーを追加する' }));
  await page.getByRole('heading', { name: 'パスキーの登録', level: 1 }).waitFor();
  await press(page.getByRole('button', { name: 'このパスキーを登録する' }));
  await page.waitForURL('**/account/passkeys?done=added');
  await page.getByText('パスキーを登録しました').waitFor();
}

test('desktop: add a passkey, sign out, sign in with it alone; a copied authenticator with a counter behind is refused', async () => {
  const email = 'passkey-desktop@example.jp';
  const { id, secret } = await totpUser(email);
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const scriptErrors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') scriptErrors.push(m.text()); });
  page.on('pageerror', (e) => scriptErrors.push(e.message));
  try {
    const { cdp, authenticatorId } = await virtualAuthenticator(context, page);
    await signInWithTotp(page, email, secret, false);
    await addPasskey(page, 'ノートPC', false);
    const item = page.locator('.passkeys li').first();
    assert.match((await item.textContent()) ?? '', /ノートPC[\s\S]*登録: \d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d JST[\s\S]*まだ使われていません/);
    const held = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(held.credentials.length, 1);
    assert.equal(held.credentials[0]!.isResidentCredential, true, 'a discoverable credential');
    assert.equal(held.credentials[0]!.rpId, 'localhost');

    // Sign out, then in with the passkey alone: no email, no password.
    await page.goto(`${app.baseUrl}/account`);
    await page.getByRole('button', { name: 'ログアウト', exact: true }).click();
    await page.waitForURL('**/account/login');
    await page.getByRole('link', { name: 'パスキーでログインする' }).click();
    await page.getByRole('heading', { name: 'パスキーでログイン', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'パスキーでログイン' }).click();
    await page.waitForURL(/\/account$/);
    await page.getByRole('heading', { name: 'セキュリティセンター', level: 1 }).waitFor();
    const [signIn] = await app.db.query<{ data: { method: string } }>(`SELECT data FROM account_events WHERE account_id = $1 AND kind = 'sign_in' ORDER BY id DESC LIMIT 1`, [id]);
    assert.equal(signIn!.data.method, 'passkey');
    // The passkey is the strongest factor: its own item and two-factor authentication, with the recent password.
    assert.match((await page.locator('#prep-score').textContent()) ?? '', /備えの達成度: 3 \/ 9/);
    await page.goto(`${app.baseUrl}/account/passkeys`);
    assert.match((await page.locator('.passkeys li').first().textContent()) ?? '', /最終利用: \d{4}年/);
    await page.screenshot({ path: new URL('passkeys-desktop.png', SCREENS).pathname, fullPage: true });

    // A copy of the authenticator, taken before it was used: the same key, its counter behind the real one.
    const [real] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
    const [stored] = await app.db.query<{ counter: string }>(`SELECT counter FROM user_passkeys WHERE account_id = $1`, [id]);
    assert.ok(real && real.signCount >= 1 && Number(stored!.counter) === real.signCount, `the server has seen counter ${real?.signCount}`);
    await cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId: real.credentialId });
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: { ...real, signCount: 0 } });

    await page.goto(`${app.baseUrl}/account`);
    await page.getByRole('button', { name: 'ログアウト', exact: true }).click();
    await page.waitForURL('**/account/login');
    await page.goto(`${app.baseUrl}/account/login/passkey`);
    await page.getByRole('button', { name: 'パスキーでログイン' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /署名カウンターが前回より戻っていた/);
    assert.match(page.url(), /\/account\/login\/passkey$/);
    await page.screenshot({ path: new URL('passkey-clone-refused.png', SCREENS).pathname, fullPage: true });
    await page.goto(`${app.baseUrl}/account`);
    assert.match(page.url(), /\/account\/login$/, 'not signed in');
    const [after] = await app.db.query<{ counter: string; disabled_at: Date | null }>(`SELECT counter, disabled_at FROM user_passkeys WHERE account_id = $1`, [id]);
    assert.equal(Number(after!.counter), Number(stored!.counter), 'the stored counter did not go back');
    assert.ok(after!.disabled_at, 'the passkey is turned off');
    const [event] = await app.db.query<{ data: { storedCounter: number; receivedCounter: number } }>(`SELECT data FROM account_events WHERE account_id = $1 AND kind = 'passkey_cloned'`, [id]);
    assert.ok(event && event.data.receivedCounter <= event.data.storedCounter, 'a real backward counter, recorded');
    const alerts = await app.db.query<{ rules: string[] }>(`SELECT rules FROM security_alerts WHERE account_id = $1`, [id]);
    assert.ok(alerts.some((a) => a.rules.includes('cloned_passkey')), 'detection raised an alert');
    assert.deepEqual(scriptErrors.filter((e) => !/status of 40[13]/.test(e)), [], 'the page script runs under the CSP without errors');
  } finally {
    await context.close();
  }
});

test('phone: removing a passkey needs a step-up, which the passkey gives; the pages pass axe in ja and en', async () => {
  const email = 'passkey-phone@example.jp';
  const { id, secret } = await totpUser(email);
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, bypassCSP: true });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems: string[] = [];
  const check = async (label: string) => { for (const v of await axeViolations(page)) problems.push(`${label}: ${v}`); };
  try {
    await virtualAuthenticator(context, page);
    await signInWithTotp(page, email, secret, true);
    await page.goto(`${app.baseUrl}/account/passkeys`);
    await check('/account/passkeys (none)');
    await page.getByLabel('パスキーの名前 (例: 自分のiPhone)').fill('iPhone');
    await page.getByRole('button', { name: 'パスキーを追加する' }).tap();
    await page.getByRole('heading', { name: 'パスキーの登録', level: 1 }).waitFor();
    await check('registration page');
    await page.getByRole('button', { name: 'このパスキーを登録する' }).tap();
    await page.waitForURL('**/account/passkeys?done=added');
    await check('/account/passkeys (one)');
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    assert.ok(width <= 390, `no sideways scrolling on a phone (${width})`);
    await page.screenshot({ path: new URL('passkeys-phone.png', SCREENS).pathname, fullPage: true });
    for (const path of ['/account/passkeys?lang=en', '/account/login/passkey?lang=en', '/account/step-up/passkey?action=passkey&lang=en', '/account/login/passkey?lang=ja', '/account/step-up/passkey?action=passkey', '/account?lang=en', '/account?lang=ja']) {
      await page.goto(app.baseUrl + path);
      await check(path);
    }

    // Past the step-up window: removing asks first; the passkey answers; then it goes.
    offset += 11 * 60_000;
    await page.goto(`${app.baseUrl}/account/passkeys`);
    await page.getByRole('button', { name: 'パスキー「iPhone」を削除する' }).tap();
    await page.getByRole('heading', { name: '本人確認', level: 1 }).waitFor();
    await check('step-up page with a passkey');
    assert.equal(await app.db.query(`SELECT 1 FROM user_passkeys WHERE account_id = $1`, [id]).then((r) => r.length), 1, 'not removed while asking');
    await page.getByRole('link', { name: 'パスキーで確認する' }).tap();
    await page.getByRole('heading', { name: 'パスキーで確認', level: 1 }).waitFor();
    await check('passkey step-up');
    await page.getByRole('button', { name: 'パスキーで確認する' }).tap();
    await page.waitForURL('**/account/passkeys?done=steppedUp');
    await page.getByRole('button', { name: 'パスキー「iPhone」を削除する' }).tap();
    await page.waitForURL('**/account/passkeys?done=removed');
    await page.getByText('パスキーを削除しました').waitFor();
    await page.getByText('パスキーはまだ登録されていません。').waitFor();
    assert.equal(await app.db.query(`SELECT 1 FROM user_passkeys WHERE account_id = $1`, [id]).then((r) => r.length), 0);
  } finally {
    await context.close();
  }
  assert.deepEqual(problems, []);
});
