/**
 * The static mirror (`kinkyu export-status`, EXPORT_DIR) on a real static file host: every link from the ja and
 * en start pages answers, links to what only the live server can answer go to PUBLIC_URL, the `_headers` file
 * gives the API JSON CORS and the right content types, and the official Statuspage status widget, on a page of
 * another origin, shows the status read from the mirror in Chromium.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { openDb, type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { seedDemoData } from '../src/status/demo-data.ts';
import { seedDemoNotices } from '../src/notices/demo-notices.ts';
import { StatusCommands } from '../src/status/commands.ts';
import { SYSTEM_ACTOR } from '../src/domain/actor.ts';
import { PublicSite } from '../src/status/page/site.ts';
import { RECENT_LIMIT } from '../src/status/page/snapshot.ts';
import { exportStatic } from '../src/status/static-export.ts';
import { PAGE_CACHE_CONTROL } from '../src/status/page/response-headers.ts';
import { CONTENT_SECURITY_POLICY } from '../src/web/security.ts';
import { crawl } from './support/crawl.ts';
import { serveStatic, type StaticHost } from './support/static-host.ts';
import { launchChromium, startAll } from './support/browser.ts';
// The demo data and the commands below append to the audit log: this process's audit key.
import './support/audit-key.ts';

const PUBLIC_URL = 'https://status.example.jp';
const NOW = new Date('2026-11-25T03:00:00Z');
const DAY = 86_400_000;

let db: Db;
let site: PublicSite;
let dir: string;
let host: StaticHost;
let oldIncidentId: string;

before(async () => {
  db = await openDb({});
  await migrate(db);
  await seedDemoData(db, NOW);
  await seedDemoNotices(db, NOW, 'Asia/Tokyo');
  // An incident from more than a year ago: its month is older than the twelve the history page lists.
  let clock = new Date(NOW.getTime() - 430 * DAY);
  const commands = new StatusCommands(db, () => clock);
  const old = await commands.declareIncident(SYSTEM_ACTOR, {
    type: 'outage', severity: 'SEV3', nameJa: '入金の反映遅延', nameEn: 'Delayed deposits', bodyJa: '調査しています。', bodyEn: 'Investigating.',
    componentStatuses: {},
  });
  clock = new Date(clock.getTime() + 3600_000);
  await commands.postUpdate(SYSTEM_ACTOR, old.incidentId, { status: 'resolved', bodyJa: '復旧しました。', bodyEn: 'Resolved.' });
  oldIncidentId = old.incidentId;
  // Enough later incidents that the page's snapshot (the 50 most recent) no longer holds the old one: only its
  // month's page lists it, and its own page must be exported all the same.
  for (let n = 0; n < RECENT_LIMIT; n++) {
    clock = new Date(NOW.getTime() - (300 - n) * DAY);
    const { incidentId } = await commands.declareIncident(SYSTEM_ACTOR, { type: 'outage', severity: 'SEV4', nameJa: `短時間の遅延 ${n + 1}`, bodyJa: '調査しています。', componentStatuses: {} });
    await commands.postUpdate(SYSTEM_ACTOR, incidentId, { status: 'resolved', bodyJa: '復旧しました。' });
  }
  site = new PublicSite(db, {
    page: { id: 'kinkyu', nameJa: 'デモ取引所', nameEn: 'Demo Exchange', url: PUBLIC_URL, timeZone: 'Asia/Tokyo' },
    officialXUrl: 'https://x.com/bitbank_cc', defaultLang: 'ja', staleAfterMs: 60_000, clock: () => NOW,
  });
  await site.refresh();
  dir = mkdtempSync(join(tmpdir(), 'kinkyu-mirror-'));
  await exportStatic(site, dir);
  host = await serveStatic(dir, { honourHeaders: true });
});

after(async () => {
  await host?.close();
  await db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Pages only the live server answers: the mirror links to them at PUBLIC_URL. */
const LIVE_ONLY = ['/help', '/help/lock', '/contact', '/subscribe', '/terms', '/account', '/lock/'];
const isLiveOnly = (path: string) => LIVE_ONLY.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`));

describe('the exported status site on a static host', () => {
  test('every link from the ja and en start pages answers; live-only pages are linked at PUBLIC_URL', async () => {
    const result = await crawl(host.url, ['/', '/en/']);
    console.log(`# ${result.internal.size} internal links, ${result.broken.length} broken`);
    assert.deepEqual(result.broken, []);
    const internalPaths = [...result.internal.keys()].map((u) => new URL(u).pathname);
    assert.deepEqual(internalPaths.filter(isLiveOnly), [], 'no relative link to a page only the live server has');
    // The archive: every month the history lists and back to the first incident, ja and en; no month before it.
    for (const path of ['/history/2026-11', '/history/2025-12', '/history/2025-09', '/en/history/2025-09', '/en/history/2026-11']) {
      assert.ok(internalPaths.includes(path), `${path} is linked and exported`);
    }
    assert.ok(!internalPaths.includes('/history/2025-08'), 'no link before the first incident\'s month');
    assert.ok(!site.incidentIds().includes(oldIncidentId), 'the old incident is no longer in the page\'s snapshot');
    for (const path of [`/incidents/${oldIncidentId}`, `/en/incidents/${oldIncidentId}`]) assert.ok(internalPaths.includes(path), `${path}, linked from its month, is exported`);
    for (const kind of ['/assets/site.css', '/history.atom', '/history.rss', '/en/history.atom', '/api/v2/summary.json', '/en/api/v2/summary.json']) {
      assert.ok(internalPaths.includes(kind), `${kind} is linked and exported`);
    }

    const live = [...result.external.keys()].filter((u) => u.startsWith(`${PUBLIC_URL}/`)).map((u) => new URL(u));
    for (const [path, lang] of [['/help', null], ['/help/lock', null], ['/contact', null], ['/subscribe', null], ['/terms', null],
      ['/help', 'en'], ['/help/lock', 'en'], ['/contact', 'en'], ['/subscribe', 'en'], ['/terms', 'en']] as const) {
      assert.ok(live.some((u) => u.pathname === path && u.searchParams.get('lang') === lang), `${path} (${lang ?? 'ja'}) is linked at PUBLIC_URL`);
    }
    // Feeds name the canonical address of a page; the mirror has each of those pages too.
    for (const u of live.filter((u) => !isLiveOnly(u.pathname))) {
      const mirrored = new URL((u.searchParams.get('lang') === 'en' ? '/en' : '') + (u.pathname === '/' ? '/' : u.pathname), host.url);
      assert.equal(result.internal.get(mirrored.href), 200, `${u.href} is also in the mirror`);
    }
  });

  test('the header files give the API and feeds CORS and their content types, and pages their security headers', async () => {
    const origin = { origin: 'https://widgets.example.com' };
    for (const path of ['/api/v2/summary.json', '/api/v2/status.json', '/api/v2/incidents/unresolved.json', '/en/api/v2/summary.json']) {
      const res = await fetch(host.url + path, { headers: origin });
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('access-control-allow-origin'), '*', path);
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8', path);
      assert.equal(res.headers.get('cache-control'), PAGE_CACHE_CONTROL, path);
      await res.json();
    }
    for (const [path, type] of [['/history.atom', 'application/atom+xml'], ['/en/history.rss', 'application/rss+xml']] as const) {
      const res = await fetch(host.url + path, { headers: origin });
      assert.equal(res.headers.get('content-type'), `${type}; charset=utf-8`, path);
      assert.equal(res.headers.get('access-control-allow-origin'), '*', path);
      await res.arrayBuffer();
    }
    const page = await fetch(`${host.url}/en/history`);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(page.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.equal(page.headers.get('access-control-allow-origin'), null, 'pages are not shared with other origins');
    assert.match(await page.text(), /<html lang="en">/);
    const missing = await fetch(`${host.url}/incidents/no-such-incident`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /<h1>404<\/h1>/);
    assert.equal((await fetch(`${host.url}/_headers`)).status, 404, 'the host keeps its header rules to itself');
  });

  test('the status page header links to the help center and the lock, ja and en, at PUBLIC_URL', () => {
    const ja = readFileSync(join(dir, 'index.html'), 'utf8');
    const en = readFileSync(join(dir, 'en/index.html'), 'utf8');
    assert.match(headerOf(ja), new RegExp(`<a href="${PUBLIC_URL}/help">緊急ヘルプ</a>`));
    assert.match(headerOf(ja), new RegExp(`<a class="site-lock" href="${PUBLIC_URL}/help/lock">アカウントをロック</a>`));
    assert.match(headerOf(en), new RegExp(`<a href="${PUBLIC_URL}/help\\?lang=en">Emergency help</a>`));
    assert.match(headerOf(en), new RegExp(`<a class="site-lock" href="${PUBLIC_URL}/help/lock\\?lang=en">Lock my account</a>`));
  });
});

const headerOf = (page: string) => page.slice(page.indexOf('<header'), page.indexOf('</header>'));

describe('the official Statuspage status widget on another origin', () => {
  let browser: Browser;
  let embedder: StaticHost;
  let embedDir: string;
  let bare: StaticHost;
  before(async () => {
    embedDir = mkdtempSync(join(tmpdir(), 'kinkyu-widget-'));
    // @statuspage/status-widget: Atlassian's <statuspage-widget> web component, as a site embeds it.
    writeFileSync(join(embedDir, 'status-widget.js'), readFileSync(createRequire(import.meta.url).resolve('@statuspage/status-widget/dist/index.js')));
    // The same mirror without its header rules: what a host that ignores `_headers` would send.
    [browser, embedder, bare] = await startAll([launchChromium(), serveStatic(embedDir, { honourHeaders: false }), serveStatic(dir, { honourHeaders: false })]);
  });
  after(async () => {
    await browser?.close();
    await embedder?.close();
    await bare?.close();
    if (embedDir) rmSync(embedDir, { recursive: true, force: true });
  });

  const embed = (mirror: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Our status</title>
<script src="/status-widget.js"></script></head><body><statuspage-widget src="${mirror}" ></statuspage-widget></body></html>`;

  test('reads summary.json from the static host through CORS and shows the status', async () => {
    writeFileSync(join(embedDir, 'index.html'), embed(host.url));
    const summary = JSON.parse(readFileSync(join(dir, 'api/v2/summary.json'), 'utf8'));
    const page = await browser.newPage();
    try {
      await page.goto(`${embedder.url}/`);
      assert.notEqual(new URL(page.url()).origin, new URL(host.url).origin, 'the widget runs on another origin');
      const text = page.locator('statuspage-widget .status-text');
      await text.waitFor();
      assert.equal((await text.textContent())?.trim(), summary.status.description);
      assert.match(await page.locator('statuspage-widget .status-indicator').getAttribute('class') ?? '', new RegExp(`\\b${summary.status.indicator}\\b`));
    } finally {
      await page.close();
    }
  });

  test('without the header rules the browser refuses the widget the status (the CORS header is what makes it work)', async () => {
    writeFileSync(join(embedDir, 'index.html'), embed(bare.url));
    const page = await browser.newPage();
    try {
      const failed = page.waitForEvent('requestfailed', (r) => r.url().endsWith('/api/v2/summary.json'));
      await page.goto(`${embedder.url}/`);
      await failed;
      assert.equal(await page.locator('statuspage-widget .status-text').count(), 0);
    } finally {
      await page.close();
    }
  });
});
