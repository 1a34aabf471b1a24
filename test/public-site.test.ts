import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { startApp, type RunningApp } from './support/app.ts';

let app: RunningApp;
before(async () => {
  app = await startApp();
});
after(async () => app.stop());

/** Raw HTTP, so that nothing decompresses or caches behind the test's back. */
function raw(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${app.baseUrl}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the public site is served from memory with HTTP caching', () => {
  test('ETag revalidation answers 304 with no body, also for a list of validators', async () => {
    const first = await raw('/api/v2/summary.json');
    const etag = String(first.headers.etag);
    assert.match(etag, /^"[\w-]+"$/);
    assert.ok(first.headers['last-modified']);
    assert.match(String(first.headers['cache-control']), /max-age=1\b/);
    const again = await raw('/api/v2/summary.json', { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal((await raw('/api/v2/summary.json', { 'if-none-match': `"other", W/${etag}` })).status, 304);
    assert.equal((await raw('/api/v2/summary.json', { 'if-none-match': '"stale"' })).status, 200);
  });

  test('a change gives a new ETag at once', async () => {
    const before = String((await raw('/')).headers.etag);
    await app.commands.setComponentStatus({ type: 'staff', id: null }, 'websocket000', 'degraded_performance');
    await app.site.refresh();
    const after = await raw('/', { 'if-none-match': before });
    assert.equal(after.status, 200);
    assert.notEqual(after.headers.etag, before);
    assert.ok(after.body.toString().includes('パフォーマンス低下'));
    await app.commands.setComponentStatus({ type: 'staff', id: null }, 'websocket000', 'operational');
  });

  test('brotli and gzip variants carry the same page, each with its own validator', async () => {
    const plain = await raw('/?lang=en');
    const br = await raw('/?lang=en', { 'accept-encoding': 'gzip, deflate, br' });
    const gz = await raw('/?lang=en', { 'accept-encoding': 'gzip' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(brotliDecompressSync(br.body), plain.body);
    assert.deepEqual(gunzipSync(gz.body), plain.body);
    assert.ok(br.body.length < plain.body.length / 5, 'compression pays off');
    assert.equal(new Set([plain.headers.etag, br.headers.etag, gz.headers.etag]).size, 3);
    assert.match(String(plain.headers.vary), /Accept-Encoding/);
  });

  test('the page follows Accept-Language and says so in Vary; ?lang pins it', async () => {
    const en = await raw('/', { 'accept-language': 'en-GB,en;q=0.9' });
    assert.match(en.body.toString(), /<html lang="en">/);
    assert.match(String(en.headers.vary), /Accept-Language/);
    const ja = await raw('/', { 'accept-language': 'ja,en;q=0.5' });
    assert.match(ja.body.toString(), /<html lang="ja">/);
    const pinned = await raw('/?lang=ja', { 'accept-language': 'en' });
    assert.match(pinned.body.toString(), /<html lang="ja">/);
  });

  test('HEAD answers headers only; the API allows cross-origin reads and preflights', async () => {
    const head = await raw('/api/v2/status.json', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.ok(Number(head.headers['content-length']) > 0);
    const preflight = await raw('/api/v2/summary.json', { origin: 'https://aggregator.example', 'access-control-request-method': 'GET' }, 'OPTIONS');
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], '*');
  });

  test('security headers on the page; unknown paths get a 404 page in the visitor\'s language', async () => {
    const page = await raw('/');
    assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    const missing = await raw('/no/such/page', { 'accept-language': 'en' });
    assert.equal(missing.status, 404);
    assert.ok(missing.body.toString().includes('was not found'));
    const missingApi = await raw('/api/v2/nothing.json');
    assert.equal(missingApi.status, 404);
    assert.equal(JSON.parse(missingApi.body.toString()).code, 'NOT_FOUND');
  });

  test('an old incident not kept in memory is still served from the database', async () => {
    const { incidentId } = await app.commands.declareIncident({ type: 'staff', id: null }, { type: 'other', severity: 'SEV4', nameJa: '古い障害', bodyJa: '記録' });
    await app.commands.postUpdate({ type: 'staff', id: null }, incidentId, { status: 'resolved', bodyJa: '解決' });
    // Make it older than everything the snapshot keeps by pushing 50 newer resolved incidents past it.
    await app.db.query(`UPDATE incidents SET created_at = now() - interval '400 days' WHERE id = $1`, [incidentId]);
    for (let i = 0; i < 50; i++) {
      const r = await app.commands.declareIncident({ type: 'staff', id: null }, { type: 'other', severity: 'SEV4', nameJa: `新しい ${i}`, bodyJa: 'x' });
      await app.commands.postUpdate({ type: 'staff', id: null }, r.incidentId, { status: 'resolved', bodyJa: 'ok' });
    }
    await app.site.refresh();
    assert.ok(!app.site.incidentIds().includes(incidentId), 'not in the in-memory snapshot');
    const res = await raw(`/incidents/${incidentId}`);
    assert.equal(res.status, 200);
    assert.ok(res.body.toString().includes('古い障害'));

    await app.db.query(`UPDATE incidents SET started_at = created_at WHERE id = $1`, [incidentId]);
    const [moved] = await app.db.query<{ month: string }>(
      `SELECT to_char(started_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM') AS month FROM incidents WHERE id = $1`, [incidentId]);
    assert.ok(moved);
    const archive = await raw(`/history/${moved.month}`);
    assert.equal(archive.status, 200);
    assert.ok(archive.body.toString().includes('古い障害'), 'the month archive lists it');
    assert.ok(!(await raw(`/history/${moved.month}?lang=en`)).body.toString().includes('新しい 1'), 'and only that month');
    for (const bad of ['2026-13', '2026-00', 'abcd-ef', '2026-1']) assert.equal((await raw(`/history/${bad}`)).status, 404, bad);
  });
});
