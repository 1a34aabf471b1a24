/**
 * WCAG 2.1 A/AA checks by axe-core in Debian's Chromium, on every public page (Japanese on a phone, English on a
 * desktop) and every staff page. axe is injected by the test (the pages themselves run no script and
 * their CSP forbids it, so the test context bypasses CSP for the checker only).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContextOptions } from 'playwright-core';
import { PASSWORD, makeStaff, startApp, type RunningApp } from './support/app.ts';
import { axeViolations, launchChromium, completeStaffFactor } from './support/browser.ts';

const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };

let browser: Browser;
let app: RunningApp;


before(async () => {
  browser = await launchChromium();
  app = await startApp();
  const { incidentId } = await app.commands.declareIncident({ type: 'staff', id: null }, {
    type: 'outage', severity: 'SEV2', nameJa: 'BTC/JPY の注文遅延', nameEn: 'Delayed BTC/JPY orders', bodyJa: '調査中です。', bodyEn: 'Investigating.',
    componentStatuses: { pairbtcjpy00: 'major_outage', restapi00000: 'degraded_performance' },
  });
  await app.commands.postUpdate({ type: 'staff', id: null }, incidentId, { status: 'identified', bodyJa: '原因を特定しました。' });
  await app.site.refresh();
});
after(async () => {
  await browser?.close();
  await app?.stop();
});

describe('WCAG 2.1 AA (axe-core)', () => {
  test('public pages, ja on a phone and en on a desktop', async () => {
    const [incident] = await app.db.query<{ id: string }>("SELECT id FROM incidents WHERE kind = 'incident' ORDER BY created_at DESC LIMIT 1");
    const month = new Date().toISOString().slice(0, 7);
    const security = await app.desk.submit({ body: '身に覚えのない出金があります。アカウントを乗っ取られたかもしれません', email: 'a11y@example.jp' }, { lang: 'ja', ip: null });
    const outage = await app.desk.submit({ body: '取引所が落ちていますか？サイトが開きません', email: 'a11y2@example.jp' }, { lang: 'ja', ip: null });
    const account = await app.referenceStore!.createAccount('a11y-lock@example.jp');
    const lockLink = new URL(await app.lock.issueLockLink(account, 'a11y-lock@example.jp', 'a11y')).pathname;
    const paths = ['/', '/history', `/incidents/${incident!.id}`, `/history/${month}`, '/no/such/page', '/contact',
      `${security.link}?received=1`, `${outage.link}?received=1`, '/tickets/nosuchticket/wrongtoken',
      '/help/lock', lockLink, '/lock/no-such-lock-link-at-all', '/account/login', '/account/forgot', '/help/webhooks'];
    const problems: string[] = [];
    for (const [name, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
      const context = await browser.newContext({ ...viewport, bypassCSP: true, locale: 'ja-JP' });
      const page = await context.newPage();
      // axe on the diagonal — phone in Japanese, desktop in English — so every page is checked at both layouts and
      // in both languages (the layout decides what is shown, the language only the words and the lang attribute).
      const q = name === 'phone' ? '' : '?lang=en';
      for (const path of paths) {
        await page.goto(app.baseUrl + path + q);
        for (const v of await axeViolations(page)) problems.push(`${name} ${path}${q}: ${v}`);
      }
      await context.close();
    }
    assert.deepEqual(problems, []);
  });

  test('staff pages', async () => {
    const email = await makeStaff(app.db, 'admin');
    const [incident] = await app.db.query<{ id: string }>("SELECT id FROM incidents WHERE kind = 'incident' LIMIT 1");
    const [maintenance] = await app.db.query<{ id: string }>("SELECT id FROM incidents WHERE kind = 'maintenance' LIMIT 1");
    const [ticket] = await app.db.query<{ id: string }>('SELECT id FROM tickets ORDER BY number LIMIT 1');
    const context = await browser.newContext({ ...DESKTOP, bypassCSP: true, locale: 'ja-JP' });
    const page = await context.newPage();
    const problems: string[] = [];
    await page.goto(`${app.baseUrl}/staff/login`);
    for (const v of await axeViolations(page)) problems.push(`/staff/login: ${v}`);
    await page.getByLabel('メールアドレス').fill(email);
    await page.getByLabel('パスワード').fill(PASSWORD);
    await page.getByRole('button', { name: 'ログイン' }).click();
    await completeStaffFactor(page, app.baseUrl, email);
    await page.waitForURL(/\/staff$/);
    const paths = ['/staff', '/staff/incidents/new', `/staff/incidents/${incident!.id}`, '/staff/components',
      '/staff/maintenances/new', `/staff/maintenances/${maintenance!.id}`, '/staff/audit', '/staff/team',
      '/staff/tickets', `/staff/tickets/${ticket!.id}`, `/staff/incidents/${incident!.id}/tickets`,
      '/staff/accounts', '/staff/security/alerts', '/staff/mfa'];
    for (const path of paths) {
      await page.goto(app.baseUrl + path);
      for (const v of await axeViolations(page)) problems.push(`${path}: ${v}`);
    }
    await context.close();
    assert.deepEqual(problems, []);
  });
});
