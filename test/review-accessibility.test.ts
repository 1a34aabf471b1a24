/**
 * WCAG 2.1 A/AA (axe-core) and no sideways scrolling on the pages of issue 13 §7–9 — the review (with and without a
 * published postmortem), the regulator's pages and a printable draft, the drills, a drill's preview and report — and
 * on the public incident page with its postmortem, in Japanese and English, on a phone and on a desktop. The data is
 * made through the application's services; one Chromium serves the file.
 *
 * Run: node --import tsx --test --test-reporter=spec test/review-accessibility.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { loadConfig } from '../src/config.ts';
import { StaffClient, makeStaff, startApp, type RunningApp } from './support/app.ts';
import { axeViolations, launchChromium, startAll, signInStaff } from './support/browser.ts';

const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
const STAFF = { type: 'staff' as const, id: null };

let browser: Browser;
let app: RunningApp;
let staffEmail = '';
let staffPaths: string[] = [];
let publicPaths: string[] = [];
const mustShow: Record<string, string> = {};

before(async () => {
  const base = loadConfig();
  [browser, app] = await startAll([launchChromium(), startApp({ config: { monitors: { ...base.monitors, enabled: false } } })]);
  staffEmail = await makeStaff(app.db, 'admin');
  const staff = await StaffClient.signIn(app.baseUrl, staffEmail);
  const [me] = await app.db.query<{ id: string }>('SELECT id FROM staff WHERE email = $1', [staffEmail]);

  // An incident with a published postmortem, a follow-up action and the review's sections.
  const published = await app.commands.declareIncident(STAFF, {
    type: 'outage', severity: 'SEV2', nameJa: 'REST API の障害', nameEn: 'REST API outage', bodyJa: '調査中です。', bodyEn: 'Investigating.',
    componentStatuses: { restapi00000: 'major_outage' },
  });
  await app.commands.postUpdate(STAFF, published.incidentId, { status: 'resolved', bodyJa: '復旧しました。', bodyEn: 'Resolved.' });
  assert.equal((await staff.postJson(`/staff/incidents/${published.incidentId}/review`, { version: 0, cause: '接続枯渇', wentWell: '早い宣言', wentBadly: '影響把握の遅れ' })).status, 200);
  assert.equal((await staff.postJson(`/staff/incidents/${published.incidentId}/review/actions`, { title: '接続プールの監視を追加する', ownerId: me!.id, dueOn: '2027-01-15' })).status, 200);
  assert.equal((await staff.postJson(`/staff/incidents/${published.incidentId}/review/postmortem`, { bodyJa: '【概要】REST API が停止しました。\n【原因】接続枯渇。', bodyEn: 'Summary: the REST API stopped.', notify: false })).status, 200);

  // A resolved incident with regulatory facts (the PPC report) and no postmortem yet.
  const breach = await app.commands.declareIncident(STAFF, { type: 'security', severity: 'SEV2', nameJa: '不正アクセス', nameEn: 'Unauthorised access', bodyJa: '調査中です。', bodyEn: 'Investigating.' });
  await app.commands.postUpdate(STAFF, breach.incidentId, { status: 'resolved', bodyJa: '対応を完了しました。', bodyEn: 'Done.' });
  assert.equal((await staff.postJson(`/staff/incidents/${breach.incidentId}/regulator/facts`, { awareAt: new Date().toISOString(), personalData: true, wrongfulAct: true, usersAffected: '1500', dataItems: 'メールアドレス' })).status, 200);
  const [obligation] = await app.regulator.obligationsFor(breach.incidentId);
  assert.ok(obligation);

  // A drill, played to the end, and one still running.
  const done = await app.drills.start(STAFF, { scenario: 'outage', surge: 40, takeovers: 2, scripted: true, via: 'console' });
  await app.fanout.drain();
  await app.drills.finish(STAFF, done.drillId);
  const running = await app.drills.start(STAFF, { scenario: 'withdrawal-delay', surge: 20, takeovers: 1, via: 'console' });
  await app.drills.flushStandIns();
  await app.site.refresh();

  staffPaths = [
    `/staff/incidents/${published.incidentId}/review`, `/staff/incidents/${breach.incidentId}/review`,
    `/staff/incidents/${breach.incidentId}/regulator`, '/staff/regulator', `/staff/regulator/obligations/${obligation.id}/draft?stage=preliminary`,
    '/staff/drills', `/staff/drills/${done.drillId}`, `/staff/drills/${running.drillId}`, `/staff/drills/${done.drillId}/report`,
    `/staff/drills/${running.drillId}/preview`, `/staff/incidents/${running.incidentId}`,
  ];
  mustShow[`/staff/incidents/${published.incidentId}/review`] = '[data-postmortem="published"]';
  mustShow[`/staff/incidents/${breach.incidentId}/review`] = 'textarea#pm-ja';
  mustShow[`/staff/incidents/${breach.incidentId}/regulator`] = 'article[data-rule="ppc-breach"]';
  mustShow[`/staff/drills/${done.drillId}/report`] = '[data-verdict="passed"]';
  mustShow[`/staff/drills/${running.drillId}`] = '[data-stand-in-post="x"]';
  mustShow[`/staff/drills/${running.drillId}/preview`] = '.drill-banner';
  publicPaths = [`/incidents/${published.incidentId}`];
  mustShow[`/incidents/${published.incidentId}`] = 'section.postmortem';
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const withLang = (path: string, lang: string) => `${path}${path.includes('?') ? '&' : '?'}lang=${lang}`;

/**
 * axe runs on the diagonal — phone in Japanese, desktop in English — so every page is checked at both layouts and in
 * both languages (the layout decides what is visible, the language only the words); the status, the language and
 * the sideways scrolling are checked in all four.
 */
const axeHere = (viewport: string, lang: string): boolean => (viewport === 'phone') === (lang === 'ja');

async function problemsOn(page: Page, paths: string[], lang: string, where: string, withAxe = true): Promise<string[]> {
  const problems: string[] = [];
  for (const path of paths) {
    const res = await page.goto(app.baseUrl + withLang(path, lang));
    if (res?.status() !== 200) problems.push(`${where} ${path}: HTTP ${res?.status()}`);
    if ((await page.getAttribute('html', 'lang')) !== lang) problems.push(`${where} ${path}: not in ${lang}`);
    const expected = mustShow[path];
    if (expected && (await page.locator(expected).count()) === 0) problems.push(`${where} ${path}: ${expected} missing`);
    if (withAxe) for (const v of await axeViolations(page)) problems.push(`${where} ${path}: ${v}`);
    const [scrollWidth, clientWidth] = await page.evaluate<[number, number]>('[document.documentElement.scrollWidth, document.documentElement.clientWidth]');
    if (scrollWidth > clientWidth + 1) problems.push(`${where} ${path}: horizontal overflow (${scrollWidth} > ${clientWidth})`);
  }
  return problems;
}

describe('review, regulator and drill pages: axe WCAG 2.1 AA, no horizontal overflow, ja and en, phone and desktop', () => {
  for (const [name, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
    for (const lang of ['ja', 'en'] as const) {
      test(`${name}, ${lang}`, async () => {
        const context = await browser.newContext({ ...viewport, bypassCSP: true, locale: 'ja-JP' });
        try {
          const page = await context.newPage();
          await page.goto(`${app.baseUrl}/staff/login?lang=ja`);
          await signInStaff(page, app.baseUrl, staffEmail);
          const problems = [...await problemsOn(page, staffPaths, lang, `${name} ${lang}`, axeHere(name, lang)), ...await problemsOn(page, publicPaths, lang, `${name} ${lang}`, axeHere(name, lang))];
          assert.deepEqual(problems, []);
        } finally {
          await context.close();
        }
      });
    }
  }

  test('the staff pages use the whole width on a desktop and print without the navigation', async () => {
    const context = await browser.newContext({ ...DESKTOP, bypassCSP: true });
    try {
      const page = await context.newPage();
      await page.goto(`${app.baseUrl}/staff/login?lang=ja`);
      await signInStaff(page, app.baseUrl, staffEmail);
      await page.goto(app.baseUrl + staffPaths[0]!);
      const width = await page.evaluate<number>('document.querySelector("main").getBoundingClientRect().width');
      assert.ok(width > 1200, `main is ${width}px wide on a 1280px screen`);
      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.evaluate<string>('getComputedStyle(document.querySelector(".console-nav")).display'), 'none');
    } finally {
      await context.close();
    }
  });
});
