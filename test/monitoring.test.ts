import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTcpServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { openDb, type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { applyComponentConfig, parseComponentConfig } from '../src/status/component-config.ts';
import { SYSTEM_ACTOR } from '../src/domain/actor.ts';
import { KinkyuError } from '../src/domain/errors.ts';
import { checkHttp } from '../src/monitors/http-check.ts';
import { checkTcp } from '../src/monitors/tcp-check.ts';
import { checkBitbank, statusFromPairFlags } from '../src/monitors/bitbank.ts';
import { dampen, INITIAL_SIGNAL, signalOf, statusesToApply, type DampingState } from '../src/monitors/damping.ts';
import { parseMonitorInput } from '../src/monitors/config.ts';
import { createMonitor, dailyUptime, recentResults } from '../src/monitors/repository.ts';
import { MonitorRunner, type StateChange } from '../src/monitors/runner.ts';
import type { PairComponent } from '../src/monitors/types.ts';
import { freePort } from './support/net.ts';
import { postgresAvailable, startPostgres } from './support/postgres-server.ts';
import { bitbankStandIn, json, normalExchange, serve, type LocalServer } from './support/local-http.ts';
import './support/audit-key.ts'; // appends to the audit log on a bare database: the test process's audit key

async function migratedDb(databaseUrl?: string): Promise<Db> {
  const db = await openDb({ databaseUrl });
  await migrate(db);
  const entries = parseComponentConfig(JSON.parse(readFileSync(new URL('../examples/components.bitbank.json', import.meta.url), 'utf8')));
  await db.transaction((tx) => applyComponentConfig(tx, SYSTEM_ACTOR, entries, new Date('2026-01-01T00:00:00Z')));
  return db;
}

/** A clock the test moves by hand, so "one interval later" needs no waiting. */
function manualClock(start = '2026-06-01T00:00:00Z') {
  let now = new Date(start).getTime();
  return { now: () => new Date(now), advance: (s: number) => void (now += s * 1000) };
}

// ---- HTTP and TCP checks ----

describe('HTTP check', () => {
  let server: LocalServer;
  before(async () => {
    server = await serve((req, res) => {
      const path = req.url ?? '/';
      if (path === '/ok') return json(res, { data: { status: 'NORMAL', list: [{ n: 1 }, { n: 2 }] } });
      if (path === '/maint') return json(res, { message: 'under maintenance' }, 503);
      if (path === '/html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<html>メンテナンス中</html>');
      }
      if (path === '/slow') return void setTimeout(() => json(res, { ok: true }), 200);
      if (path === '/hang') return; // accepts, never answers
      if (path === '/trickle') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first bytes');
        return; // headers and a little body, then nothing
      }
      if (path === '/huge') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('x'.repeat(3 * 1024 * 1024));
        return res.end('NEEDLE');
      }
      if (path === '/redirect') {
        res.writeHead(302, { location: '/ok' });
        return res.end();
      }
      res.writeHead(404).end();
    });
  });
  after(() => server.close());
  const t = { timeoutMs: 2000 };

  test('a 2xx answer is up; another code is down and the detail says which was expected', async () => {
    const up = await checkHttp({ url: `${server.url}/ok` }, t);
    assert.equal(up.ok, true);
    assert.equal(up.health, 'up');
    assert.ok(up.latencyMs >= 0);
    const down = await checkHttp({ url: `${server.url}/maint` }, t);
    assert.equal(down.ok, false);
    assert.equal(down.health, 'down');
    assert.match(down.detail, /HTTP 503, expected 200-299/);
    const expected503 = await checkHttp({ url: `${server.url}/maint`, expectedStatus: [{ min: 503, max: 503 }] }, t);
    assert.equal(expected503.ok, true);
    const redirect = await checkHttp({ url: `${server.url}/redirect` }, t);
    assert.match(redirect.detail, /HTTP 302/, 'a redirect is not followed');
  });

  test('keyword present, keyword absent', async () => {
    assert.equal((await checkHttp({ url: `${server.url}/html`, keyword: 'メンテナンス' }, t)).ok, true);
    const missing = await checkHttp({ url: `${server.url}/html`, keyword: '正常' }, t);
    assert.equal(missing.ok, false);
    assert.match(missing.detail, /does not contain "正常"/);
    const mustBeAbsent = await checkHttp({ url: `${server.url}/html`, keyword: 'メンテナンス', keywordAbsent: true }, t);
    assert.equal(mustBeAbsent.ok, false);
    assert.match(mustBeAbsent.detail, /must be absent/);
    assert.equal((await checkHttp({ url: `${server.url}/html`, keyword: 'error', keywordAbsent: true }, t)).ok, true);
  });

  test('JSON path and expected value', async () => {
    assert.equal((await checkHttp({ url: `${server.url}/ok`, jsonPath: 'data.status', jsonExpected: 'NORMAL' }, t)).ok, true);
    assert.equal((await checkHttp({ url: `${server.url}/ok`, jsonPath: '$.data.list[1].n', jsonExpected: 2 }, t)).ok, true);
    const wrong = await checkHttp({ url: `${server.url}/ok`, jsonPath: 'data.status', jsonExpected: 'HALT' }, t);
    assert.equal(wrong.ok, false);
    assert.match(wrong.detail, /data\.status is "NORMAL", expected "HALT"/);
    const absent = await checkHttp({ url: `${server.url}/ok`, jsonPath: 'data.nothing' }, t);
    assert.match(absent.detail, /not found/);
    const notJson = await checkHttp({ url: `${server.url}/html`, jsonPath: 'data.status', jsonExpected: 'NORMAL' }, t);
    assert.equal(notJson.ok, false);
    assert.match(notJson.detail, /not JSON/);
  });

  test('slower than the latency threshold is degraded, not down', async () => {
    const slow = await checkHttp({ url: `${server.url}/slow`, degradedAboveMs: 50 }, t);
    assert.equal(slow.ok, true);
    assert.equal(slow.health, 'degraded');
    assert.match(slow.detail, /slower than 50 ms/);
  });

  test('a server that never answers, or stops mid-body, fails at the timeout instead of hanging', async () => {
    for (const path of ['/hang', '/trickle']) {
      const r = await checkHttp({ url: `${server.url}${path}` }, { timeoutMs: 300 });
      assert.equal(r.ok, false, path);
      assert.match(r.detail, /within 300 ms/, path);
    }
  });

  test('only the first 1 MB of a body is read', async () => {
    const r = await checkHttp({ url: `${server.url}/huge`, keyword: 'NEEDLE' }, t);
    assert.equal(r.ok, false);
    assert.match(r.detail, /first 1 MB/);
  });

  test('a refused connection is down with the reason', async () => {
    const r = await checkHttp({ url: `http://127.0.0.1:${await freePort()}/` }, t);
    assert.equal(r.ok, false);
    assert.match(r.detail, /ECONNREFUSED/);
  });
});

describe('TCP check', () => {
  test('a listening port is up; a closed one is down', async () => {
    const server = createTcpServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const up = await checkTcp({ host: '127.0.0.1', port }, { timeoutMs: 2000 });
    assert.equal(up.ok, true);
    assert.match(up.detail, /connected/);
    await new Promise((resolve) => server.close(resolve));
    const down = await checkTcp({ host: '127.0.0.1', port }, { timeoutMs: 2000 });
    assert.equal(down.ok, false);
    assert.match(down.detail, /ECONNREFUSED/);
  });
});

// ---- Flap damping ----

describe('flap damping', () => {
  const th = { fail: 3, recover: 2 };
  const down = signalOf('down', { api: 'major_outage' });
  const up = signalOf('up', { api: 'operational' });

  function feed(signals: typeof up[], start: DampingState = { signal: INITIAL_SIGNAL, consecutive: 0 }) {
    let state = start;
    const changes: string[] = [];
    for (const s of signals) {
      const r = dampen(state, s, th);
      state = r.state;
      if (r.changed) changes.push(r.state.signal.health);
    }
    return { state, changes };
  }

  test('operational entries do not make a signal differ', () => {
    assert.deepEqual(up, INITIAL_SIGNAL);
  });

  test('one failed check alone, or two, do not flip; the third in a row does', () => {
    assert.deepEqual(feed([down, up, down, down, up]).changes, []);
    const r = feed([down, down, down]);
    assert.deepEqual(r.changes, ['down']);
    assert.deepEqual(r.state.signal, down);
  });

  test('recovery takes its own threshold of good results in a row', () => {
    const start = { signal: down, consecutive: 0 };
    assert.deepEqual(feed([up, down, up], start).changes, []);
    assert.deepEqual(feed([up, up], start).changes, ['up']);
  });

  test('a move to another failing component counts as getting worse', () => {
    const elsewhere = signalOf('degraded', { eth: 'major_outage' });
    const r = feed([elsewhere, elsewhere, elsewhere], { signal: signalOf('degraded', { btc: 'major_outage' }), consecutive: 0 });
    assert.equal(r.changes.length, 1);
    assert.deepEqual(statusesToApply(signalOf('degraded', { btc: 'major_outage' }), r.state.signal), { btc: 'operational', eth: 'major_outage' });
  });
});

// ---- bitbank adapter ----

describe('bitbank exchange status', () => {
  let server: LocalServer;
  const exchange = normalExchange();
  const components: PairComponent[] = [
    { id: 'pairbtcjpy00', pairs: ['btc_jpy'] },
    { id: 'pairethjpy00', pairs: ['eth_jpy'] },
    { id: 'pairaltjpy00', pairs: ['ltc_jpy', 'bcc_jpy', 'mona_jpy', 'xlm_jpy'] },
    { id: 'restapi00000', pairs: [] },
  ];
  const check = () => checkBitbank({ baseUrl: `${server.url}/` }, components, { timeoutMs: 2000 });
  before(async () => {
    server = await serve(bitbankStandIn(exchange));
  });
  after(() => server.close());
  const reset = () => Object.assign(exchange, normalExchange());

  test('each of the four statuses maps to its component status; a group takes its worst pair', async () => {
    reset();
    const all = await check();
    assert.equal(all.health, 'up');
    assert.deepEqual(all.componentStatuses, { pairbtcjpy00: 'operational', pairethjpy00: 'operational', pairaltjpy00: 'operational', restapi00000: 'operational' });
    exchange.statuses.btc_jpy = 'HALT';
    exchange.statuses.eth_jpy = 'BUSY';
    exchange.statuses.mona_jpy = 'VERY_BUSY';
    exchange.statuses.ltc_jpy = 'BUSY';
    const mixed = await check();
    assert.equal(mixed.ok, true);
    assert.equal(mixed.health, 'degraded');
    assert.deepEqual(mixed.componentStatuses, {
      pairbtcjpy00: 'major_outage', pairethjpy00: 'degraded_performance', pairaltjpy00: 'partial_outage', restapi00000: 'operational',
    });
    assert.match(mixed.detail, /btc_jpy major_outage/);
  });

  test('pairs flags: is_enabled false is a major outage, stop_order partial, one order type degraded', async () => {
    reset();
    exchange.flags = { btc_jpy: { is_enabled: false }, eth_jpy: { stop_order: true }, xlm_jpy: { stop_market_order: true } };
    const r = await check();
    assert.equal(r.componentStatuses?.pairbtcjpy00, 'major_outage');
    assert.equal(r.componentStatuses?.pairethjpy00, 'partial_outage');
    assert.equal(r.componentStatuses?.pairaltjpy00, 'degraded_performance');
    assert.match(r.detail, /is_enabled=false/);
    assert.equal(statusFromPairFlags({ is_enabled: true, stop_order_and_cancel: true }).status, 'major_outage');
  });

  test('error 10007 puts every component under maintenance; 10008 makes every one degraded', async () => {
    reset();
    exchange.override = { status: 503, body: JSON.stringify({ success: 0, data: { code: 10007 } }) };
    const maint = await check();
    assert.equal(maint.health, 'maintenance');
    assert.deepEqual(new Set(Object.values(maint.componentStatuses ?? {})), new Set(['under_maintenance']));
    assert.equal(Object.keys(maint.componentStatuses ?? {}).length, components.length);
    exchange.override = { status: 200, body: JSON.stringify({ success: 0, data: { code: 10008 } }) };
    const busy = await check();
    assert.equal(busy.health, 'degraded');
    assert.deepEqual(new Set(Object.values(busy.componentStatuses ?? {})), new Set(['degraded_performance']));
  });

  test('malformed answers are failed checks with a detail, never exceptions', async () => {
    const cases: [number, string, RegExp][] = [
      [502, '<html>Bad gateway</html>', /not JSON/],
      [200, '{"success":1,"data":{}}', /data\.statuses is not a list/],
      [200, '{"success":1,"data":{"statuses":[{"pair":1}]}}', /data\.statuses is not a list/],
      [200, '[1,2]', /not a JSON object/],
      [200, '{"success":0,"data":{"code":10009}}', /error code 10009/],
      [200, '{"success":"yes","data":{}}', /success is "yes"/],
    ];
    for (const [status, body, detail] of cases) {
      reset();
      exchange.override = { status, body };
      const r = await check();
      assert.equal(r.ok, false, body);
      assert.equal(r.health, 'down', body);
      assert.match(r.detail, detail, body);
    }
    reset();
  });
});

// ---- Monitor definitions ----

describe('monitor definitions', () => {
  test('hostile or wrong input is refused with the field named', () => {
    const refuse = (raw: unknown, field: string) =>
      assert.throws(() => parseMonitorInput(raw), (e: unknown) => e instanceof KinkyuError && e.params.field === field);
    refuse({ name: 'x', kind: 'ftp', config: {} }, 'kind');
    refuse({ name: 'x', kind: 'http', config: { url: 'file:///etc/passwd' } }, 'config.url');
    refuse({ name: 'x', kind: 'http', config: { url: 'http://a/', headers: { 'x-a': 'b\r\nEvil: 1' } } }, 'config.headers');
    refuse({ name: 'x', kind: 'http', config: { url: 'http://a/', jsonPath: 'a..b' } }, 'config.jsonPath');
    refuse({ name: 'x', kind: 'http', config: { url: 'http://a/', expectedStatus: ['299-200'] } }, 'config.expectedStatus');
    refuse({ name: 'x', kind: 'tcp', config: { host: 'a b', port: 80 } }, 'config.host');
    refuse({ name: 'x', kind: 'tcp', config: { host: 'a', port: 70000 } }, 'config.port');
    refuse({ name: 'x', kind: 'tcp', config: { host: 'a', port: 1 }, intervalS: 1 }, 'intervalS');
    refuse({ name: 'x', kind: 'tcp', config: { host: 'a', port: 1 }, componentIds: ['<script>'] }, 'componentIds');
    const ok = parseMonitorInput({ name: 'API', kind: 'http', config: { url: 'https://api.example.com/health', expectedStatus: ['200-204', 301], evil: 1 } });
    assert.deepEqual(ok.config, { url: 'https://api.example.com/health', expectedStatus: [{ min: 200, max: 204 }, { min: 301, max: 301 }] });
    assert.equal(ok.failThreshold, 3);
  });
});

// ---- Runner on a database ----

describe('monitor runner', () => {
  let db: Db;
  let target: LocalServer;
  let up = true;
  before(async () => {
    db = await migratedDb();
    target = await serve((_req, res) => (up ? json(res, { ok: true }) : json(res, { ok: false }, 500)));
  });
  after(async () => {
    await target.close();
    await db.close();
  });

  async function httpMonitor(clock: { now: () => Date }, extra: Record<string, unknown> = {}): Promise<string> {
    const input = parseMonitorInput({
      name: 'REST API', kind: 'http', config: { url: `${target.url}/health` }, intervalS: 60, timeoutMs: 2000,
      failThreshold: 3, recoverThreshold: 2, componentIds: ['restapi00000'], ...extra,
    });
    return db.transaction((tx) => createMonitor(tx, input, clock.now()));
  }

  test('down for three checks flips once and reports the component; one failure alone does not; recovery after two', async () => {
    const clock = manualClock();
    const id = await httpMonitor(clock);
    const changes: StateChange[] = [];
    const runner = new MonitorRunner({ db, clock: clock.now, onStateChange: async (c) => void changes.push(c) });
    const round = async (targetUp: boolean) => {
      up = targetUp;
      const ran = await runner.runDue();
      assert.ok(ran.includes(id), 'the monitor was due');
      clock.advance(60);
    };

    await round(true);
    await round(false); // one failed check
    await round(true);
    assert.equal(changes.length, 0, 'one failed check alone does not change the state');

    await round(false);
    await round(false);
    assert.equal(changes.length, 0, 'two in a row are not enough');
    await round(false);
    assert.equal(changes.length, 1, 'the third failure in a row flips it');
    const change = changes[0]!;
    assert.equal(change.monitor.id, id);
    assert.equal(change.from.health, 'up');
    assert.equal(change.to.health, 'down');
    assert.deepEqual(change.componentStatuses, { restapi00000: 'major_outage' });
    assert.match(change.detail, /HTTP 500/);

    await round(false);
    await round(true);
    await round(false);
    assert.equal(changes.length, 1, 'staying down, or one good check, changes nothing');
    await round(true);
    await round(true);
    assert.equal(changes.length, 2);
    assert.equal(changes[1]!.to.health, 'up');
    assert.deepEqual(changes[1]!.componentStatuses, { restapi00000: 'operational' });

    const results = await recentResults(db, id);
    assert.equal(results.length, 11);
    assert.equal(results.filter((r) => !r.ok).length, 6);
    const days = await dailyUptime(db, id, new Date('2026-05-31T00:00:00Z'), new Date('2026-06-02T00:00:00Z'));
    assert.deepEqual(days.map((d) => [d.checks, d.okChecks]), [[11, 5]]);
  });

  test('a monitor is not run again before its interval has passed', async () => {
    const clock = manualClock('2026-07-01T00:00:00Z');
    up = true;
    const id = await httpMonitor(clock);
    const runner = new MonitorRunner({ db, clock: clock.now });
    assert.ok((await runner.runDue()).includes(id));
    clock.advance(59);
    assert.ok(!(await runner.runDue()).includes(id));
    clock.advance(1);
    assert.ok((await runner.runDue()).includes(id));
  });

  test('a callback that throws leaves the state unchanged, and the next failing check calls it again', async () => {
    const clock = manualClock('2026-08-01T00:00:00Z');
    const id = await httpMonitor(clock, { failThreshold: 1 });
    let calls = 0;
    const errors: unknown[] = [];
    const runner = new MonitorRunner({
      db, clock: clock.now, onError: (e) => errors.push(e),
      onStateChange: async (c) => {
        if (c.monitor.id !== id) return;
        calls++;
        if (calls === 1) throw new Error('incident service unavailable');
      },
    });
    up = false;
    await runner.runDue();
    assert.equal(errors.length, 1);
    clock.advance(60);
    await runner.runDue();
    assert.equal(calls, 2);
    const [state] = await db.query<{ health: string }>('SELECT health FROM monitor_state WHERE monitor_id = $1', [id]);
    assert.equal(state?.health, 'down');
    up = true;
  });

  test('start() polls until stop(), and stop() waits for the round under way', async () => {
    const clock = manualClock('2026-08-15T00:00:00Z');
    up = true;
    const id = await httpMonitor(clock);
    const runner = new MonitorRunner({ db, clock: clock.now });
    runner.start(10);
    const deadline = Date.now() + 5000;
    while ((await recentResults(db, id)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await runner.stop();
    assert.equal((await recentResults(db, id)).length, 1, 'checked once: the next run is an interval away');
    clock.advance(60);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await recentResults(db, id)).length, 1, 'a stopped runner checks nothing');
  });

  test('the bitbank monitor sets the pair components after three HALT checks', async () => {
    const exchange = normalExchange();
    const stand = await serve(bitbankStandIn(exchange));
    try {
      const clock = manualClock('2026-09-01T00:00:00Z');
      const input = parseMonitorInput({ name: 'bitbank', kind: 'bitbank', config: { baseUrl: stand.url }, intervalS: 30, timeoutMs: 2000 });
      const id = await db.transaction((tx) => createMonitor(tx, input, clock.now()));
      const changes: StateChange[] = [];
      const runner = new MonitorRunner({ db, clock: clock.now, onStateChange: async (c) => void (c.monitor.id === id && changes.push(c)) });
      exchange.statuses.btc_jpy = 'HALT';
      for (let i = 0; i < 3; i++) {
        await runner.runDue();
        clock.advance(30);
      }
      assert.equal(changes.length, 1);
      assert.deepEqual(changes[0]!.componentStatuses, { pairbtcjpy00: 'major_outage' });
      exchange.override = { status: 503, body: '{"success":0,"data":{"code":10007}}' };
      for (let i = 0; i < 3; i++) {
        await runner.runDue();
        clock.advance(30);
      }
      assert.equal(changes.length, 2);
      assert.equal(changes[1]!.to.health, 'maintenance');
      assert.equal(changes[1]!.componentStatuses.pairethjpy00, 'under_maintenance');
      assert.equal(changes[1]!.componentStatuses.pairbtcq0000, 'under_maintenance');
    } finally {
      await stand.close();
    }
  });
});

// ---- Several runners, one database ----

async function onceEachInterval(dbs: [Db, Db], monitorCount: number, rounds: number) {
  const target = await serve((req, res) => json(res, { path: req.url }));
  const hitsByPath = new Map<string, number>();
  target.handler = (req, res) => {
    hitsByPath.set(req.url ?? '', (hitsByPath.get(req.url ?? '') ?? 0) + 1);
    json(res, { ok: true });
  };
  try {
    const clock = manualClock('2026-10-01T00:00:00Z');
    const ids: string[] = [];
    for (let i = 0; i < monitorCount; i++) {
      const input = parseMonitorInput({ name: `m${i}`, kind: 'http', config: { url: `${target.url}/m${i}` }, intervalS: 60, timeoutMs: 2000 });
      ids.push(await dbs[0].transaction((tx) => createMonitor(tx, input, clock.now())));
    }
    const a = new MonitorRunner({ db: dbs[0], clock: clock.now, owner: 'runner-a', batchSize: 7 });
    const b = new MonitorRunner({ db: dbs[1], clock: clock.now, owner: 'runner-b', batchSize: 7 });
    for (let round = 0; round < rounds; round++) {
      // Both race for the same due monitors, several times within the one interval.
      await Promise.all([a.runDue(), b.runDue(), a.runDue(), b.runDue(), a.runDue(), b.runDue()]);
      await Promise.all([a.runDue(), b.runDue(), a.runDue(), b.runDue()]);
      clock.advance(60);
    }
    const runners = await dbs[0].query<{ runner: string; n: number }>(
      'SELECT runner, count(*)::int AS n FROM monitor_results WHERE monitor_id = ANY($1::text[]) GROUP BY runner', [ids],
    );
    return { hitsByPath, runners };
  } finally {
    await target.close();
  }
}

describe('several runners on one database', () => {
  test('embedded database: each monitor runs exactly once per interval in total', async () => {
    const db = await migratedDb();
    try {
      const { hitsByPath, runners } = await onceEachInterval([db, db], 20, 3);
      assert.equal(hitsByPath.size, 20);
      for (const [path, hits] of hitsByPath) assert.equal(hits, 3, `${path} ran ${hits} times in 3 intervals`);
      assert.equal(runners.reduce((s, r) => s + r.n, 0), 60);
    } finally {
      await db.close();
    }
  });

  test('PostgreSQL server, two connection pools: each monitor runs exactly once per interval in total', { skip: postgresAvailable() ? false : 'no PostgreSQL binaries on this machine' }, async () => {
    const pg = await startPostgres();
    const dbs: Db[] = [];
    try {
      dbs.push(await migratedDb(pg.url));
      dbs.push(await openDb({ databaseUrl: pg.url }));
      const { hitsByPath, runners } = await onceEachInterval([dbs[0]!, dbs[1]!], 30, 4);
      assert.equal(hitsByPath.size, 30);
      for (const [path, hits] of hitsByPath) assert.equal(hits, 4, `${path} ran ${hits} times in 4 intervals`);
      console.log(`# runs per runner: ${runners.map((r) => `${r.runner}=${r.n}`).join(', ')}`);
      assert.equal(runners.reduce((s, r) => s + r.n, 0), 120);
    } finally {
      for (const db of dbs) await db.close();
      pg.destroy();
    }
  });
});
