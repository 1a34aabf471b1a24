/**
 * The anti-phishing code's and the settings lock's pages in Debian's Chromium on a phone-sized screen: axe-core
 * (WCAG 2.1 A/AA) in Japanese and English — the security center's pages (code set, a refused code, lock off, lock on
 * with an early lift asked for), the refusal while locked, a status subscriber's manage page and its confirmation
 * page — and no sideways scrolling. The session comes from the HTTP client (the app runs on an injected clock).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext } from 'playwright-core';
import { SubscriberLinks } from '../src/notify/subscriptions/links.ts';
import { loadLinkKey } from '../src/desk/ticket-links.ts';
import type { RunningApp } from './support/app.ts';
import { axeViolations, launchChromium, startAll, SCREENS } from './support/browser.ts';
import type { SmtpTestServer } from './support/smtp.ts';
import { createTestUser, startAppWithSmtp, stopAppWithSmtp, UserBrowser } from './support/user-client.ts';

const now = new Date('2026-12-03T01:00:00Z');
let browser: Browser;
let app: RunningApp;
let smtp: SmtpTestServer;

before(async () => {
  [browser, { app, smtp }] = await startAll([launchChromium(), startAppWithSmtp(() => now).then((started) => ({ ...started, stop: () => stopAppWithSmtp(started.app, started.smtp) }))]);
});
after(async () => {
  await browser?.close();
  await stopAppWithSmtp(app, smtp);
});

/** A phone-sized browser carrying the HTTP client's session cookie. */
async function phoneWith(user: UserBrowser): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, bypassCSP: true });
  context.setDefaultTimeout(5_000);
  await context.addCookies([...user.cookies].map(([name, value]) => ({ name, value, url: app.baseUrl })));
  return context;
}

test('the new pages pass axe (WCAG 2.1 AA) in ja and en on a phone, with no sideways scrolling', async () => {
  // One user with a code and a lock with an early lift asked for; one with neither.
  const { email } = await createTestUser(app, 'guard-a11y@example.jp');
  const user = new UserBrowser(app, () => now);
  await user.signIn(email);
  await user.stepUp(email);
  assert.equal((await user.post('/account/anti-phishing', { code: 'うさぎ2026' })).status, 303);
  assert.equal((await user.post('/account/settings-lock', { days: '10' })).status, 303);
  assert.equal((await user.post('/account/settings-lock/lift', {})).status, 303);
  const { email: plainEmail } = await createTestUser(app, 'guard-a11y-off@example.jp');
  const other = new UserBrowser(app, () => now);
  await other.signIn(plainEmail);
  await other.stepUp(plainEmail);

  // A status subscriber with a pending code change, for the manage page and the confirmation page.
  await app.db.query(`INSERT INTO subscribers (id, channel, target, target_key, lang, confirmed_at) VALUES ('a11ysub1', 'email', 'reader@example.jp', 'reader@example.jp', 'ja', now())`);
  const links = new SubscriberLinks(await loadLinkKey(app.db, app.config.secret), app.baseUrl);
  const manage = new URL(links.manageUrl('a11ysub1')).pathname;
  const asked = await fetch(`${app.baseUrl}${manage}/anti-phishing`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'code=%E3%81%BB%E3%81%97%E3%81%9E%E3%82%892026' });
  assert.equal(asked.status, 303);
  const confirmMail = await smtp.waitFor((m) => m.to.includes('reader@example.jp') && /アンチフィッシング/.test(m.subject), 10_000);
  const confirmPath = /\/subscriptions\/[^/\s]+\/anti-phishing\/[\w-]+/.exec(confirmMail.text)![0];

  const problems: string[] = [];
  const context = await phoneWith(user);
  const offContext = await phoneWith(other);
  try {
    const page = await context.newPage();
    const offPage = await offContext.newPage();
    const check = async (p: typeof page, label: string) => {
      for (const v of await axeViolations(p)) problems.push(`${label}: ${v}`);
      const width = await p.evaluate<number>('document.documentElement.scrollWidth');
      if (width > 390) problems.push(`${label}: ${width}px wide on a 390px screen`);
    };
    for (const q of ['', '?lang=en']) {
      for (const path of ['/account', '/account/anti-phishing', '/account/settings-lock', manage, confirmPath]) {
        await page.goto(app.baseUrl + path + q);
        await check(page, path + q);
      }
      await offPage.goto(`${app.baseUrl}/account/settings-lock${q}`);
      await check(offPage, `/account/settings-lock${q} (off)`);

      // A refused code (for the user without a settings lock): the form again, with the message tied to the field.
      await offPage.goto(`${app.baseUrl}/account/anti-phishing${q}`);
      await offPage.locator('#ap-code').fill('<b>bold</b>');
      await offPage.locator('form[action="/account/anti-phishing"] button[type="submit"]').click();
      await offPage.locator('#ap-error').waitFor();
      await check(offPage, `/account/anti-phishing${q} (refused)`);

      // The refusal while locked (a password change).
      await page.goto(`${app.baseUrl}/account${q}`);
      await page.locator('#current').fill('whatever it was');
      await page.locator('#new-password').fill('a brand new password');
      await page.locator('form[action="/account/password"] button[type="submit"]').click();
      await page.locator('#settings-lock-refused').waitFor();
      await check(page, `password change refused${q}`);
    }
    for (const [path, file] of [['/account/settings-lock?lang=ja', 'settings-lock-phone.png'], ['/account/anti-phishing', 'anti-phishing-phone.png'], ['/account', 'account-guard-sections-phone.png']]) {
      await page.goto(app.baseUrl + path!);
      await page.screenshot({ path: new URL(file!, SCREENS).pathname, fullPage: true });
    }
  } finally {
    await context.close();
    await offContext.close();
  }
  assert.deepEqual(problems, []);
});
