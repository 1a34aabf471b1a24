import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb, type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { appendAudit, verifyAudit } from '../src/audit/audit-log.ts';
import { StatusCommands } from '../src/status/commands.ts';
import { seedDemoData } from '../src/status/demo-data.ts';
import { getIncident, listComponents, pageVersion } from '../src/status/repository.ts';
import { loadSnapshot } from '../src/status/page/snapshot.ts';
import { postgresAvailable, startPostgres, type PostgresServer } from './support/postgres-server.ts';
import './support/audit-key.ts'; // appends to the audit log on a bare database: the test process's audit key

/** The same behaviour on both backends: the embedded PGlite and a real PostgreSQL server. */
const backends: { name: string; open: () => Promise<Db>; skip?: string }[] = [];
let server: PostgresServer | null = null;

backends.push({ name: 'PGlite', open: () => openDb({}) });
backends.push({
  name: 'PostgreSQL server',
  skip: postgresAvailable() ? undefined : 'initdb not found',
  open: async () => {
    server ??= await startPostgres();
    const admin = await openDb({ databaseUrl: server.url });
    const name = `t${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    await admin.exec(`CREATE DATABASE ${name}`);
    await admin.close();
    return openDb({ databaseUrl: server.url.replace(/\/postgres$/, `/${name}`) });
  },
});

after(() => server?.destroy());

const staff = { type: 'staff' as const, id: null };
const PAGE = { id: 'p', nameJa: 'テスト', nameEn: 'Test', url: 'http://x', timeZone: 'Asia/Tokyo' };

for (const backend of backends) {
  describe(`store on ${backend.name}`, { skip: backend.skip }, () => {
    let db: Db;
    before(async () => {
      db = await backend.open();
      await migrate(db);
    });
    after(async () => db?.close());

    test('migrations are recorded and running them again does nothing', async () => {
      assert.deepEqual(await migrate(db), []);
      const rows = await db.query<{ version: string }>('SELECT version FROM schema_migrations');
      assert.ok(rows.some((r) => r.version === '001_foundation.sql') && rows.some((r) => r.version === '002_coalesce_page_notify.sql'));
    });

    test('demo data: grouped components, a past incident, an upcoming maintenance', async () => {
      assert.equal(await seedDemoData(db), true);
      assert.equal(await seedDemoData(db), false, 'seeding twice does nothing');
      const components = await listComponents(db);
      assert.ok(components.some((c) => c.isGroup && c.nameEn === 'Spot trading'));
      assert.ok(components.some((c) => c.nameJa === 'BTC/JPY' && c.groupId === 'grptrading00'));
      const snapshot = await loadSnapshot(db, PAGE, new Date());
      assert.ok(snapshot.incidents.some((i) => i.status === 'resolved'));
      assert.ok(snapshot.maintenances.some((m) => m.status === 'scheduled' && m.scheduledFor! > new Date()));
      const xrp = snapshot.uptime.get('xrptransfer0');
      assert.ok(xrp && xrp.overall !== null && xrp.overall < 1, 'the past XRP outage shows in its uptime');
      assert.equal(snapshot.uptime.get('btctransfer0')?.overall, 1);
    });

    test('a change bumps the page version inside the same transaction', async () => {
      const before = (await pageVersion(db)).version;
      const commands = new StatusCommands(db);
      await commands.setComponentStatus(staff, 'websocket000', 'partial_outage');
      assert.ok((await pageVersion(db)).version > before);
    });

    test('a failed command leaves no trace', async () => {
      const commands = new StatusCommands(db);
      const before = await db.query('SELECT count(*)::int AS n FROM incidents');
      const auditBefore = await db.query('SELECT count(*)::int AS n FROM audit_log');
      await assert.rejects(commands.declareIncident(staff, {
        type: 'outage', severity: 'SEV1', nameJa: 'x', bodyJa: 'y', componentStatuses: { restapi00000: 'major_outage', nosuch: 'major_outage' },
      }));
      assert.deepEqual(await db.query('SELECT count(*)::int AS n FROM incidents'), before);
      assert.deepEqual(await db.query('SELECT count(*)::int AS n FROM audit_log'), auditBefore);
      const rest = (await listComponents(db)).find((c) => c.id === 'restapi00000');
      assert.equal(rest?.status, 'operational');
    });

    test('resolving one incident leaves components another open incident holds', async () => {
      const commands = new StatusCommands(db);
      const a = await commands.declareIncident(staff, { type: 'outage', severity: 'SEV2', nameJa: 'A', bodyJa: 'a', componentStatuses: { jpydeposit00: 'major_outage', jpywithdraw0: 'major_outage' } });
      await commands.declareIncident(staff, { type: 'outage', severity: 'SEV2', nameJa: 'B', bodyJa: 'b', componentStatuses: { jpywithdraw0: 'major_outage' } });
      await commands.postUpdate(staff, a.incidentId, { status: 'resolved', bodyJa: 'done' });
      const byId = new Map((await listComponents(db)).map((c) => [c.id, c.status]));
      assert.equal(byId.get('jpydeposit00'), 'operational');
      assert.equal(byId.get('jpywithdraw0'), 'major_outage', 'still held by incident B');
      const incident = await getIncident(db, a.incidentId, { includeInternal: true });
      assert.equal(incident?.status, 'resolved');
      assert.ok(incident?.resolvedAt);
    });

    test('concurrent audit appends form one unbroken chain', async () => {
      await Promise.all(Array.from({ length: 40 }, (_, i) =>
        db.transaction((tx) => appendAudit(tx, { actorType: 'system', actorId: null, action: 'test.concurrent', data: { i, nested: { b: 1, a: [1, 'x'] } } })),
      ));
      const result = await verifyAudit(db);
      assert.equal(result.ok, true, JSON.stringify(result.problems));
      assert.ok(result.rows >= 40);
    });

    test('a deleted audit row and a deleted tail are both detected', async () => {
      await db.exec('ALTER TABLE audit_log DISABLE TRIGGER USER');
      await db.query('DELETE FROM audit_log WHERE seq = 3');
      let result = await verifyAudit(db);
      assert.equal(result.ok, false);
      assert.ok(result.problems.some((p) => p.seq === 3 && p.problem === 'missing'));
      await db.query('DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)');
      result = await verifyAudit(db);
      assert.ok(result.problems.some((p) => p.problem === 'head_mismatch'), 'a removed last entry no longer reaches the head');
      await db.exec('ALTER TABLE audit_log ENABLE TRIGGER USER');
    });
  });
}
