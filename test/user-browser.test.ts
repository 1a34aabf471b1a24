/**
 * The security center in a real browser on a phone-sized screen (Debian's Chromium via playwright-core): a
 * user signs in with password + TOTP, sees the preparedness score, and locks the account in two taps.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startApp, type RunningApp } from './support/app.ts';
import { createUserAccount } from '../src/security-center/user-accounts.ts';
import { generateTotpSecret, totpCode } from '../src/security-center/totp.ts';
import { axeViolations, SCREENS, startBrowserAndApp, stopBrowserAndApp } from './support/browser.ts';

const PASSWORD = 'phone user password';

let browser: Browser;
let app: RunningApp;

before(async () => {
  [browser, app] = await startBrowserAndApp(() => startApp());
});
after(() => stopBrowserAndApp(browser, app));

test('phone: sign in with password + TOTP, see the preparedness score, lock in two taps', async () => {
  const email = 'phone-user@example.jp';
  const id = await createUserAccount(app.db, app.referenceStore!, { email, password: PASSWORD });
  const secret = generateTotpSecret();
  await app.db.query(`UPDATE user_credentials SET totp_secret = $2, totp_enabled_at = now() WHERE account_id = $1`, [id, secret]);
  const apiKey = await app.referenceStore!.createApiKey(id);

  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  context.setDefaultTimeout(5_000);
  const page = await context.newPage();
  try {
    await page.goto(`${app.baseUrl}/account`);
    assert.ok(page.url().endsWith('/account/login'));
    await page.getByLabel('メールアドレス').fill(email);
    await page.getByLabel('パスワード').fill(PASSWORD);
    await page.getByRole('button', { name: 'ログイン' }).tap();
    await page.waitForURL('**/account/login/2fa');
    await page.getByLabel('認証アプリの6桁のコード').fill(totpCode(secret, new Date()));
    await page.getByRole('button', { name: '確認する' }).first().tap();
    await page.waitForURL(/\/account$/);

    const score = await page.locator('#prep-score').textContent();
    assert.match(score ?? '', /備えの達成度: 2 \/ 9/);
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    assert.ok(width <= 390, `no sideways scrolling on a phone (${width})`);
    const lockButton = page.getByRole('link', { name: '今すぐアカウントをロック' });
    assert.ok(await lockButton.isVisible());
    const box = await lockButton.boundingBox();
    assert.ok(box && box.y < 844, 'the lock button is on the first screen');
    assert.ok(box.height >= 44, `the lock button is big enough to tap (${box.height})`);
    await page.screenshot({ path: new URL('user-center-phone.png', SCREENS).pathname, fullPage: true });

    // Two taps: the button, then the confirmation.
    await lockButton.tap();
    await page.waitForURL('**/account/lock');
    await page.getByRole('button', { name: 'ロックする' }).tap();
    await page.getByRole('heading', { name: 'アカウントをロックしました' }).waitFor();
    assert.match((await page.locator('#lock-ticket').textContent()) ?? '', /^\d+$/);
    await page.screenshot({ path: new URL('user-locked-phone.png', SCREENS).pathname, fullPage: true });

    assert.equal(await app.referenceStore!.accountForApiKey(apiKey), null);
    await page.goto(`${app.baseUrl}/account`);
    assert.ok(page.url().endsWith('/account/login'), 'the session is gone');
  } finally {
    await context.close();
  }
});

test('the security center pages pass axe (WCAG 2.1 AA), ja and en, on a phone', async () => {
  const email = 'a11y-user@example.jp';
  const id = await createUserAccount(app.db, app.referenceStore!, { email, password: PASSWORD });
  const secret = generateTotpSecret();
  await app.db.query(`UPDATE user_credentials SET totp_secret = $2, totp_enabled_at = now() WHERE account_id = $1`, [id, secret]);
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, bypassCSP: true });
  context.setDefaultTimeout(5_000);
  const page = await context.newPage();
  const problems: string[] = [];
  const check = async (label: string) => { for (const v of await axeViolations(page)) problems.push(`${label}: ${v}`); };
  try {
    await page.goto(`${app.baseUrl}/account/login`);
    await check('/account/login');
    await page.getByLabel('メールアドレス').fill(email);
    await page.getByLabel('パスワード').fill(PASSWORD);
    await page.getByRole('button', { name: 'ログイン' }).click();
    await page.waitForURL('**/account/login/2fa');
    await check('/account/login/2fa');
    await page.getByLabel('認証アプリの6桁のコード').fill(totpCode(secret, new Date()));
    await page.getByRole('button', { name: '確認する' }).first().click();
    await page.waitForURL(/\/account$/);
    for (const path of ['/account', '/account/2fa', '/account/lock', '/account?lang=en', '/account/2fa?lang=en', '/account/lock?lang=en']) {
      await page.goto(app.baseUrl + path);
      await check(path);
    }
  } finally {
    await context.close();
  }
  assert.deepEqual(problems, []);
});
