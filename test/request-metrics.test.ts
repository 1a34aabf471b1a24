/**
 * Request metrics: the status page's prebuilt answers are counted as they are handed to the socket (no listener
 * per request), everything else when its answer has been sent — both in the same series Prometheus reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Metrics, routeGroup } from '../src/ops/metrics.ts';

const noDb = { query: async () => [] } as never;

function sample(text: string, name: string, labels: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : null;
}

test('fast-path and framework answers are counted by path group, method and status class, with their latency', async () => {
  const metrics = new Metrics({ db: noDb, snapshotAgeSeconds: () => 1, snapshotStale: () => false });
  const server: Server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    if (req.url === '/' || req.url?.startsWith('/api/v2/')) {
      res.writeHead(req.headers['if-none-match'] ? 304 : 200).end('page');
      metrics.record(req, res.statusCode, started);
    } else {
      metrics.observe(req, res, started);
      setTimeout(() => res.writeHead(req.url === '/contact' ? 201 : 404).end('later'), 5);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    for (let i = 0; i < 3; i++) await (await fetch(`${base}/`)).text();
    await (await fetch(`${base}/`, { headers: { 'if-none-match': '"x"' } })).text();
    await (await fetch(`${base}/api/v2/summary.json`)).text();
    await (await fetch(`${base}/contact`, { method: 'POST' })).text();
    for (let i = 0; i < 2; i++) await (await fetch(`${base}/no-such-${i}`)).text();
    const text = await metrics.registry.metrics();
    assert.equal(sample(text, 'kinkyu_http_requests_total', 'group="status-page",method="GET",status="2xx"'), 3, text);
    assert.equal(sample(text, 'kinkyu_http_requests_total', 'group="status-page",method="GET",status="3xx"'), 1);
    assert.equal(sample(text, 'kinkyu_http_requests_total', 'group="api",method="GET",status="2xx"'), 1);
    assert.equal(sample(text, 'kinkyu_http_requests_total', 'group="contact",method="POST",status="2xx"'), 1);
    assert.equal(sample(text, 'kinkyu_http_requests_total', 'group="other",method="GET",status="4xx"'), 2);
    assert.equal(sample(text, 'kinkyu_http_request_duration_seconds_count', 'group="status-page"'), 4);
    // The framework's answer took at least its 5 ms: it is timed to the end of the answer, not to the handler's return.
    assert.equal(sample(text, 'kinkyu_http_request_duration_seconds_bucket', 'le="0.0025",group="contact"'), 0, text);
    assert.equal(sample(text, 'kinkyu_http_request_duration_seconds_count', 'group="contact"'), 1);
  } finally {
    server.close();
  }
});

test('path groups: the status page and its feeds, known sections, and one "other" for everything else', () => {
  for (const url of ['/', '/index.html', '/en', '/history.atom?lang=en', '/feed.rss']) assert.equal(routeGroup(url), 'status-page', url);
  assert.equal(routeGroup('/api/v2/summary.json'), 'api');
  assert.equal(routeGroup('/staff/tickets?view=mine'), 'staff');
  for (let i = 0; i < 500; i++) assert.equal(routeGroup(`/random-${i}/x`), 'other');
  assert.equal(routeGroup('/help/articles/x'), 'help', 'still right after many unknown first segments');
});
