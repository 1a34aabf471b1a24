import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Parser from 'rss-parser';

import { startApp, type RunningApp } from './support/app.ts';

const T1 = new Date('2026-12-06T16:10:00Z'); // 2026-12-07 01:10 JST
const T2 = new Date('2026-12-06T17:39:03Z'); // 2026-12-07 02:39 JST
const STAFF = { type: 'staff' as const, id: null };

type AtomItem = { updated?: string; summary?: string; author?: string; id?: string; pubDate?: string; content?: string };
type RssItem = { content?: string; guid?: string; pubDate?: string; 'content:encoded'?: string };

describe('history feeds', () => {
  let app: RunningApp;
  let now = T1;
  let incidentId = '';

  before(async () => {
    app = await startApp({ demo: false, clock: () => now });
    ({ incidentId } = await app.commands.declareIncident(STAFF, {
      type: 'outage', severity: 'SEV2', nameJa: '出金の遅延', nameEn: 'Withdrawal delays',
      bodyJa: '暗号資産の出金に遅れが出ています。原因を調査しています。', bodyEn: 'Crypto withdrawals are delayed. We are investigating.',
    }));
    now = T2;
    await app.commands.postUpdate(STAFF, incidentId, { status: 'resolved', bodyJa: '出金は通常どおり処理されています。', bodyEn: 'Withdrawals are processed normally again.' });
    await app.site.refresh();
  });
  after(async () => app.stop());

  async function get(path: string): Promise<{ type: string; xml: string }> {
    const res = await fetch(app.baseUrl + path);
    assert.equal(res.status, 200, path);
    return { type: res.headers.get('content-type') ?? '', xml: await res.text() };
  }

  test('served as application/atom+xml and application/rss+xml with a charset', async () => {
    assert.equal((await get('/history.atom')).type, 'application/atom+xml; charset=utf-8');
    assert.equal((await get('/history.rss')).type, 'application/rss+xml; charset=utf-8');
  });

  test('Atom parses; the feed has an author and xml:lang; a resolved incident shows when it was resolved', async () => {
    const parser = new Parser<{ author?: unknown }, AtomItem>({ customFields: { feed: ['author'], item: ['updated', 'summary'] } });
    for (const lang of ['ja', 'en'] as const) {
      const { xml } = await get(`/history.atom${lang === 'en' ? '?lang=en' : ''}`);
      assert.match(xml, new RegExp(`<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${lang}">`));
      const feed = await parser.parseString(xml);
      assert.ok(feed.author, 'a feed-level <author>');
      assert.match(xml, /<author>\s*<name>(デモ取引所|Demo Exchange)<\/name>/);
      assert.equal(feed.items.length, 1);
      const entry = feed.items[0]!;
      assert.equal(entry.updated, T2.toISOString(), 'updated: the resolution');
      assert.equal(entry.pubDate, T1.toISOString(), 'published: when it was declared');
      assert.ok(entry.summary, 'a summary for readers that list entries');
      if (lang === 'ja') assert.match(entry.summary, /解決済み.*2026年12月7日 02:39 JST 更新.*出金は通常どおり処理されています。/s);
      else assert.match(entry.summary, /Resolved.*Updated Dec 7, 2026, 02:39 JST.*Withdrawals are processed normally again\./s);
      assert.match(entry.content ?? '', lang === 'ja' ? /暗号資産の出金に遅れ/ : /Crypto withdrawals are delayed/);
    }
  });

  test('RSS parses; every item has a description; <language>; pubDate is the latest change, the guid stays', async () => {
    const parser = new Parser<{ language?: string }, RssItem>();
    const before = await parser.parseString((await get('/history.rss')).xml);
    assert.equal(before.language, 'ja');
    assert.equal(before.items.length, 1);
    const item = before.items[0]!;
    assert.ok(item.content && item.content.length > 0, 'a non-empty <description>');
    assert.match(item.content, /解決済み/);
    assert.match(item['content:encoded'] ?? '', /暗号資産の出金に遅れ/);
    assert.equal(new Date(item.pubDate ?? '').toISOString(), T2.toISOString());
    const en = await parser.parseString((await get('/history.rss?lang=en')).xml);
    assert.equal(en.language, 'en');
    assert.match(en.items[0]?.content ?? '', /Resolved/);

    // A postmortem later: the same item (guid), dated by the new change.
    now = new Date(T2.getTime() + 3_600_000);
    await app.commands.postUpdate(STAFF, incidentId, { status: 'postmortem', bodyJa: '原因はキューの滞留でした。', bodyEn: 'The cause was a stuck queue.' });
    await app.site.refresh();
    const later = await parser.parseString((await get('/history.rss')).xml);
    assert.equal(later.items.length, 1);
    assert.equal(later.items[0]?.guid, item.guid);
    assert.equal(new Date(later.items[0]?.pubDate ?? '').toISOString(), now.toISOString());
    assert.match(later.items[0]?.content ?? '', /原因はキューの滞留でした。/);
  });
});
