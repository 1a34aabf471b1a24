/**
 * A lock confirmed to the user is never lost: the real server (`kinkyu start`, a child process) answers the
 * lock link's POST with the "your account is locked" page and is killed with SIGKILL right then; after a
 * restart the account is locked (locked_at set, trading and withdrawals blocked, API key revoked, the link used).
 *
 * The account, its API key and the lock link are put into the database before the server starts (PGlite
 * allows one process at a time). Once on the embedded database on disk, once on PostgreSQL when available.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/net.ts';
import { StaffClient } from './support/app.ts';
import { postgresAvailable, startPostgres } from './support/postgres-server.ts';
import { openDb } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { ReferenceAccountStore } from '../src/exchange/reference-store.ts';
import { kinkyuEnv, startKinkyuProcess } from './support/server-process.ts';
import { sha256Hex } from '../src/domain/secrets.ts';

const ADMIN = { email: 'admin@example.jp', password: 'durable password 123' };

const startKinkyu = (env: NodeJS.ProcessEnv) => startKinkyuProcess(env);

function stopKinkyu(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}

async function scenario(t: { diagnostic(msg: string): void }, opts: { databaseUrl?: string; dataDir: string }): Promise<void> {
  // Seed: the exchange account, its API key and a lock link, as the exchange and a security email would have.
  const token = randomBytes(24).toString('base64url');
  let accountId: string;
  let apiKey: string;
  {
    const db = await openDb({ databaseUrl: opts.databaseUrl, dataDir: opts.dataDir });
    try {
      await migrate(db);
      const store = new ReferenceAccountStore(db);
      accountId = await store.createAccount(`kill9-${randomBytes(3).toString('hex')}@example.jp`);
      apiKey = await store.createApiKey(accountId);
      await store.requestWithdrawal(accountId, { asset: 'ETH', amount: '3', address: '0xattacker' });
      await db.query(`INSERT INTO lock_tokens (token_hash, account_id, reason, sent_to, expires_at) VALUES ($1, $2, 'new_sign_in', 'x@example.jp', now() + interval '1 day')`, [sha256Hex(token), accountId]);
    } finally {
      await db.close();
    }
  }

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = kinkyuEnv({ port, dataDir: opts.dataDir, databaseUrl: opts.databaseUrl, admin: ADMIN });
  let child = await startKinkyu(env);
  try {
    const started = Date.now();
    const res = await fetch(`${base}/lock/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'ja' }, body: 'lang=ja' });
    const page = await res.text();
    // SIGKILL the moment the confirmation is in hand: no graceful close, no flush.
    child.kill('SIGKILL');
    assert.equal(res.status, 200);
    assert.match(page, /アカウントをロックしました/);
    t.diagnostic(`lock confirmed in ${Date.now() - started} ms, then SIGKILL`);
    await new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

    child = await startKinkyu(env);
    const { cookie } = await StaffClient.signIn(base, ADMIN.email, ADMIN.password);
    const seen = await fetch(`${base}/staff/accounts/${accountId}`, { headers: { cookie, accept: 'application/json' } });
    assert.equal(seen.status, 200);
    const data = (await seen.json()) as { account: { locked: boolean; tradingBlocked: boolean; withdrawalsBlocked: boolean }; locks: unknown[] };
    assert.deepEqual([data.account.locked, data.account.tradingBlocked, data.account.withdrawalsBlocked], [true, true, true], 'locked after the restart');
    assert.equal(data.locks.length, 1, 'the lock record survived');
    // The link stays used.
    assert.equal((await fetch(`${base}/lock/${token}`)).status, 404);
    await stopKinkyu(child);

    const db = await openDb({ databaseUrl: opts.databaseUrl, dataDir: opts.dataDir });
    try {
      const [account] = await db.query<{ locked_at: Date | null }>(`SELECT locked_at FROM xch_accounts WHERE id = $1`, [accountId]);
      assert.ok(account?.locked_at, 'locked_at is set');
      assert.equal(await new ReferenceAccountStore(db).accountForApiKey(apiKey), null, 'the API key is revoked');
      const pending = await db.query(`SELECT 1 FROM xch_withdrawals WHERE account_id = $1 AND status = 'pending'`, [accountId]);
      assert.equal(pending.length, 0, 'no withdrawal is pending');
    } finally {
      await db.close();
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

test('a confirmed lock survives kill -9 of the server (embedded database on disk)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kinkyu-lock-kill9-'));
  try {
    await scenario(t, { dataDir: join(dir, 'data') });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a confirmed lock survives kill -9 of the server (PostgreSQL)', { skip: postgresAvailable() ? false : 'no PostgreSQL binaries (initdb/pg_ctl) on this machine' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kinkyu-lock-kill9-pg-'));
  const pg = await startPostgres();
  try {
    await scenario(t, { databaseUrl: pg.url, dataDir: join(dir, 'unused') });
  } finally {
    pg.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
