/**
 * Contact-form intake (grouped into shared statements) with a real fault: the PostgreSQL server is stopped while
 * users keep writing in. Nobody may be told "received" for a ticket that was not stored: every submission in the
 * outage is answered 503 (a group that fails is retried item by item, and each item fails on its own), nothing
 * half-stored appears afterwards, and once the server is back every acknowledged ticket is there.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresAvailable, startPostgres, type PostgresServer } from './support/postgres-server.ts';
import { startApp, type RunningApp } from './support/app.ts';

const submit = (app: RunningApp, tag: string) =>
  fetch(`${app.baseUrl}/contact`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'accept-language': 'ja' },
    body: JSON.stringify({ body: `取引所につながりません (${tag})`, email: `${tag}@example.jp` }),
  }).then(async (res) => ({ status: res.status, body: (await res.json()) as { ok?: boolean; number?: number; ticketId?: string; error?: { code?: string } } }));

describe('intake while PostgreSQL is stopped', { skip: postgresAvailable() ? undefined : 'initdb not found' }, () => {
  let server: PostgresServer;
  let app: RunningApp;
  before(async () => {
    server = await startPostgres();
    app = await startApp({ databaseUrl: server.url, config: { contactRateLimit: 1_000_000 } });
  });
  after(async () => {
    await app?.stop().catch(() => undefined);
    server?.destroy();
  });

  test('a surge during the outage is refused honestly, one by one; nothing appears later; after it, every acknowledged ticket is stored', async () => {
    const before = await Promise.all(Array.from({ length: 10 }, (_, i) => submit(app, `before-${i}`)));
    assert.deepEqual(before.map((r) => r.status), Array(10).fill(201));

    server.stop();
    const during = await Promise.all(Array.from({ length: 30 }, (_, i) => submit(app, `during-${i}`)));
    for (const r of during) {
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.equal(r.body.number, undefined, 'no ticket number for what was not stored');
    }

    server.start();
    let after: Awaited<ReturnType<typeof submit>>[] = [];
    const ackedWhileRecovering: string[] = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      after = await Promise.all(Array.from({ length: 10 }, (_, i) => submit(app, `after-${attempt}-${i}`)));
      for (const r of after) if (r.status === 201) ackedWhileRecovering.push(r.body.ticketId!);
      if (after.every((r) => r.status === 201)) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.deepEqual(after.map((r) => r.status), Array(10).fill(201), 'intake works again once the database is back');

    const acknowledged = [...before.map((r) => r.body.ticketId!), ...ackedWhileRecovering];
    const stored = await app.db.query<{ id: string }>('SELECT id FROM tickets WHERE id = ANY($1::text[])', [acknowledged]);
    assert.equal(stored.length, acknowledged.length, 'every acknowledged ticket is stored');
    const fromOutage = await app.db.query(`SELECT 1 FROM tickets WHERE email LIKE 'during-%@example.jp'`);
    assert.equal(fromOutage.length, 0, 'nothing refused during the outage was stored after all');
  });
});
