/**
 * Named prepared statements on the embedded database's thread (src/store/pglite-prepared.ts): from its second use a
 * statement runs prepared, and the application cannot tell — the same rows and types for every kind of parameter,
 * the same errors with PostgreSQL's codes, a session that keeps working after an error (in and out of a
 * transaction), rollbacks that leave nothing, and a schema change (a migration adding a column) that a prepared
 * `SELECT *` follows instead of failing with "cached plan must not change result type".
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openPglite, type PgliteDb } from '../src/store/pglite.ts';

for (const thread of ['worker', 'main'] as const) describe(`prepared statements on the embedded database (${thread} thread)`, () => {
  let db: PgliteDb;
  before(async () => {
    db = await openPglite(undefined, { thread });
    await db.exec(`CREATE TABLE items (id text PRIMARY KEY, n int NOT NULL, tags text[], at timestamptz, doc jsonb, ok boolean, big bigint)`);
  });
  after(() => db.close());

  const INSERT = 'INSERT INTO items (id, n, tags, at, doc, ok, big) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *';
  const SELECT = 'SELECT * FROM items WHERE id = ANY($1::text[]) ORDER BY id';

  test('every kind of parameter reads back the same, the first (unprepared) time and after', async () => {
    const at = new Date('2026-12-07T12:34:56.789Z');
    const rows = [];
    for (let i = 0; i < 4; i++) {
      const [row] = await db.query<Record<string, unknown>>(INSERT, [`item${i}`, i, ['a', `b${i}`, 'with "quote"'], at, JSON.stringify({ k: i, s: 'ü' }), i % 2 === 0, 2 ** 40 + i]);
      rows.push(row);
    }
    for (const [i, row] of rows.entries()) {
      assert.deepEqual(row, { id: `item${i}`, n: i, tags: ['a', `b${i}`, 'with "quote"'], at, doc: { k: i, s: 'ü' }, ok: i % 2 === 0, big: 2 ** 40 + i });
    }
    for (let i = 0; i < 3; i++) {
      const read = await db.query<{ id: string }>(SELECT, [['item3', 'item1', 'nothing']]);
      assert.deepEqual(read.map((r) => r.id), ['item1', 'item3']);
    }
    const [nulls] = await db.query<Record<string, unknown>>(INSERT, ['item-null', 9, null, null, null, null, null]);
    assert.deepEqual(nulls, { id: 'item-null', n: 9, tags: null, at: null, doc: null, ok: null, big: null });
  });

  test('an error in a prepared statement has its PostgreSQL code, and the next statements work', async () => {
    for (let i = 0; i < 3; i++) {
      await assert.rejects(db.query(INSERT, ['item0', 0, null, null, null, null, null]), (err: { code?: string }) => err.code === '23505');
      await assert.rejects(db.query(INSERT, [`bad${i}`, 'not a number', null, null, null, null, null]), (err: { code?: string }) => err.code === '22P02');
      assert.equal((await db.query(SELECT, [['item0']])).length, 1);
    }
  });

  test('in a transaction: prepared statements see its writes, and a rollback leaves nothing', async () => {
    await assert.rejects(db.transaction(async (tx) => {
      for (let i = 0; i < 3; i++) await tx.query(INSERT, [`tx${i}`, i, null, null, null, null, null]);
      assert.equal((await tx.query(SELECT, [['tx0', 'tx1', 'tx2']])).length, 3);
      throw new Error('changed my mind');
    }), /changed my mind/);
    assert.equal((await db.query(SELECT, [['tx0', 'tx1', 'tx2']])).length, 0);
    // An error inside a transaction aborts it, as PostgreSQL does; the session is fine afterwards.
    await assert.rejects(db.transaction(async (tx) => {
      await tx.query(INSERT, ['item1', 1, null, null, null, null, null]);
    }), (err: { code?: string }) => err.code === '23505');
    await db.transaction(async (tx) => {
      await tx.query(INSERT, ['tx-ok', 1, null, null, null, null, null]);
    });
    assert.equal((await db.query(SELECT, [['tx-ok']])).length, 1);
  });

  test('a migration that adds a column: a prepared SELECT * returns the new column instead of failing', async () => {
    const before = await db.query<Record<string, unknown>>(SELECT, [['item2']]);
    assert.equal('note' in before[0]!, false);
    // As the migrations run it: statement by statement in a transaction.
    await db.transaction(async (tx) => {
      await tx.query("ALTER TABLE items ADD COLUMN note text NOT NULL DEFAULT 'none'");
    });
    const after1 = await db.query<Record<string, unknown>>(SELECT, [['item2']]);
    assert.equal(after1[0]!.note, 'none');
    // And through exec (several statements at once).
    await db.exec('ALTER TABLE items ADD COLUMN extra int; UPDATE items SET extra = 7');
    for (let i = 0; i < 2; i++) {
      const after2 = await db.query<Record<string, unknown>>(SELECT, [['item2']]);
      assert.equal(after2[0]!.extra, 7);
    }
  });

  test('a NOTIFY sent by a prepared statement reaches the listeners, on its own and at a commit', async () => {
    const heard: string[] = [];
    const unlisten = await db.listen('prepared_check', (payload) => heard.push(payload));
    try {
      for (let i = 0; i < 3; i++) await db.query('SELECT pg_notify($1, $2)', ['prepared_check', `alone ${i}`]);
      for (let i = 0; i < 3; i++) {
        await db.transaction(async (tx) => {
          await tx.query('SELECT pg_notify($1, $2)', ['prepared_check', `in a transaction ${i}`]);
        });
      }
      const expected = [0, 1, 2].map((i) => `alone ${i}`).concat([0, 1, 2].map((i) => `in a transaction ${i}`));
      for (let n = 0; n < 50 && heard.length < expected.length; n++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(heard, expected);
    } finally {
      await unlisten();
    }
  });

  test('hundreds of distinct statement texts (a varying number of placeholders) keep working past the cap', async () => {
    for (let n = 1; n <= 600; n++) {
      const placeholders = Array.from({ length: n % 40 + 1 }, (_, i) => `$${i + 1}`).join(', ');
      const sql = `SELECT count(*)::int AS c FROM items WHERE id IN (${placeholders}) AND ${n} > 0`;
      const params = Array.from({ length: n % 40 + 1 }, (_, i) => `item${i}`);
      for (let k = 0; k < 2; k++) {
        const [row] = await db.query<{ c: number }>(sql, params);
        assert.equal(row!.c, Math.min(n % 40 + 1, 4));
      }
    }
  });
});
