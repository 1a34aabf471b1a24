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

test('the tallied series are exactly what prom-client\'s own Counter and Histogram give for the same requests', async () => {
  const { Counter, Histogram, Registry } = await import('prom-client');
  const { RequestTally } = await import('../src/ops/request-tally.ts');
  const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  const reference = new Registry();
  const counter = new Counter({ name: 'r_total', help: 'requests', labelNames: ['group', 'method', 'status'], registers: [reference] });
  const histogram = new Histogram({ name: 'd_seconds', help: 'duration', labelNames: ['group'], buckets, registers: [reference] });
  const tallied = new Registry();
  const tally = new RequestTally({ requests: { name: 'r_total', help: 'requests' }, duration: { name: 'd_seconds', help: 'duration' }, buckets });
  for (const metric of tally.metrics()) tallied.registerMetric(metric as never);
  // Values on every bucket bound, between them and past the last; several groups, methods and status classes.
  const requests: [string, string, number, number][] = [];
  for (const [i, seconds] of [0, 0.0005, 0.0007, 0.001, 0.003, 0.0099, 0.01, 0.3, 1, 2.5, 4.9, 5, 7, 30].entries()) {
    requests.push([['status-page', 'api', 'contact'][i % 3]!, i % 4 === 0 ? 'POST' : 'GET', [200, 304, 404, 503, 201][i % 5]!, seconds]);
  }
  for (const [group, method, code, seconds] of requests) {
    counter.inc({ group, method, status: `${Math.floor(code / 100)}xx` });
    histogram.observe({ group }, seconds);
    tally.add(group, method, code, seconds);
  }
  const lines = async (r: InstanceType<typeof Registry>) => (await r.metrics()).split('\n').filter((l) => l && !l.startsWith('#')).sort();
  assert.deepEqual(await lines(tallied), await lines(reference));
  // After a reset, and in OpenMetrics (a registry in that format renames counters: `_total` on each sample).
  reference.resetMetrics();
  tallied.resetMetrics();
  tally.add('api', 'GET', 200, 0.002);
  counter.inc({ group: 'api', method: 'GET', status: '2xx' });
  histogram.observe({ group: 'api' }, 0.002);
  assert.deepEqual(await lines(tallied), await lines(reference));
  // (prom-client's typings bind a registry's format at construction; its constructor takes it.)
  const OpenRegistry = Registry as unknown as new (contentType: string) => InstanceType<typeof Registry>;
  const referenceOpen = new OpenRegistry(Registry.OPENMETRICS_CONTENT_TYPE);
  referenceOpen.registerMetric(counter);
  referenceOpen.registerMetric(histogram);
  const talliedOpen = new OpenRegistry(Registry.OPENMETRICS_CONTENT_TYPE);
  for (const metric of tally.metrics()) talliedOpen.registerMetric(metric as never);
  assert.deepEqual(await lines(talliedOpen), await lines(referenceOpen));
});
