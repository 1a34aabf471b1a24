/**
 * Fault injection on the lock path, on a real PostgreSQL server: the real server process (`kinkyu start`) is
 * started with `KINKYU_CRASH_AT=<step>` and kills itself with SIGKILL at that step while a user locks through
 * one of the three ways in (the security center, a lock link from a security email, a link asked for from the
 * help center). Then one server is started again; its start-up reconciler pass runs, and for every cell:
 * every spent link has a locked, fully recorded account (record, event, audit entry, one email, one urgent
 * ticket); every account locked at the exchange side has its record; nothing is recorded twice.
 * The matrix (step × way in → outcome) is printed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { postgresAvailable, startPostgres, type PostgresServer } from './support/postgres-server.ts';
import { kinkyuEnv, startKinkyuProcess, stopKinkyu } from './support/server-process.ts';
import { freePort } from './support/net.ts';
import { openDb, type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { ReferenceAccountStore } from '../src/exchange/reference-store.ts';
import { createUserAccount } from '../src/security-center/user-accounts.ts';
import { sha256Hex } from '../src/domain/secrets.ts';
import { UserBrowser, USER_PASSWORD } from './support/user-client.ts';
import { startApp } from './support/app.ts';

type Way = 'self' | 'link' | 'help';
const WAYS: Way[] = ['self', 'link', 'help'];
/** The crash points, in the order the lock reaches them ("journalled" is the link's spending, or the self-lock's intent). */
const STEPS = ['journalled', 'lock.after_adapter_lock', 'lock.after_effective', 'lock.before_ticket', 'lock.after_record', 'lock.before_email', 'lock.before_audit', 'lock.after_commit'] as const;
const ADMIN = { email: 'admin@example.jp', password: 'durable password 123' };
const skip = postgresAvailable() ? false : 'no PostgreSQL binaries (initdb/pg_ctl) on this machine';

interface Cell {
  db: Db;
  url: string;
  way: Way;
  step: string;
  crashAt: string;
  email: string;
  accountId: string;
  apiKey: string;
  linkToken: string | null;
  answer: string;
  crashed: boolean;
}

let pg: PostgresServer;
let admin: Db;
let dataDir: string;
let cellCount = 0;

/** Each cell on its own database, copied from a migrated template: a crash in one cell is finished by nobody else. */
async function cellDatabase(): Promise<{ db: Db; url: string }> {
  const name = `cell_${++cellCount}`;
  await admin.query(`CREATE DATABASE ${name} TEMPLATE kinkyu_template`);
  const url = pg.url.replace(/\/postgres$/, `/${name}`);
  return { db: await openDb({ databaseUrl: url }), url };
}

const exited = (child: ChildProcess, ms: number) =>
  new Promise<boolean>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.signalCode === 'SIGKILL');
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve(signal === 'SIGKILL');
    });
  });

async function newAccount(db: Db, store: ReferenceAccountStore, tag: string) {
  const email = `crash-${tag}-${randomBytes(3).toString('hex')}@example.jp`;
  const accountId = await createUserAccount(db, store, { email, password: USER_PASSWORD });
  const apiKey = await store.createApiKey(accountId);
  await store.requestWithdrawal(accountId, { asset: 'ETH', amount: '2', address: '0xattacker' });
  return { email, accountId, apiKey };
}

async function lockLinkFor(db: Db, accountId: string): Promise<string> {
  const token = randomBytes(24).toString('base64url');
  await db.query(`INSERT INTO lock_tokens (token_hash, account_id, reason, sent_to, expires_at) VALUES ($1, $2, 'new_sign_in', 'x@example.jp', now() + interval '1 day')`, [sha256Hex(token), accountId]);
  return token;
}

async function waitFor<T>(fn: () => Promise<T | null | undefined>, ms: number): Promise<T | null> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

const postForm = (base: string, path: string) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'ja', origin: 'null', 'sec-fetch-site': 'same-origin' }, body: 'lang=ja' });

/** One cell: a server armed to die at `crashAt`, and a user locking through `way`. */
async function runCell(cell: Cell): Promise<void> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = await startKinkyuProcess(kinkyuEnv({ port, dataDir, databaseUrl: cell.url, admin: ADMIN, extra: { KINKYU_CRASH_AT: cell.crashAt } }));
  const db = cell.db;
  try {
    let res: Response | null = null;
    try {
      if (cell.way === 'self') {
        const b = new UserBrowser({ baseUrl: base, db }, () => new Date());
        await b.signIn(cell.email);
        await b.get('/account/lock');
        const r = await b.post('/account/lock', {});
        cell.answer = String(r.status);
      } else {
        if (cell.way === 'help') {
          const asked = await fetch(`${base}/help/lock`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'ja' }, body: new URLSearchParams({ identifier: cell.email }).toString() });
          assert.equal(asked.status, 200);
          const mail = await waitFor(async () => (await db.query<{ text_body: string }>(`SELECT text_body FROM mail_outbox WHERE to_address = $1 AND text_body LIKE '%/lock/%'`, [cell.email]))[0], 10_000);
          assert.ok(mail, 'the help center mailed a lock link');
          cell.linkToken = /\/lock\/([\w-]+)/.exec(mail.text_body)![1]!;
        }
        res = await postForm(base, `/lock/${cell.linkToken}`);
        cell.answer = String(res.status);
      }
    } catch {
      cell.answer = 'connection lost';
    }
    cell.crashed = await exited(child, 5000);
  } finally {
    await stopKinkyu(child, 'SIGKILL');
  }
}

async function outcome(cell: Cell) {
  const db = cell.db;
  const one = async (sql: string, params: unknown[]) => (await db.query<{ n: number }>(sql, params))[0]!.n;
  const [account] = await db.query<{ locked_at: Date | null }>(`SELECT locked_at FROM xch_accounts WHERE id = $1`, [cell.accountId]);
  const [link] = cell.linkToken ? await db.query<{ used_at: Date | null }>(`SELECT used_at FROM lock_tokens WHERE token_hash = $1`, [sha256Hex(cell.linkToken)]) : [];
  return {
    lockedAtExchange: !!account?.locked_at,
    apiKeyRevoked: (await one(`SELECT count(*)::int AS n FROM xch_api_keys WHERE account_id = $1 AND revoked_at IS NULL`, [cell.accountId])) === 0,
    linkSpent: cell.linkToken ? !!link?.used_at : null,
    records: await one(`SELECT count(*)::int AS n FROM account_locks WHERE account_id = $1`, [cell.accountId]),
    events: await one(`SELECT count(*)::int AS n FROM account_events WHERE account_id = $1 AND kind = 'account_locked'`, [cell.accountId]),
    audits: await one(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'account.lock' AND target_id = $1`, [cell.accountId]),
    emails: await one(`SELECT count(*)::int AS n FROM mail_outbox WHERE to_address = $1 AND message_id LIKE '<lock-%' AND message_id NOT LIKE '<lock-links-%'`, [cell.email]),
    tickets: await one(`SELECT count(*)::int AS n FROM tickets WHERE email = $1 AND type = 'security' AND priority = 'urgent'`, [cell.email]),
    pendingWithdrawals: await one(`SELECT count(*)::int AS n FROM xch_withdrawals WHERE account_id = $1 AND status = 'pending'`, [cell.accountId]),
  };
}

before(async () => {
  if (skip) return;
  pg = await startPostgres();
  admin = await openDb({ databaseUrl: pg.url });
  await admin.query('CREATE DATABASE kinkyu_template');
  const template = await openDb({ databaseUrl: pg.url.replace(/\/postgres$/, '/kinkyu_template') });
  await migrate(template);
  await template.close();
  dataDir = mkdtempSync(join(tmpdir(), 'kinkyu-crash-'));
});
after(async () => {
  await admin?.close();
  pg?.destroy();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('SIGKILL at every step of the lock path, for each way in: after a restart, every lock is whole and recorded once', { skip, timeout: 600_000 }, async (t) => {
  const cells: Cell[] = [];
  for (const step of STEPS) {
    for (const way of WAYS) {
      const { db, url } = await cellDatabase();
      const a = await newAccount(db, new ReferenceAccountStore(db), way);
      const crashAt = step === 'journalled' ? (way === 'self' ? 'lock.after_intent' : 'lock.after_link_spent') : step;
      cells.push({ db, url, way, step, crashAt, ...a, linkToken: way === 'link' ? await lockLinkFor(db, a.accountId) : null, answer: '', crashed: false });
    }
  }
  // The help center's own step: the request is accepted, then the process dies before any link is sent.
  const help = await cellDatabase();
  const helpAccount = await newAccount(help.db, new ReferenceAccountStore(help.db), 'helpreq');
  const helpPort = await freePort();
  const helpChild = await startKinkyuProcess(kinkyuEnv({ port: helpPort, dataDir, databaseUrl: help.url, admin: ADMIN, extra: { KINKYU_CRASH_AT: 'lock.help_request_accepted' } }));
  let helpAnswer = '';
  try {
    const r = await fetch(`http://127.0.0.1:${helpPort}/help/lock`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ identifier: helpAccount.email }).toString() });
    helpAnswer = String(r.status);
  } catch {
    helpAnswer = 'connection lost';
  }
  const helpCrashed = await exited(helpChild, 5000);
  await stopKinkyu(helpChild, 'SIGKILL');

  // Two cells at a time: most of a cell is the server's start.
  for (let i = 0; i < cells.length; i += 2) await Promise.all(cells.slice(i, i + 2).map(runCell));

  // The restart, on each cell's database: the application starts (its start-up reconciler pass finishes every
  // journalled lock and the accepted request) and stops again. Each cell has its own database, so several
  // restarts run at once (their database round trips overlap).
  const restart = async (c: { url: string }) => {
    const restarted = await startApp({ databaseUrl: c.url, demo: false });
    await restarted.lock.settled();
    await restarted.stop();
  };
  const toRestart = [...cells, help];
  for (let i = 0; i < toRestart.length; i += 5) await Promise.all(toRestart.slice(i, i + 5).map(restart));
  const helpLinks = (await help.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM mail_outbox WHERE to_address = $1 AND text_body LIKE '%/lock/%'`, [helpAccount.email]))[0]!.n;
  await help.db.close();

  const lines = [`${'step'.padEnd(26)} ${'way'.padEnd(5)} ${'answer'.padEnd(16)} crashed  locked  link     rec ev  aud mail tkt`];
  const problems: string[] = [];
  for (const cell of cells) {
    const o = await outcome(cell);
    lines.push(`${cell.crashAt.padEnd(26)} ${cell.way.padEnd(5)} ${cell.answer.padEnd(16)} ${String(cell.crashed).padEnd(8)} ${String(o.lockedAtExchange).padEnd(7)} ${String(o.linkSpent ?? '—').padEnd(8)} ${o.records}   ${o.events}   ${o.audits}   ${o.emails}    ${o.tickets}`);
    const name = `${cell.crashAt} × ${cell.way}`;
    if (!cell.crashed) problems.push(`${name}: the server did not die at the crash point`);
    const whole = o.lockedAtExchange && o.apiKeyRevoked && o.pendingWithdrawals === 0 && o.records === 1 && o.events === 1 && o.audits === 1 && o.emails === 1 && o.tickets === 1;
    const untouched = !o.lockedAtExchange && o.records === 0 && o.events === 0 && o.audits === 0 && o.emails === 0 && o.tickets === 0;
    if (o.linkSpent === true && !whole) problems.push(`${name}: a spent link without a whole, recorded lock ${JSON.stringify(o)}`);
    if (o.lockedAtExchange && !whole) problems.push(`${name}: locked at the exchange but not fully recorded ${JSON.stringify(o)}`);
    if (!whole && !untouched) problems.push(`${name}: half a lock ${JSON.stringify(o)}`);
    if (o.records > 1 || o.events > 1 || o.audits > 1 || o.emails > 1 || o.tickets > 1) problems.push(`${name}: recorded twice ${JSON.stringify(o)}`);
    // Every step here is reached only after the lock was asked for and journalled: the lock must be whole.
    if (!whole) problems.push(`${name}: not locked after the restart ${JSON.stringify(o)}`);
  }
  lines.push(`${'lock.help_request_accepted'.padEnd(26)} help  ${helpAnswer.padEnd(16)} ${String(helpCrashed).padEnd(8)} lock links mailed after the restart: ${helpLinks}`);
  if (!helpCrashed) problems.push('help_request_accepted: the server did not die');
  if (helpLinks !== 1) problems.push(`help_request_accepted: ${helpLinks} lock-link mails after the restart (want 1)`);
  const matrix = lines.join('\n');
  console.log(`\nlock crash matrix (SIGKILL at the step, then one restart):\n${matrix}\n`);
  for (const l of lines) t.diagnostic(l);
  for (const c of cells) await c.db.close();
  assert.deepEqual(problems, [], matrix);
});
