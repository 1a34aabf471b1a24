/**
 * The emergency help center in a real browser on a phone-sized screen (390×844), Japanese and English, with
 * JavaScript turned off: each of the five answers to "What happened?" is tapped through to its steps, the phone
 * number shows only on the security path, an active incident's banner is the first thing on the page, nothing
 * scrolls sideways, and axe finds no WCAG 2.1 AA problem.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { eventually, startApp, type RunningApp } from './support/app.ts';
import { axeViolations, SCREENS, startBrowserAndApp, stopBrowserAndApp } from './support/browser.ts';

const PHONE = '03-9999-0120';
const WEDNESDAY_10 = new Date('2026-11-25T10:00:00+09:00');

let browser: Browser;
let app: RunningApp;

before(async () => {
  [browser, app] = await startBrowserAndApp(() => startApp({ demo: false, clock: () => WEDNESDAY_10, config: { supportPhone: PHONE } }));
});
after(() => stopBrowserAndApp(browser, app));

type Lang = 'ja' | 'en';

const phoneContext = (lang: Lang, opts: { javaScript: boolean }): Promise<BrowserContext> =>
  browser.newContext({
    locale: lang === 'ja' ? 'ja-JP' : 'en-US',
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    javaScriptEnabled: opts.javaScript,
    // axe is injected by the test; the pages themselves run no script and the CSP forbids inline ones.
    bypassCSP: opts.javaScript,
  });

/** The words a user taps, per language: the answer to "What happened?", then any follow-ups. */
const PATHS: Record<Lang, Array<{ type: string; taps: string[] }>> = {
  ja: [
    { type: 'outage', taps: ['取引所が使えない'] },
    { type: 'security', taps: ['誰かが自分のアカウントに入ったかもしれない', 'いいえ、資産は無事', 'はい、ログインできる'] },
    { type: 'trading', taps: ['注文・入金・出金がおかしい', '出金 (届かない・覚えのない出金がある)'] },
    { type: 'regulatory', taps: ['ルールや利用規約が変わった'] },
    { type: 'other', taps: ['その他'] },
  ],
  en: [
    { type: 'outage', taps: ["I can't use the exchange"] },
    { type: 'security', taps: ['Someone may be in my account', 'Yes, assets were moved'] },
    { type: 'trading', taps: ['An order, deposit or withdrawal went wrong', 'A deposit (not credited)'] },
    { type: 'regulatory', taps: ['A rule or the terms changed'] },
    { type: 'other', taps: ['Something else'] },
  ],
};
const STEPS_HEADING: Record<Lang, string> = { ja: '今すぐすること', en: 'What to do now' };

async function noSidewaysScroll(page: Page, label: string): Promise<void> {
  const width = await page.evaluate<number>('document.documentElement.scrollWidth');
  assert.ok(width <= 390, `${label}: no sideways scrolling on a phone (${width}px)`);
}

const mainText = async (page: Page) => (await page.locator('main').textContent()) ?? '';

for (const lang of ['ja', 'en'] as const) {
  describe(`phone, ${lang}, JavaScript off`, () => {
    test('each of the five answers leads, by taps, to its steps; the phone number only on the security path', async () => {
      const context = await phoneContext(lang, { javaScript: false });
      context.setDefaultTimeout(5_000);
      const page = await context.newPage();
      try {
        for (const { type, taps } of PATHS[lang]) {
          await page.goto(`${app.baseUrl}/help`);
          assert.equal(await page.getAttribute('html', 'lang'), lang, 'the language follows Accept-Language');
          await noSidewaysScroll(page, '/help');
          assert.ok(!(await mainText(page)).includes(PHONE), '/help: no phone number');
          for (const [i, label] of taps.entries()) {
            const link = page.getByRole('link', { name: label, exact: false }).first();
            const box = await link.boundingBox();
            assert.ok(box && box.height >= 44, `"${label}" is big enough to tap (${box?.height})`);
            await link.tap();
            await page.waitForURL((u) => u.pathname === `/help/${type}`);
            const text = await mainText(page);
            assert.equal(text.includes(PHONE), type === 'security', `${type} (after ${i + 1} taps): phone number ${text.includes(PHONE) ? 'shown' : 'missing'}`);
            await noSidewaysScroll(page, page.url());
          }
          await page.getByRole('heading', { name: STEPS_HEADING[lang], level: 2 }).waitFor();
          const steps = page.locator('.help-steps > li');
          assert.ok((await steps.count()) >= 3, `${type}: steps are listed`);
          if (type === 'security') {
            const call = page.locator(`a[href="tel:0399990120"]`).first();
            assert.ok(await call.isVisible(), 'the number can be tapped to call');
          }
          await page.screenshot({ path: new URL(`help-${type}-${lang}.png`, SCREENS).pathname, fullPage: true });
        }
      } finally {
        await context.close();
      }
    });
  });
}

describe('live incident', () => {
  test('with an active incident the banner is the first thing in main, in Japanese and English, above the question', async () => {
    const { incidentId } = await app.commands.declareIncident({ type: 'staff', id: null }, {
      type: 'outage', severity: 'SEV1', nameJa: '取引システムの障害', nameEn: 'Trading system outage',
      bodyJa: '現在、取引ができない状態です。復旧作業中です。', bodyEn: 'Trading is unavailable. We are working on it.',
    });
    try {
      await eventually(async () => (await (await fetch(`${app.baseUrl}/help`)).text()).includes('help-live'), 5_000);
      for (const lang of ['ja', 'en'] as const) {
        const context = await phoneContext(lang, { javaScript: false });
        context.setDefaultTimeout(5_000);
        const page = await context.newPage();
        try {
          for (const path of ['/help', '/help/outage', '/help/security']) {
            await page.goto(app.baseUrl + path);
            const first = page.locator('main > *').first();
            assert.match((await first.getAttribute('class')) ?? '', /help-live/, `${lang} ${path}: the banner comes first`);
            const banner = await first.boundingBox();
            const heading = await page.locator('main h1').boundingBox();
            assert.ok(banner && heading && banner.y < heading.y, 'above the heading');
            assert.ok(banner.y < 844, 'on the first screen');
            const text = (await first.textContent()) ?? '';
            assert.match(text, lang === 'ja' ? /今は注文や入出金をしないでください/ : /don't place orders or move funds now/);
            assert.match(text, lang === 'ja' ? /現在、取引ができない状態です/ : /Trading is unavailable/);
            await noSidewaysScroll(page, `${lang} ${path} with the banner`);
          }
          await page.goto(`${app.baseUrl}/help`);
          await page.screenshot({ path: new URL(`help-incident-${lang}.png`, SCREENS).pathname, fullPage: true });
        } finally {
          await context.close();
        }
      }
    } finally {
      await app.commands.postUpdate({ type: 'staff', id: null }, incidentId, { status: 'resolved', bodyJa: '復旧しました。', bodyEn: 'Resolved.' });
    }
  });
});

describe('accessibility', () => {
  test('the help center pages pass axe (WCAG 2.1 AA) on a phone, with and without an incident, in ja and en', async () => {
    const paths = [
      '/help', '/help/outage', '/help/security', '/help/security?taken=no', '/help/security?taken=yes',
      '/help/security?taken=no&signin=yes', '/help/trading', '/help/trading?what=order', '/help/regulatory',
      '/help/other', '/help/other?q=%E5%87%BA%E9%87%91', '/help/other?q=' + 'x'.repeat(300), '/help/prepare',
      '/contact?category=security', '/contact?q=%E5%87%BA%E9%87%91',
    ];
    const problems: string[] = [];
    const check = async (lang: Lang, label: string, only?: string[]) => {
      const context = await phoneContext(lang, { javaScript: true });
      context.setDefaultTimeout(5_000);
      const page = await context.newPage();
      try {
        for (const path of only ?? paths) {
          await page.goto(app.baseUrl + path);
          for (const v of await axeViolations(page)) problems.push(`${label} ${lang} ${path}: ${v}`);
          await noSidewaysScroll(page, `${lang} ${path}`);
        }
      } finally {
        await context.close();
      }
    };
    // Every page in both states, each state in both languages: calm pages in Japanese, incident pages in English,
    // and the help center's front page in the other language of each (the incident banner is the same component on
    // every page).
    await check('ja', 'calm');
    await check('en', 'calm', ['/help']);
    const { incidentId } = await app.commands.declareIncident({ type: 'staff', id: null }, {
      type: 'trading', severity: 'SEV3', nameJa: '注文の遅延', nameEn: 'Delayed orders',
      bodyJa: '注文の処理が遅れています。', bodyEn: 'Orders are slow.',
    });
    try {
      await eventually(async () => (await (await fetch(`${app.baseUrl}/help`)).text()).includes('help-live'), 5_000);
      await check('en', 'incident');
      await check('ja', 'incident', ['/help', '/help/security?taken=yes']);
    } finally {
      await app.commands.postUpdate({ type: 'staff', id: null }, incidentId, { status: 'resolved', bodyJa: '解消しました。', bodyEn: 'Resolved.' });
    }
    assert.deepEqual(problems, []);
  });
});
