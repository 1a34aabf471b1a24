/**
 * The embedded database on its own thread (src/store/pglite-worker.ts): the serving thread keeps running while a
 * statement runs, and the application sees the same database as before — PostgreSQL's error codes, transactions
 * that commit or leave nothing, NOTIFY, dumps — and a process is neither held open nor cut short by it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { openPglite, type PgliteDb } from '../src/store/pglite.ts';

/** Which ends first: a 0.3 s statement, or a 20 ms timer set after it started. */
async function timerDuringSleep(db: PgliteDb): Promise<string[]> {
  const order: string[] = [];
  const slow = db.query('SELECT pg_sleep(0.3)').then(() => order.push('statement'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  order.push('timer');
  await slow;
  return order;
}

describe('PGlite on its own thread', () => {
  let db: PgliteDb;
  before(async () => {
    db = await openPglite();
    await db.exec('CREATE TABLE things (id int PRIMARY KEY, name text NOT NULL)');
  });
  after(() => db.close());

  test('a timer set while a statement runs fires before the statement ends (the caller\'s thread is free)', async () => {
    assert.deepEqual(await timerDuringSleep(db), ['timer', 'statement']);
  });

  test('the same on the calling thread (PGLITE_THREAD=main) blocks it: what the thread is for', async () => {
    const here = await openPglite(undefined, { thread: 'main' });
    try {
      assert.deepEqual(await timerDuringSleep(here), ['statement', 'timer']);
    } finally {
      await here.close();
    }
  });

  test('errors keep PostgreSQL\'s fields; the database goes on', async () => {
    await db.query('INSERT INTO things VALUES (1, $1)', ['one']);
    await assert.rejects(db.query('INSERT INTO things VALUES (1, $1)', ['again']), (e: { code?: string; constraint?: string }) => e.code === '23505' && e.constraint === 'things_pkey');
    await assert.rejects(db.query('SELECT no_such_column FROM things'), (e: { code?: string }) => e.code === '42703');
    assert.deepEqual(await db.query('SELECT id, name FROM things ORDER BY id'), [{ id: 1, name: 'one' }]);
  });

  test('a transaction sees its own writes, commits them together, or leaves nothing when it throws', async () => {
    const inside = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO things VALUES (2, $1)', ['two']);
      await tx.query('INSERT INTO things VALUES (3, $1)', ['three']);
      return tx.query<{ n: number }>('SELECT count(*)::int AS n FROM things');
    });
    assert.equal(inside[0]!.n, 3);
    await assert.rejects(db.transaction(async (tx) => {
      await tx.query('INSERT INTO things VALUES (4, $1)', ['four']);
      throw new Error('changed my mind');
    }), /changed my mind/);
    await assert.rejects(db.transaction(async (tx) => {
      await tx.query('INSERT INTO things VALUES (5, $1)', ['five']);
      await tx.query('INSERT INTO things VALUES (5, $1)', ['five again']);
    }), (e: { code?: string }) => e.code === '23505');
    assert.deepEqual((await db.query<{ id: number }>('SELECT id FROM things ORDER BY id')).map((r) => r.id), [1, 2, 3]);
  });

  test('statements from outside wait for an open transaction, and run after it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => { release = resolve; });
    const tx = db.transaction(async (t) => {
      await t.query('UPDATE things SET name = $1 WHERE id = 1', ['one, renamed']);
      await gate;
    });
    const outside = db.query<{ name: string }>('SELECT name FROM things WHERE id = 1');
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await tx;
    assert.equal((await outside)[0]!.name, 'one, renamed');
  });

  test('NOTIFY reaches a listener; after unlisten it does not', async () => {
    const heard: string[] = [];
    const unlisten = await db.listen('thread_test', (payload) => heard.push(payload));
    await db.query(`SELECT pg_notify('thread_test', 'first')`);
    await db.transaction(async (tx) => { await tx.query(`SELECT pg_notify('thread_test', 'at commit')`); });
    for (let i = 0; i < 50 && heard.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await unlisten();
    await db.query(`SELECT pg_notify('thread_test', 'unheard')`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(heard, ['first', 'at commit']);
  });

  test('a dump opens as a database with the same rows', async () => {
    const copy = await openPglite(undefined, { loadDataDir: await db.dumpDataDir() });
    try {
      assert.deepEqual((await copy.query<{ id: number }>('SELECT id FROM things ORDER BY id')).map((r) => r.id), [1, 2, 3]);
    } finally {
      await copy.close();
    }
  });
});

describe('a process with an embedded database', () => {
  // Run from test-dist/ (npm test) the built module, from test/ through tsx the source.
  const fromSource = import.meta.url.endsWith('.ts');
  const pgliteModule = new URL(fromSource ? '../src/store/pglite.ts' : '../dist/store/pglite.js', import.meta.url).href;
  const run = (script: string) =>
    new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`the process did not end on its own: ${out}`)); }, 60_000);
      child.on('exit', (code) => { clearTimeout(timer); resolve({ code, out }); });
    });

  test('ends on its own when its work is done, even if nobody closed the database; never before an answer', async () => {
    const { code, out } = await run(`
      const { openPglite } = await import(${JSON.stringify(pgliteModule)});
      const db = await openPglite();
      const [row] = await db.query('SELECT 40 + 2 AS answer');
      console.log('answer', row.answer);
    `);
    assert.equal(code, 0);
    assert.match(out, /answer 42/);
  });
});
