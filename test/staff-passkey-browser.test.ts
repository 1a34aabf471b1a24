/**
 * A staff passkey in a real browser (Debian's Chromium via playwright-core) with the DevTools protocol's virtual
 * authenticator (CTAP2, internal, resident keys, user verification): a NEW member signs in with the password and
 * gets nothing but the enrolment (the console and its pages answer with it), enrols a passkey, reaches the console,
 * signs out, and signs in again with the password and the passkey. The pages run our one static script under the
 * site's CSP plus `script-src 'self'` (CSP is not bypassed there); a second test checks the pages with axe in ja and
 * en (axe is injected, so that one bypasses the CSP). PUBLIC_URL's host is `localhost`:
 * Chromium allows WebAuthn over http only there.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { virtualAuthenticator } from './support/browser.ts';
import { makeStaff, PASSWORD, startApp, type RunningApp } from './support/app.ts';
import { axeViolations, SCREENS, startBrowserAndApp, stopBrowserAndApp } from './support/browser.ts';
import { t } from '../src/web/i18n.ts';

let browser: Browser;
let app: RunningApp;

before(async () => {
  [browser, app] = await startBrowserAndApp(() => startApp({ publicHost: 'localhost', demo: false }));
});
after(() => stopBrowserAndApp(browser, app));


async function password(page: Page, email: string): Promise<void> {
  await page.goto(`${app.baseUrl}/staff/login`);
  await page.getByLabel(t('ja', 'field.email')).fill(email);
  await page.getByLabel(t('ja', 'field.password')).fill(PASSWORD);
  await page.getByRole('button', { name: t('ja', 'staff.signIn'), exact: true }).click();
}

test('a new member is held at the enrolment, enrols a passkey, reaches the console, and signs in again with password + passkey', async () => {
  const email = await makeStaff(app.db, 'agent', { enrolled: false });
  const [{ id }] = (await app.db.query<{ id: string }>('SELECT id FROM staff WHERE email = $1', [email])) as [{ id: string }];
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const scriptErrors: string[] = [];
  page.on('pageerror', (e) => scriptErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') scriptErrors.push(m.text()); });
  try {
    const { cdp, authenticatorId } = await virtualAuthenticator(context, page);
    await password(page, email);
    const enrolHeading = page.getByRole('heading', { name: t('ja', 'staffAuth.enrol.title'), level: 1 });
    await enrolHeading.waitFor();

    // Every other page answers with the enrolment step, not the page.
    for (const path of ['/staff/incidents/new', '/staff/mfa', '/staff']) {
      const res = await page.goto(`${app.baseUrl}${path}`);
      assert.equal(res?.status(), 403, path);
      await enrolHeading.waitFor();
      assert.equal(await page.locator('nav.console-nav, .console-nav').count(), 0, `${path}: no console around it`);
    }

    await page.getByLabel(t('ja', 'staffPasskey.name')).fill('業務用ノートPC');
    await page.getByRole('button', { name: t('ja', 'staffPasskey.enrol.submit') }).click();
    await page.getByRole('heading', { name: t('ja', 'staffAuth.codes.title'), level: 1 }).waitFor();
    assert.equal(await page.locator('.recovery-codes li').count(), 10);
    const held = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(held.credentials.length, 1);
    assert.equal(held.credentials[0]!.rpId, 'localhost');
    await page.getByRole('link', { name: t('ja', 'staffAuth.codes.continue') }).click();
    await page.getByRole('heading', { name: 'ダッシュボード', level: 1 }).waitFor();
    const [factor] = await app.db.query<{ kind: string; name: string }>(`SELECT kind, name FROM staff_factors WHERE staff_id = $1`, [id]);
    assert.deepEqual({ ...factor }, { kind: 'passkey', name: '業務用ノートPC' });

    // Sign out, then in again: the password, then the passkey.
    await page.getByRole('button', { name: t('ja', 'staff.signOut') }).first().click();
    await page.waitForURL('**/staff/login**');
    await password(page, email);
    await page.getByRole('heading', { name: t('ja', 'staffAuth.factor.title'), level: 1, exact: true }).waitFor();
    await page.screenshot({ path: new URL('staff-passkey-factor.png', SCREENS).pathname, fullPage: true });
    await page.getByRole('button', { name: t('ja', 'staffPasskey.use') }).click();
    await page.getByRole('heading', { name: 'ダッシュボード', level: 1 }).waitFor();
    const [session] = await app.db.query<{ auth_method: string }>(`SELECT auth_method FROM staff_sessions WHERE staff_id = $1 ORDER BY created_at DESC LIMIT 1`, [id]);
    assert.equal(session!.auth_method, 'passkey');
    const [used] = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
    assert.ok(used && used.signCount >= 1, 'the authenticator signed');

    await page.goto(`${app.baseUrl}/staff/mfa`);
    await page.getByText('パスキー「業務用ノートPC」').waitFor();
    assert.deepEqual(scriptErrors.filter((e) => !/status of 40[13]/.test(e)), [], 'the page script runs under the CSP without errors');
  } finally {
    await context.close();
  }
});

test('the enrolment, the factor step and the own factors page with passkeys pass axe in ja and en, on a phone', async () => {
  const problems: string[] = [];
  for (const lang of ['ja', 'en'] as const) {
    const email = await makeStaff(app.db, 'agent', { enrolled: false });
    const context = await browser.newContext({ locale: lang === 'ja' ? 'ja-JP' : 'en-US', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, bypassCSP: true });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    try {
      await virtualAuthenticator(context, page);
      await page.goto(`${app.baseUrl}/staff/login?lang=${lang}`);
      await page.getByLabel(t(lang, 'field.email')).fill(email);
      await page.getByLabel(t(lang, 'field.password')).fill(PASSWORD);
      await page.getByRole('button', { name: t(lang, 'staff.signIn'), exact: true }).click();
      await page.getByRole('heading', { name: t(lang, 'staffAuth.enrol.title'), level: 1 }).waitFor();
      for (const v of await axeViolations(page)) problems.push(`${lang} enrolment: ${v}`);
      await page.getByRole('button', { name: t(lang, 'staffPasskey.enrol.submit') }).tap();
      await page.getByRole('heading', { name: t(lang, 'staffAuth.codes.title'), level: 1 }).waitFor();
      await page.goto(`${app.baseUrl}/staff/mfa`);
      await page.getByRole('heading', { name: t(lang, 'staffPasskey.addHeading') }).waitFor();
      for (const v of await axeViolations(page)) problems.push(`${lang} own factors: ${v}`);
      await page.screenshot({ path: new URL(`staff-passkeys-${lang}.png`, SCREENS).pathname, fullPage: true });
      await page.getByRole('button', { name: t(lang, 'staff.signOut') }).first().tap();
      await page.waitForURL('**/staff/login**');
      await page.getByLabel(t(lang, 'field.email')).fill(email);
      await page.getByLabel(t(lang, 'field.password')).fill(PASSWORD);
      await page.getByRole('button', { name: t(lang, 'staff.signIn'), exact: true }).tap();
      await page.getByRole('button', { name: t(lang, 'staffPasskey.use') }).waitFor();
      for (const v of await axeViolations(page)) problems.push(`${lang} factor step: ${v}`);
    } finally {
      await context.close();
    }
  }
  assert.deepEqual(problems, []);
});
