/**
 * WCAG 2.1 A/AA checks by axe-core, and no sideways scrolling, on the newer staff console pages (knowledge
 * base, notices, terms and their report, subscribers, monitors and a monitor's proposal, the dashboard with an
 * open proposal, an incident with per-update delivery progress) and the newer public pages (subscribe on each
 * channel, notices, terms and a terms diff, the help articles and search), in Japanese and English, on a phone
 * and on a desktop. The data is made through the application's own API and services; one Chromium serves
 * the whole file.
 *
 * Run: node --import tsx --test --test-reporter=spec test/console-accessibility.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { loadConfig } from '../src/config.ts';
import { insertSubscriber } from '../src/notify/subscriptions/repository.ts';
import { createUserAccount } from '../src/security-center/user-accounts.ts';
import { StaffClient, eventually, makeStaff, startApp, type RunningApp } from './support/app.ts';
import { axeViolations, launchChromium, startAll, signInStaff } from './support/browser.ts';
import { serve, type LocalServer } from './support/local-http.ts';

const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
const VIEWPORTS = [['phone', PHONE], ['desktop', DESKTOP]] as const;
const LANGS = ['ja', 'en'] as const;

let browser: Browser;
let app: RunningApp;
let failing: LocalServer;
let staffEmail = '';
let staffPaths: string[] = [];
let publicPaths: string[] = [];
/** What a page must show for its check to mean anything (the data made in `before` is really on it). */
let mustShow: Record<string, string> = {};

async function expectOk(res: Response, what: string): Promise<Record<string, unknown>> {
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(res.status, 200, `${what}: ${JSON.stringify(body)}`);
  return body;
}

before(async () => {
  const base = loadConfig();
  [browser, failing, app] = await startAll([
    launchChromium(),
    serve((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('down');
    }),
    startApp({ config: { monitors: { ...base.monitors, enabled: false, minIntervalS: 1, incidentPolicy: 'draft' } } }),
  ]);
  staffEmail = await makeStaff(app.db, 'admin');
  const staff = await StaffClient.signIn(app.baseUrl, staffEmail);

  // A confirmed email subscriber (before the incident, so its update has someone to deliver to).
  const now = new Date();
  await insertSubscriber(app.db, {
    id: 'a11ysubscriber01', channel: 'email', target: 'a11y-subscriber@example.jp', lang: 'ja', components: null, secret: null,
    ownerEmail: null, confirmTokenHash: null, confirmExpiresAt: null, confirmedAt: now, ip: null, now,
  });

  // An incident with a second update; wait until the fan-out has expanded the first for the progress table.
  const { incidentId } = await app.commands.declareIncident({ type: 'staff', id: null }, {
    type: 'outage', severity: 'SEV2', nameJa: 'BTC/JPY の注文遅延', nameEn: 'Delayed BTC/JPY orders', bodyJa: '調査中です。', bodyEn: 'Investigating.',
    componentStatuses: { pairbtcjpy00: 'major_outage' },
  });
  await app.commands.postUpdate({ type: 'staff', id: null }, incidentId, { status: 'identified', bodyJa: '原因を特定しました。', bodyEn: 'We found the cause.' });
  const [firstUpdate] = await app.db.query<{ id: string }>('SELECT id FROM incident_updates WHERE incident_id = $1 ORDER BY created_at LIMIT 1', [incidentId]);
  await eventually(async () => (await app.fanout.progress(firstUpdate!.id)).expanded, 10_000, 50);

  // A monitor against a local endpoint that always fails: one round opens a draft proposal.
  const monitor = await expectOk(await staff.postJson('/staff/monitors', {
    name: 'REST API health', kind: 'http', config: { url: `${failing.url}/health` }, intervalS: 60, timeoutMs: 2000,
    failThreshold: 1, recoverThreshold: 1, componentIds: ['restapi00000'],
  }), 'monitor');
  await app.monitors.runDue();
  const [proposal] = await app.monitors.listProposals({ open: true });
  assert.ok(proposal, 'the failing monitor opened a proposal');

  // A published notice; terms v1 and v2 (v2 needs acknowledgement), and a user who has not acknowledged.
  const notice = await expectOk(await staff.postJson('/staff/notices', {
    titleJa: '暗号資産の送付に関する規則の改正にともなう本人確認の追加',
    titleEn: 'Additional identity checks for crypto transfers after a rule change',
    changesJa: '外部の取引所への送付時に、受取人の氏名と住所のご入力が必要になります。',
    changesEn: 'Sending crypto to another exchange needs the recipient\'s name and address.',
    actionJa: '期限までにマイページから送付先情報をご登録ください。',
    actionEn: 'Please register your recipients in your account before the deadline.',
    effectiveFrom: '2026-12-01', deadline: '2026-12-15', intent: 'publish',
  }), 'notice');
  await expectOk(await staff.postJson('/staff/terms', {
    label: 'v1', effectiveFrom: '2026-01-01', bodyJa: '# 利用規約\n\n## 第2条 (出金)\nお客様は、平日に限り出金を申請できます。\n',
    bodyEn: 'Article 2. Withdrawals may be requested on business days only.', summaryJa: '最初の版です。', summaryEn: 'The first version.', intent: 'publish',
  }), 'terms v1');
  await createUserAccount(app.db, app.referenceStore!, { email: 'a11y-user@example.jp', password: 'user password 2026', lang: 'ja' });
  await expectOk(await staff.postJson('/staff/terms', {
    label: 'v2', effectiveFrom: '2099-12-01', bodyJa: '# 利用規約\n\n## 第2条 (出金)\nお客様は、毎日出金を申請できます。\n\n## 第3条 (送付先情報)\n送付には受取人の登録が必要です。\n',
    bodyEn: 'Article 2. Withdrawals may be requested every day.', summaryJa: '出金を毎日受け付けます。', summaryEn: 'Withdrawals every day.',
    ackRequired: true, ackDeadline: '2099-12-10', intent: 'publish',
  }), 'terms v2');

  const [article] = await app.knowledgeBase.listForStaff();
  assert.ok(article, 'a starter article');
  const history = await app.knowledgeBase.history(article.slug);
  const [version] = history.versions;
  assert.ok(version, 'the article has a version');

  staffPaths = [
    '/staff', `/staff/incidents/${incidentId}`,
    '/staff/kb', '/staff/kb/new', `/staff/kb/${article.slug}`, `/staff/kb/${article.slug}?edit=en`, `/staff/kb/${article.slug}/versions`,
    `/staff/kb/${article.slug}/versions/${version.lang}/${version.version}`,
    '/staff/notices', '/staff/notices/new', `/staff/notices/${String(notice.id)}`,
    '/staff/terms', '/staff/terms/new', '/staff/terms/v2', '/staff/terms/v2/pending',
    '/staff/subscribers', '/staff/subscribers?q=a11y',
    '/staff/monitors', '/staff/monitors/new', `/staff/monitors/${String(monitor.id)}`, `/staff/monitor-proposals/${proposal.id}`,
    '/staff/mfa',
  ];
  mustShow = {
    '/staff': `a[href="/staff/monitor-proposals/${proposal.id}"]`,
    [`/staff/incidents/${incidentId}`]: 'table.delivery-progress',
    '/staff/terms/v2/pending': 'table.pending-users',
    '/staff/subscribers?q=a11y': 'table.subscribers',
    [`/notices/${String(notice.id)}`]: 'h1',
    '/terms/versions/v2/diff': 'ins',
  };
  publicPaths = [
    '/subscribe', '/subscribe?channel=webhook', '/subscribe?channel=slack', '/notices', `/notices/${String(notice.id)}`,
    '/terms', '/terms/versions/v2/diff', '/help/articles', `/help/search?q=${encodeURIComponent('出金')}`,
  ];
});

after(async () => {
  await browser?.close();
  await app?.stop();
  await failing?.close();
});

const withLang = (path: string, lang: string) => `${path}${path.includes('?') ? '&' : '?'}lang=${lang}`;

/** Every axe violation and any sideways overflow on each page, as readable lines (none expected). */
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

describe('newer console and public pages: axe WCAG 2.1 AA and no horizontal overflow', () => {
  for (const [name, viewport] of VIEWPORTS) {
    for (const lang of LANGS) {
      test(`staff pages, ${name}, ${lang}`, async () => {
        const context = await browser.newContext({ ...viewport, bypassCSP: true, locale: 'ja-JP' });
        try {
          const page = await context.newPage();
          await page.goto(`${app.baseUrl}/staff/login?lang=ja`);
          await signInStaff(page, app.baseUrl, staffEmail);
          assert.deepEqual(await problemsOn(page, staffPaths, lang, `${name} ${lang}`, axeHere(name, lang)), []);
        } finally {
          await context.close();
        }
      });

      test(`public pages, ${name}, ${lang}`, async () => {
        const context = await browser.newContext({ ...viewport, bypassCSP: true, locale: 'ja-JP' });
        try {
          assert.deepEqual(await problemsOn(await context.newPage(), publicPaths, lang, `${name} ${lang}`, axeHere(name, lang)), []);
        } finally {
          await context.close();
        }
      });
    }
  }
});
