/**
 * Two `kinkyu start` processes on one PostgreSQL server share a fan-out: an update to 1,000 email subscribers
 * is delivered once in total — every address exactly one message — and both processes take part (rows are
 * claimed with FOR UPDATE SKIP LOCKED under a lease).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/net.ts';
import { postgresAvailable, startPostgres } from './support/postgres-server.ts';
import { kinkyuEnv, startKinkyuProcess, stopKinkyu } from './support/server-process.ts';
import { startSmtpServer } from './support/smtp.ts';
import { StaffClient, eventually } from './support/app.ts';
import { openDb } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';

const ADMIN = { email: 'fanout-mp@example.jp', password: 'two processes one fan out 123' };
const SUBSCRIBERS = 1000;

test('two processes on one PostgreSQL server deliver a fan-out once in total', { timeout: 180_000, skip: postgresAvailable() ? false : 'no PostgreSQL binaries' }, async (t) => {
  const pg = await startPostgres();
  const smtp = await startSmtpServer();
  const dirs = [mkdtempSync(join(tmpdir(), 'kinkyu-fanout-mp-')), mkdtempSync(join(tmpdir(), 'kinkyu-fanout-mp-'))];
  const children: ChildProcess[] = [];
  try {
    const db = await openDb({ databaseUrl: pg.url });
    await migrate(db);
    await db.query(
      `INSERT INTO subscribers (id, channel, target, target_key, confirmed_at)
       SELECT 'mp' || lpad(n::text, 6, '0'), 'email', 'mp-' || n || '@example.net', 'mp-' || n || '@example.net', now()
         FROM generate_series(1, $1::int) AS n`,
      [SUBSCRIBERS],
    );
    await db.close();
    const bases: string[] = [];
    for (const [i, name] of ['A', 'B'].entries()) {
      const port = await freePort();
      bases.push(`http://127.0.0.1:${port}`);
      children.push(
        await startKinkyuProcess(
          kinkyuEnv({
            port, dataDir: dirs[i]!, databaseUrl: pg.url, admin: ADMIN,
            extra: {
              SMTP_URL: smtp.url,
              // The display name tells which process sent a message; the Message-ID domain is the same.
              MAIL_FROM: `Process ${name} <status@example.com>`,
              FANOUT_EMAIL_CONNECTIONS: '2',
              FANOUT_EMAIL_CONCURRENCY: '4',
              FANOUT_EMAIL_PER_SECOND: '200',
              FANOUT_POLL_MS: '200',
            },
          }),
        ),
      );
    }
    const admin = await StaffClient.signIn(bases[0]!, ADMIN.email, ADMIN.password);
    const res = await admin.postForm('/staff/incidents', {
      type: 'outage', severity: 'SEV2', status: 'investigating', nameJa: '取引画面の表示遅延', bodyJa: '取引画面の表示が遅くなっています。',
    });
    assert.equal(res.status, 303);
    await eventually(async () => smtp.messages.length >= SUBSCRIBERS, 60_000, 100);
    // Time for any second copy to arrive, were one going to.
    await new Promise((r) => setTimeout(r, 2000));
    const perAddress = new Map<string, number>();
    for (const m of smtp.messages) for (const to of m.to) perAddress.set(to, (perAddress.get(to) ?? 0) + 1);
    assert.equal(perAddress.size, SUBSCRIBERS);
    assert.deepEqual([...new Set(perAddress.values())], [1], 'every address exactly once');
    assert.equal(smtp.messages.length, SUBSCRIBERS);
    assert.equal(new Set(smtp.messages.map((m) => m.messageId)).size, SUBSCRIBERS);
    const byA = smtp.messages.filter((m) => m.from.includes('Process A')).length;
    const byB = smtp.messages.filter((m) => m.from.includes('Process B')).length;
    t.diagnostic(`process A sent ${byA}, process B sent ${byB}; ${SUBSCRIBERS} addresses, each once`);
    assert.ok(byA > 0 && byB > 0, 'both processes took part');
  } finally {
    await Promise.all(children.map((child) => stopKinkyu(child)));
    await smtp.stop();
    pg.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});
