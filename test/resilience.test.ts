import { openMigratedDb } from './support/test-db.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { openDb, type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { seedDemoData } from '../src/status/demo-data.ts';
import { StatusCommands } from '../src/status/commands.ts';
import { listComponents } from '../src/status/repository.ts';
import { loadSnapshot } from '../src/status/page/snapshot.ts';
import { PublicSite } from '../src/status/page/site.ts';
import { renderAtom, renderRss } from '../src/status/page/feeds.ts';
import { postgresAvailable, startPostgres, type PostgresServer } from './support/postgres-server.ts';
import { startApp, makeStaff, StaffClient, PASSWORD, type RunningApp } from './support/app.ts';

const staff = { type: 'staff' as const, id: null };
const PAGE = { id: 'p', nameJa: 'テスト', nameEn: 'Test', url: 'http://x', timeZone: 'Asia/Tokyo' };
const MESSAGES = { startedJa: '開始', startedEn: 'started', completedJa: '完了', completedEn: 'done' };

describe('overlapping incidents and maintenance never hide an outage', () => {
  let db: Db;
  let commands: StatusCommands;
  before(async () => {
    db = await openMigratedDb();
    await migrate(db);
    await seedDemoData(db);
    commands = new StatusCommands(db);
  });
  after(async () => db.close());
  const statusOf = async (id: string) => (await listComponents(db)).find((c) => c.id === id)?.status;

  test('a maintenance starting on a component in an open incident leaves the outage showing, and closing it changes nothing', async () => {
    const incident = await commands.declareIncident(staff, { type: 'outage', severity: 'SEV4', nameJa: 'X 障害', bodyJa: 'x', componentStatuses: { jpydeposit00: 'major_outage' } });
    const { incidentId: m } = await commands.scheduleMaintenance(staff, {
      nameJa: 'メンテ', bodyJa: 'm', scheduledFor: new Date(Date.now() - 60_000).toISOString(),
      scheduledUntil: new Date(Date.now() + 3600_000).toISOString(), componentIds: ['jpydeposit00', 'jpywithdraw0'],
    });
    assert.equal(await commands.runMaintenanceSchedule(MESSAGES), 1);
    assert.equal(await statusOf('jpydeposit00'), 'major_outage');
    assert.equal(await statusOf('jpywithdraw0'), 'under_maintenance');
    const snapshot = await loadSnapshot(db, PAGE, new Date());
    assert.equal(snapshot.indicator, 'major', 'the page still says there is an outage');

    await commands.postUpdate(staff, incident.incidentId, { status: 'resolved', bodyJa: '解決' });
    assert.equal(await statusOf('jpydeposit00'), 'under_maintenance', 'resolved during the maintenance: back under maintenance');
    await commands.postUpdate(staff, m, { status: 'completed', bodyJa: '完了' });
    assert.equal(await statusOf('jpydeposit00'), 'operational');
    assert.equal(await statusOf('jpywithdraw0'), 'operational');
  });

  test('two schedulers racing post one "started" update, not two', async () => {
    const { incidentId } = await commands.scheduleMaintenance(staff, {
      nameJa: '競合', bodyJa: 'm', scheduledFor: new Date(Date.now() - 1000).toISOString(),
      scheduledUntil: new Date(Date.now() + 3600_000).toISOString(), componentIds: ['ethtransfer0'],
    });
    const results = await Promise.all([commands.runMaintenanceSchedule(MESSAGES), commands.runMaintenanceSchedule(MESSAGES)]);
    assert.equal(results[0] + results[1], 1);
    const updates = await db.query<{ status: string }>('SELECT status FROM incident_updates WHERE incident_id = $1', [incidentId]);
    assert.deepEqual(updates.map((u) => u.status).sort(), ['in_progress', 'scheduled']);
  });
});

describe('on a PostgreSQL server', { skip: postgresAvailable() ? undefined : 'initdb not found' }, () => {
  let server: PostgresServer;
  let db: Db;
  before(async () => {
    server = await startPostgres();
    db = await openDb({ databaseUrl: server.url });
    await migrate(db);
    await seedDemoData(db);
  });
  after(async () => {
    await db?.close().catch(() => undefined);
    server?.destroy();
  });

  test('staff acting on the same component at the same moment never deadlock', async () => {
    const commands = new StatusCommands(db);
    const errors: unknown[] = [];
    await Promise.all(Array.from({ length: 30 }, async (_, i) => {
      await Promise.all([
        commands.declareIncident(staff, { type: 'outage', severity: 'SEV3', nameJa: `同時 ${i}`, bodyJa: 'x', componentStatuses: { restapi00000: 'partial_outage' } }).catch((e) => errors.push(e)),
        commands.setComponentStatus(staff, 'restapi00000', i % 2 ? 'degraded_performance' : 'major_outage').catch((e) => errors.push(e)),
      ]);
    }));
    assert.deepEqual(errors.map((e) => (e as { code?: string }).code ?? String(e)), []);
  });

  test('/readyz turns 503 naming the database while PostgreSQL is stopped, and 200 again once it is back; /healthz stays 200', async () => {
    const app = await startApp({ databaseUrl: server.url, demo: false });
    type Ready = { ready: boolean; checks: Record<string, { ok: boolean; detail?: string }> };
    const readyz = async () => {
      const res = await fetch(`${app.baseUrl}/readyz`);
      return { status: res.status, body: (await res.json()) as Ready, cache: res.headers.get('cache-control') };
    };
    try {
      const before = await readyz();
      assert.equal(before.status, 200, JSON.stringify(before.body));
      assert.equal(before.cache, 'no-store');
      server.stop();
      try {
        const down = await readyz();
        assert.equal(down.status, 503, JSON.stringify(down.body));
        assert.equal(down.body.ready, false);
        assert.equal(down.body.checks.database?.ok, false, 'the failing check is named');
        assert.equal((await fetch(`${app.baseUrl}/healthz`)).status, 200, 'alive: a restart would not bring the database back');
      } finally {
        server.start();
      }
      let back = await readyz();
      for (let i = 0; back.status !== 200 && i < 50; i++) {
        await new Promise((r) => setTimeout(r, 200));
        back = await readyz();
      }
      assert.equal(back.status, 200, JSON.stringify(back.body));
    } finally {
      await app.stop();
    }
  });

  test('the server going away in the middle of a transaction fails that transaction, not the process', async () => {
    const inFlight = db.transaction(async (tx) => {
      await tx.query('SELECT pg_sleep(5)');
    });
    await new Promise((r) => setTimeout(r, 300));
    server.stop();
    await assert.rejects(inFlight);
    server.start();
    // The pool replaces the broken connection: the next transaction works.
    const rows = await db.transaction((tx) => tx.query<{ one: number }>('SELECT 1 AS one'));
    assert.equal(rows[0]?.one, 1);
  });
});

describe('a database that stops answering', () => {
  test('turns the public page stale instead of hanging it', async () => {
    const real = await openMigratedDb();
    await migrate(real);
    await seedDemoData(real);
    let hang = false;
    const never = () => new Promise<never>(() => undefined);
    const db: Db = {
      kind: 'pglite',
      query: ((sql: string, params?: readonly unknown[]) => (hang ? never() : real.query(sql, params))) as Db['query'],
      transaction: ((fn: never) => (hang ? never() : real.transaction(fn))) as Db['transaction'],
      exec: (sql) => real.exec(sql),
      listen: (c, f) => real.listen(c, f),
      afterCommit: (fn) => real.afterCommit(fn),
      close: () => real.close(),
    };
    const site = new PublicSite(db, { page: PAGE, officialXUrl: 'https://x.com/a', defaultLang: 'ja', staleAfterMs: 200, pollMs: 100, fullRefreshMs: 200, dbDeadlineMs: 300 });
    await site.start();
    hang = true;
    const started = Date.now();
    while (!site.isStale() && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 50));
    assert.equal(site.isStale(), true, 'stale within the deadline plus staleAfterMs');
    await site.stop();
    await real.close();
  });
});

describe('hostile and odd requests', () => {
  let app: RunningApp;
  before(async () => {
    app = await startApp({ config: { defaultLang: 'en' } });
  });
  after(async () => app.stop());

  test('an incident name cannot break out of the feeds', async () => {
    const evil = 'Outage]]><entry><title>FAKE</title></entry><![CDATA[<img src=x onerror=alert(1)>';
    await app.commands.declareIncident(staff, { type: 'other', severity: 'SEV4', nameJa: evil, bodyJa: 'x' });
    const snapshot = await loadSnapshot(app.db, PAGE, new Date());
    for (const xml of [renderAtom(snapshot, 'ja'), renderRss(snapshot, 'ja')]) {
      assert.ok(!xml.includes('<entry><title>FAKE'), 'no injected element');
      assert.ok(!xml.includes('<img src=x'), 'no live markup');
      assert.equal(xml.split(']]>').length, xml.split('<![CDATA[').length, 'every CDATA section closes where it opened');
    }
  });

  test('sign-in guessing is limited however the address is written, without locking out the owner elsewhere', async () => {
    const email = await makeStaff(app.db, 'viewer');
    const attempt = (address: string, password: string, ip?: string) =>
      fetch(`${app.baseUrl}/staff/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(ip ? { 'x-forwarded-for': ip } : {}) },
        body: JSON.stringify({ email: address, password }),
      }).then((r) => r.status);
    const variants = [email, ` ${email}`, email.toUpperCase(), `${email}\t`, `\u000b${email}`, ` ${email} `];
    const statuses: number[] = [];
    for (const v of variants) statuses.push(await attempt(v, 'wrong guess'));
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
    assert.equal(statuses[5], 429, 'the sixth guess at the same account from one client is refused');
    assert.equal(await attempt(email, PASSWORD), 429, 'even with the right password, from that client');
    // TRUST_PROXY is off: a forged X-Forwarded-For does not give the attacker a fresh budget.
    assert.equal(await attempt(email, 'wrong guess', '203.0.113.9'), 429);
  });

  test('odd query values and encodings are handled', async () => {
    const commander = await StaffClient.signIn(app.baseUrl, await makeStaff(app.db, 'admin'));
    for (const ok of ['__proto__', 'constructor', 'toString']) assert.equal((await commander.get(`/staff?ok=${ok}`)).status, 200);
    const enc = await new Promise<string | undefined>((resolve, reject) => {
      request(`${app.baseUrl}/?lang=en`, { headers: { 'accept-encoding': 'br;q=0, gzip' } }, (res) => {
        res.resume();
        resolve(res.headers['content-encoding']);
      }).on('error', reject).end();
    });
    assert.equal(enc, 'gzip', 'br;q=0 means no brotli');
  });

  test('DEFAULT_LANG applies to every page, whichever page a header was first seen on', async () => {
    const headers = { 'accept-language': 'de-DE' };
    assert.equal((await fetch(`${app.baseUrl}/no/such/page`, { headers })).status, 404);
    assert.match(await (await fetch(`${app.baseUrl}/`, { headers })).text(), /<html lang="en">/);
    assert.match(await (await fetch(`${app.baseUrl}/no/such/page`, { headers })).text(), /<html lang="en">/);
  });
});
