/**
 * Staff multi-factor sign-in in a real browser (Debian's Chromium), Japanese and English: the sign-in page with
 * SSO, the enrolment of a first factor (QR code and key), the recovery codes shown once, the code step, the
 * re-enter-your-code step of a sensitive action that then goes on, the member's own factors page, the team page
 * with a reset waiting for a second admin, and a refused SSO sign-in — every page checked with axe (WCAG 2.1 AA),
 * at phone and desktop width without horizontal overflow.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { makeStaff, nextStaffCode, PASSWORD, rememberStaffFactor, startApp, StaffClient, type RunningApp } from './support/app.ts';
import { axeViolations, SCREENS, startBrowserAndApp, stopBrowserAndApp } from './support/browser.ts';
import { startTestIdp, type TestIdp } from './support/oidc-idp.ts';
import { t, type Lang } from '../src/web/i18n.ts';

const MIN = 60_000;
let now = Date.parse('2026-12-01T01:00:00Z');
const clock = () => new Date(now);
let browser: Browser;
let app: RunningApp;
let idp: TestIdp;

before(async () => {
  idp = await startTestIdp();
  [browser, app] = await startBrowserAndApp(() =>
    startApp({ demo: false, clock, config: { staffOidc: { issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret } } }));
  idp.configure(`${app.baseUrl}/staff/login/oidc/callback`);
});
after(async () => {
  await stopBrowserAndApp(browser, app);
  await idp?.stop();
});

const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } } as const;

/** axe and horizontal overflow on the page as it is now. */
async function check(page: Page, where: string, problems: string[]): Promise<void> {
  for (const v of await axeViolations(page)) problems.push(`${where}: ${v}`);
  const [scrollWidth, clientWidth] = await page.evaluate<[number, number]>('[document.documentElement.scrollWidth, document.documentElement.clientWidth]');
  if (scrollWidth > clientWidth + 1) problems.push(`${where}: horizontal overflow (${scrollWidth} > ${clientWidth})`);
}

async function signInWithPassword(page: Page, lang: Lang, email: string): Promise<void> {
  await page.getByLabel(t(lang, 'field.email')).fill(email);
  await page.getByLabel(t(lang, 'field.password')).fill(PASSWORD);
  await page.getByRole('button', { name: t(lang, 'staff.signIn'), exact: true }).click();
}

describe('staff multi-factor pages', () => {
  for (const lang of ['ja', 'en'] as const) {
    for (const [size, viewport] of Object.entries(VIEWPORTS)) {
      test(`${lang}, ${size}: sign-in, enrolment, recovery codes, code step, re-enter step, own factors, team, SSO refusal`, async () => {
        const context = await browser.newContext({ viewport, bypassCSP: true, locale: lang === 'ja' ? 'ja-JP' : 'en-US' });
        context.setDefaultTimeout(10_000);
        const problems: string[] = [];
        try {
          const page = await context.newPage();
          const where = (what: string) => `${lang} ${size} ${what}`;
          // The sign-in page, with the company's SSO.
          await page.goto(`${app.baseUrl}/staff/login?lang=${lang}`);
          await page.getByRole('link', { name: t(lang, 'staffAuth.oidc.button') }).waitFor();
          await check(page, where('sign-in'), problems);

          // A new member: the enrolment is all there is until it is done.
          const fresh = await makeStaff(app.db, 'admin', { enrolled: false });
          await signInWithPassword(page, lang, fresh);
          await page.getByRole('heading', { name: t(lang, 'staffAuth.enrol.title'), level: 1 }).waitFor();
          assert.equal(await page.locator('img[alt]').getAttribute('alt'), t(lang, 'staffAuth.enrol.qrAlt'));
          await check(page, where('enrolment'), problems);
          await page.goto(`${app.baseUrl}/staff/team`);
          await page.getByRole('heading', { name: t(lang, 'staffAuth.enrol.title'), level: 1 }).waitFor();
          const secret = ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s+/g, '');
          rememberStaffFactor(fresh, secret);
          await page.getByLabel(t(lang, 'staffAuth.code')).fill('000000');
          await page.getByRole('button', { name: t(lang, 'staffAuth.enrol.submit') }).click();
          await page.getByText(t(lang, 'error.BAD_CREDENTIALS.code')).waitFor();
          await check(page, where('enrolment, wrong code'), problems);
          await page.getByLabel(t(lang, 'staffAuth.code')).fill(await nextStaffCode(fresh, app.baseUrl));
          await page.getByRole('button', { name: t(lang, 'staffAuth.enrol.submit') }).click();
          await page.getByRole('heading', { name: t(lang, 'staffAuth.codes.title'), level: 1 }).waitFor();
          assert.equal(await page.locator('.recovery-codes li').count(), 10);
          await check(page, where('recovery codes'), problems);
          if (size === 'phone') await page.screenshot({ path: new URL(`staff-mfa-codes-${lang}.png`, SCREENS).pathname, fullPage: true });
          await page.getByRole('link', { name: t(lang, 'staffAuth.codes.continue') }).click();
          await page.waitForURL(`${app.baseUrl}/staff/team`);
          await page.getByRole('heading', { name: t(lang, 'staff.team'), level: 1 }).waitFor();

          // Their own factors.
          await page.goto(`${app.baseUrl}/staff/mfa`);
          await page.getByText(t(lang, 'staffAuth.mfa.codesLeft', { count: 10 })).waitFor();
          await check(page, where('own factors'), problems);

          // The team page with a reset another admin asked for.
          const other = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
          const targetEmail = await makeStaff(app.db, 'viewer');
          const [target] = await app.db.query<{ id: string }>('SELECT id FROM staff WHERE email = $1', [targetEmail]);
          assert.equal((await other.postJson(`/staff/team/${target!.id}/factor-reset`, { reason: '端末の紛失 / lost phone' })).status, 200);
          await page.goto(`${app.baseUrl}/staff/team`);
          await page.getByRole('heading', { name: t(lang, 'staffAuth.team.resets'), level: 2 }).waitFor();
          await check(page, where('team with a reset waiting'), problems);
          if (size === 'desktop') await page.screenshot({ path: new URL(`staff-mfa-team-${lang}.png`, SCREENS).pathname, fullPage: true });

          // Later: approving the reset asks for the code again, then goes on.
          now += 20 * MIN;
          await page.getByRole('button', { name: t(lang, 'staffAuth.team.approve') }).click();
          await page.getByRole('heading', { name: t(lang, 'staffAuth.fresh.title'), level: 1 }).waitFor();
          await check(page, where('re-enter step'), problems);
          await page.getByLabel(t(lang, 'staffAuth.code')).fill(await nextStaffCode(fresh, app.baseUrl));
          await page.getByRole('button', { name: t(lang, 'staffAuth.fresh.submit') }).click();
          await page.getByText(t(lang, 'staffAuth.flash.resetApproved')).waitFor();
          assert.equal(new URL(page.url()).pathname, '/staff/team');
          const [gone] = await app.db.query<{ n: number }>('SELECT count(*)::int AS n FROM staff_factors WHERE staff_id = $1', [target!.id]);
          assert.equal(gone?.n, 0, 'the approval went through after the code');

          // Sign out; a member with a factor gets the code step.
          await page.getByRole('button', { name: t(lang, 'staff.signOut') }).click();
          await page.getByRole('heading', { name: t(lang, 'staff.signIn'), level: 1 }).waitFor();
          const member = await makeStaff(app.db, 'agent');
          await signInWithPassword(page, lang, member);
          await page.getByRole('heading', { name: t(lang, 'staffAuth.factor.title'), level: 1, exact: true }).waitFor();
          await check(page, where('code step'), problems);
          await page.getByLabel(t(lang, 'staffAuth.code')).fill('123456');
          await page.getByRole('button', { name: t(lang, 'staffAuth.factor.submit'), exact: true }).click();
          await page.getByText(t(lang, 'error.BAD_CREDENTIALS.code')).waitFor();
          await check(page, where('code step, wrong code'), problems);
          await page.getByLabel(t(lang, 'staffAuth.code')).fill(await nextStaffCode(member, app.baseUrl));
          await page.getByRole('button', { name: t(lang, 'staffAuth.factor.submit'), exact: true }).click();
          await page.waitForURL(`${app.baseUrl}/staff`);
          await page.getByRole('heading', { name: t(lang, 'staff.dashboard'), level: 1 }).waitFor();

          // A refused SSO sign-in (the answer does not carry this browser's state).
          await page.goto(`${app.baseUrl}/staff/login/oidc/callback?code=x&state=y`);
          await page.getByText(t(lang, 'error.CSRF.oidc_state')).waitFor();
          await check(page, where('SSO refused'), problems);
        } finally {
          await context.close();
        }
        assert.deepEqual(problems, []);
      });
    }
  }
});
