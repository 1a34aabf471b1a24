/**
 * Two real `kinkyu start` processes on one PostgreSQL server, each with its monitor runner, and one monitor at a
 * 1-second interval against a local endpoint that records every hit: the endpoint is checked once per interval
 * in total, not once per process — never two checks in the same interval, and as many results in the database
 * as hits at the endpoint.
 *
 * Run: node --import tsx --test --test-reporter=spec test/monitor-multiprocess.test.ts
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgresAvailable, startPostgres, type PostgresServer } from './support/postgres-server.ts';
import { kinkyuEnv, startKinkyuProcess } from './support/server-process.ts';
import { freePort } from './support/net.ts';
import { StaffClient } from './support/app.ts';

const ADMIN = { email: 'monitor-mp-admin@example.com', password: 'monitor multi process battery staple' };
const INTERVAL_S = 1;
const WATCH_S = 8;

if (!postgresAvailable()) {
  test('monitors across kinkyu processes', { skip: 'initdb not found (install PostgreSQL server binaries to run this file)' }, () => {});
} else {
  describe('monitors across kinkyu processes on one PostgreSQL server', () => {
    let pgServer: PostgresServer;
    let target: Server;
    let targetUrl = '';
    const hits: number[] = [];
    const children: ChildProcess[] = [];
    const dirs: string[] = [];
    let baseUrls: string[] = [];

    before(async () => {
      pgServer = await startPostgres();
      target = createServer((_req, res) => {
        hits.push(Date.now());
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
      await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
      targetUrl = `http://127.0.0.1:${(target.address() as { port: number }).port}/health`;
      // One process first: it migrates and seeds; the second joins the same database.
      for (const name of ['a', 'b']) {
        const port = await freePort();
        const dataDir = mkdtempSync(join(tmpdir(), `kinkyu-monitor-mp-${name}-`));
        dirs.push(dataDir);
        const env = kinkyuEnv({
          port, dataDir, databaseUrl: pgServer.url, admin: ADMIN,
          extra: { MONITOR_MIN_INTERVAL_S: '1', MONITOR_POLL_MS: '100', MONITORS_ENABLED: 'true' },
        });
        children.push(await startKinkyuProcess(env, { demo: true }));
        baseUrls.push(`http://127.0.0.1:${port}`);
      }
    });

    after(async () => {
      for (const child of children) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(timer);
      }
      await new Promise<void>((resolve) => target.close(() => resolve()));
      pgServer.destroy();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
      baseUrls = [];
    });

    test(`over ${WATCH_S} intervals the endpoint is hit about ${WATCH_S} times in total, never twice in one interval`, async () => {
      const staff = await StaffClient.signIn(baseUrls[1]!, ADMIN.email, ADMIN.password);
      const res = await staff.postJson('/staff/monitors', {
        name: 'REST API health', kind: 'http', config: { url: targetUrl }, intervalS: INTERVAL_S, timeoutMs: 2000, componentIds: ['restapi00000'],
      });
      assert.equal(res.status, 200, await res.clone().text());
      const { id } = (await res.json()) as { id: string };
      await new Promise((r) => setTimeout(r, WATCH_S * INTERVAL_S * 1000));
      // Stop checking before counting, so the database and the endpoint are compared at rest.
      const pause = await staff.postJson(`/staff/monitors/${id}/enabled`, { enabled: false });
      assert.equal(pause.status, 200);
      await new Promise((r) => setTimeout(r, 300));

      const client = new pg.Client({ connectionString: pgServer.url });
      await client.connect();
      let byRunner: { runner: string; n: number }[];
      try {
        byRunner = (await client.query<{ runner: string; n: number }>(
          'SELECT runner, count(*)::int AS n FROM monitor_results WHERE monitor_id = $1 GROUP BY runner ORDER BY runner', [id],
        )).rows;
      } finally {
        await client.end();
      }
      const results = byRunner.reduce((s, r) => s + r.n, 0);
      const gaps = hits.slice(1).map((t, i) => t - hits[i]!);
      console.log(`# ${hits.length} hits in ${WATCH_S} intervals; results per runner: ${byRunner.map((r) => `${r.runner.split(':').slice(1, 2).join('')}=${r.n}`).join(', ')}; smallest gap ${Math.min(...gaps)} ms`);
      assert.equal(results, hits.length, 'every hit is one recorded check');
      assert.ok(hits.length >= WATCH_S / 2, `checked regularly (${hits.length} hits)`);
      assert.ok(hits.length <= WATCH_S + 1, `at most once per interval in total, not once per process (${hits.length} hits in ${WATCH_S} intervals)`);
      // A claim moves the next run one interval ahead, so two checks never share an interval.
      assert.ok(gaps.every((g) => g >= INTERVAL_S * 1000 * 0.5), `no two checks within one interval (gaps: ${gaps.join(', ')} ms)`);
    });
  });
}
