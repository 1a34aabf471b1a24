/**
 * The staff queue in Debian's Chromium during a surge: 500 "is it down?" tickets linked to one incident (made in
 * one INSERT … SELECT) and 3 account-takeover reports filed through the real intake. At 1,280 px and on a 390 px
 * phone: the 3 security reports are the first rows, the surge is ONE row with its count, no ticket number wraps,
 * nothing is wider than the screen, the first checkbox is reached with the keyboard and shows its focus, and axe
 * finds no WCAG 2.1 A/AA violation (with the filters and the bulk actions unfolded too). Then an agent follows
 * the surge's row to the incident's linked tickets and answers all 500 at once: each gets the reply and an email.
 *
 * Screenshots go to .tmp/screens/ (gitignored). Run: node --import tsx --test test/queue-browser.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { triageCombined } from '../src/desk/triage/combined.ts';
import { committedModel } from '../src/desk/triage/model-file.ts';
import { t } from '../src/web/i18n.ts';
import { makeStaff, startApp, type RunningApp } from './support/app.ts';
import { SCREENS, axeViolations, signInStaff, startBrowserAndApp, stopBrowserAndApp } from './support/browser.ts';
import { insertTickets } from './support/bulk-tickets.ts';

const NOW = new Date('2026-12-07T01:00:00Z'); // Monday 10:00 JST
const VIEWPORTS: [string, BrowserContextOptions][] = [
  ['desktop', { viewport: { width: 1280, height: 800 } }],
  ['phone', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }],
];
const SURGE = 500;
const SURGE_TEXT = 'サイトが開けません。取引所が落ちていますか？';
const TAKEOVERS = [
  '身に覚えのない出金があります。アカウントが乗っ取られたかもしれません',
  'BTCが勝手に出金されています！私は操作していません',
  'my BTC was withdrawn without my permission',
];

let browser: Browser;
let app: RunningApp;
let agentEmail = '';
let incidentId = '';
let security: { ticketId: string; number: number }[] = [];

before(async () => {
  [browser, app] = await startBrowserAndApp(() => startApp({ clock: () => NOW }));
  agentEmail = await makeStaff(app.db, 'agent');
  ({ incidentId } = await app.commands.declareIncident({ type: 'staff', id: null }, {
    type: 'outage', severity: 'SEV1', nameJa: '取引所に接続できない障害', nameEn: 'Exchange unreachable', bodyJa: '調査中です。', bodyEn: 'Investigating.',
    componentStatuses: { pairbtcjpy00: 'major_outage' },
  }));
  const surge = triageCombined({ text: SURGE_TEXT }, committedModel());
  await insertTickets(app.db, {
    count: SURGE, prefix: 'surge', body: SURGE_TEXT, type: surge.type, priority: surge.priority, reasons: surge.reasons,
    createdAt: new Date(NOW.getTime() - 3_600_000), spacingS: 5, incidentId,
  });
  security = [];
  for (const [i, body] of TAKEOVERS.entries()) {
    const filed = await app.desk.submit({ body, email: `victim-${i}@example.jp` }, { lang: i === 2 ? 'en' : 'ja', ip: null });
    assert.equal(filed.type, 'security');
    assert.equal(filed.priority, 'urgent');
    security.push({ ticketId: filed.ticketId, number: filed.number });
  }
});
after(() => stopBrowserAndApp(browser, app));

/** Evaluates an expression in the page (a string: the project's type checking has no DOM library). */
const js = <T>(page: Page, expression: string): Promise<T> => page.evaluate<T>(expression);

async function signedIn(options: BrowserContextOptions): Promise<Page> {
  const context = await browser.newContext({ ...options, bypassCSP: true, locale: 'ja-JP' });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  await page.goto(`${app.baseUrl}/staff/login`);
  await signInStaff(page, app.baseUrl, agentEmail);
  return page;
}

describe('the queue during a surge, desktop and phone', () => {
  for (const [name, options] of VIEWPORTS) {
    test(`${name}: security reports on top, the surge on one row, numbers on one line, keyboard and axe`, async () => {
      const page = await signedIn(options);
      try {
        assert.equal((await page.goto(`${app.baseUrl}/staff/tickets`))?.status(), 200);
        await page.getByRole('heading', { name: t('ja', 'desk.queueTitle'), level: 1 }).waitFor();
        assert.equal(await page.locator('script').count(), 0, 'no script on the page');

        const rows = page.locator('table.queue tbody tr');
        assert.equal(await rows.count(), TAKEOVERS.length + 1, 'three reports and one row for the surge');
        for (const [i, s] of security.entries()) {
          assert.equal(await rows.nth(i).getByRole('link', { name: String(s.number), exact: true }).count(), 1, `row ${i + 1} is security report ${s.number}`);
          assert.ok((await rows.nth(i).innerText()).includes(t('ja', 'desk.urgentSecurity')));
        }
        const surgeRow = rows.nth(TAKEOVERS.length);
        const link = surgeRow.getByRole('link', { name: '取引所に接続できない障害' });
        assert.equal(await link.getAttribute('href'), `/staff/incidents/${incidentId}/tickets`);
        assert.ok((await surgeRow.innerText()).includes(t('ja', 'desk.groupRow', { count: SURGE })), await surgeRow.innerText());
        assert.ok((await page.locator('.queue-count').innerText()).includes(t('ja', 'desk.count', { count: SURGE + TAKEOVERS.length })));

        // A ticket number is one line of text: the range over its digits has one box.
        const lines = await js<number[]>(page, `[...document.querySelectorAll('a.ticket-number')].map((a) => {
          const range = document.createRange(); range.selectNodeContents(a); return range.getClientRects().length; })`);
        assert.equal(lines.length, TAKEOVERS.length);
        assert.deepEqual(lines, lines.map(() => 1), `ticket numbers on one line each: ${lines}`);
        const [scrollWidth, clientWidth] = await js<[number, number]>(page, '[document.documentElement.scrollWidth, document.documentElement.clientWidth]');
        assert.ok(scrollWidth <= clientWidth + 1, `no sideways scrolling (${scrollWidth} > ${clientWidth})`);
        if (name === 'desktop') {
          const tableWidth = await js<number>(page, `document.querySelector('table.queue').getBoundingClientRect().width`);
          assert.ok(tableWidth > 1100, `the table uses the screen's width (${tableWidth} px)`);
        }
        // The first screen shows tickets, not only navigation and filters.
        const firstRowTop = await js<number>(page, `document.querySelector('table.queue tbody tr').getBoundingClientRect().top`);
        assert.ok(firstRowTop < (options.viewport?.height ?? 800), `the first ticket starts at ${firstRowTop} px`);
        await page.screenshot({ path: new URL(`queue-surge-${name}.png`, SCREENS).pathname });

        // Keyboard: Tab reaches the first ticket's checkbox, Space ticks it, and the focus is visible.
        const firstBox = `sel-${security[0]!.ticketId}`;
        let reached = false;
        for (let i = 0; i < 80 && !reached; i++) {
          await page.keyboard.press('Tab');
          reached = await js<boolean>(page, `document.activeElement?.id === ${JSON.stringify(firstBox)}`);
        }
        assert.ok(reached, 'the first checkbox is reached with Tab');
        await page.keyboard.press('Space');
        assert.equal(await page.locator(`#${firstBox}`).isChecked(), true);
        assert.notEqual(await js<string>(page, `getComputedStyle(document.activeElement).outlineStyle`), 'none', 'the focus is visible');

        assert.deepEqual(await axeViolations(page), [], `${name}: axe, folded`);
        await page.locator('.queue-filters > summary').click();
        await page.locator('.bulk-actions > summary').click();
        await page.getByLabel(t('ja', 'desk.bulk.canned')).waitFor();
        assert.deepEqual(await axeViolations(page), [], `${name}: axe, filters and bulk actions unfolded`);
        const [w, cw] = await js<[number, number]>(page, '[document.documentElement.scrollWidth, document.documentElement.clientWidth]');
        assert.ok(w <= cw + 1, `unfolded, still no sideways scrolling (${w} > ${cw})`);
        await page.screenshot({ path: new URL(`queue-surge-${name}-unfolded.png`, SCREENS).pathname, fullPage: true });
      } finally {
        await page.context().close();
      }
    });
  }

  test('from the surge row, one reply reaches all 500 tickets (one message and one email each)', async () => {
    const page = await signedIn(VIEWPORTS[1]![1]);
    try {
      await page.goto(`${app.baseUrl}/staff/tickets`);
      await page.getByRole('link', { name: '取引所に接続できない障害' }).click();
      await page.waitForURL((u) => u.pathname === `/staff/incidents/${incidentId}/tickets`);
      assert.ok((await page.locator('main').innerText()).includes(t('ja', 'desk.linkedCount', { count: SURGE })));
      assert.deepEqual(await axeViolations(page), [], 'axe on the linked tickets page');
      const text = '現在、取引所に接続しづらい状態です。復旧までしばらくお待ちください。';
      await page.getByLabel(t('ja', 'desk.bulkReply'), { exact: true }).fill(text);
      await page.getByRole('button', { name: t('ja', 'desk.bulkReply') }).click();
      await page.waitForURL((u) => u.searchParams.get('sent') === String(SURGE));
      assert.ok((await page.getByRole('status').innerText()).includes(t('ja', 'desk.bulkSent', { count: SURGE })));

      const [replies] = await app.db.query<{ n: number }>(
        `SELECT count(DISTINCT m.ticket_id)::int AS n FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id
          WHERE m.kind = 'reply' AND m.body = $1 AND t.incident_id = $2`,
        [text, incidentId],
      );
      assert.equal(replies!.n, SURGE, 'every linked ticket has the reply');
      const [mails] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM mail_outbox WHERE ticket_id LIKE 'surge%' AND text_body LIKE '%' || $1 || '%'`, [text]);
      assert.equal(mails!.n, SURGE, 'and one email each');
      const [waiting] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tickets WHERE incident_id = $1 AND status = 'pending_user'`, [incidentId]);
      assert.equal(waiting!.n, SURGE);
      const [untouched] = await app.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ticket_messages WHERE kind = 'reply' AND ticket_id = ANY($1::text[])`, [security.map((s) => s.ticketId)]);
      assert.equal(untouched!.n, 0, 'the security reports are not part of it');
    } finally {
      await page.context().close();
    }
  });
});
