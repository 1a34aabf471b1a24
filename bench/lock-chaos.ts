/**
 * The emergency lock under crashes: 1,000 lock-link uses from 20 concurrent clients against the real server
 * (`kinkyu start`) on a throwaway PostgreSQL server; the server is killed with SIGKILL at 5 random moments and
 * started again each time. Clients behave like people: a lost connection is tried again once the server is
 * back (a spent link then answers 404). At the end one more restart runs the start-up reconciler pass, and
 * the database is checked:
 *
 *   answers "locked", accounts locked, fully recorded (lock row, event, audit entry, one email, one urgent
 *   ticket), links spent without a lock (must be 0), records missing (must be 0), duplicates (must be 0),
 *   "locked" answered for an account that is not locked (must be 0).
 *
 *   npm run bench:lock-chaos
 *   npm run bench:lock-chaos -- --locks 1000 --clients 20 --kills 5 --seed 7
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresAvailable, startPostgres, type PostgresServer } from '../test/support/postgres-server.ts';
import { kinkyuEnv, startKinkyuProcess, stopKinkyu } from '../test/support/server-process.ts';
import { freePort } from '../test/support/net.ts';
import { openDb, type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { sha256Hex } from '../src/domain/secrets.ts';
import { numberArg } from './support/args.ts';
import { runBench } from './support/run-bench.ts';
import { seeded } from './support/seeded.ts';

const settings = {
  locks: numberArg('--locks', 1000),
  clients: numberArg('--clients', 20),
  kills: numberArg('--kills', 5),
  seed: numberArg('--seed', Date.now() % 100_000),
};
const ADMIN = { email: 'admin@example.jp', password: 'chaos password 2026' };

let pg: PostgresServer | null = null;
let db: Db | null = null;
let server: ChildProcess | null = null;
let dataDir = '';

async function seed(q: Db, n: number): Promise<Array<{ accountId: string; email: string; token: string }>> {
  const rows = Array.from({ length: n }, (_, i) => ({ accountId: `chaos${String(i).padStart(6, '0')}`, email: `chaos-${i}@example.jp`, token: randomBytes(24).toString('base64url') }));
  for (let i = 0; i < rows.length; i += 500) {
    const part = rows.slice(i, i + 500);
    const ids = part.map((r) => r.accountId);
    const emails = part.map((r) => r.email);
    await q.query(`INSERT INTO xch_accounts (id, email, email_key) SELECT * FROM unnest($1::text[], $2::text[], $2::text[])`, [ids, emails]);
    await q.query(`INSERT INTO xch_api_keys (id, account_id, key_hash, label) SELECT 'k' || a, a, md5(a), 'bench' FROM unnest($1::text[]) AS a`, [ids]);
    await q.query(`INSERT INTO xch_withdrawals (id, account_id, asset, amount, address, status) SELECT 'w' || a, a, 'ETH', '1', '0xattacker', 'pending' FROM unnest($1::text[]) AS a`, [ids]);
    await q.query(
      `INSERT INTO lock_tokens (token_hash, account_id, reason, sent_to, expires_at) SELECT h, a, 'new_sign_in', 'x@example.jp', now() + interval '1 day' FROM unnest($1::text[], $2::text[]) AS t(h, a)`,
      [part.map((r) => sha256Hex(r.token)), ids],
    );
  }
  return rows;
}

async function main(): Promise<number> {
  if (!postgresAvailable()) {
    console.log('bench:lock-chaos needs PostgreSQL binaries (initdb/pg_ctl): skipped');
    return 0;
  }
  const random = seeded(settings.seed);
  console.log(`bench:lock-chaos: ${settings.locks} lock-link uses, ${settings.clients} clients, ${settings.kills} SIGKILLs (seed ${settings.seed})`);
  pg = await startPostgres();
  db = await openDb({ databaseUrl: pg.url });
  await migrate(db);
  const accounts = await seed(db, settings.locks);
  dataDir = mkdtempSync(join(tmpdir(), 'kinkyu-chaos-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = kinkyuEnv({ port, dataDir, databaseUrl: pg.url, admin: ADMIN });
  server = await startKinkyuProcess(env);

  // Kill moments, spread at random over the run (by count of answers, so they land while locks are flowing).
  const killAt = Array.from({ length: settings.kills }, () => Math.floor(random() * settings.locks * 0.9) + 5).sort((a, b) => a - b);
  let restarting: Promise<void> | null = null;
  let kills = 0;
  const restart = async () => {
    const dying = server!;
    await new Promise<void>((resolve) => {
      if (dying.exitCode !== null || dying.signalCode !== null) return resolve();
      dying.once('exit', () => resolve());
      dying.kill('SIGKILL');
    });
    kills++;
    server = await startKinkyuProcess(env);
  };

  const answers = new Map<string, string>();
  let next = 0;
  let answered = 0;
  let lost = 0;
  const t0 = Date.now();
  const client = async () => {
    for (;;) {
      const i = next++;
      if (i >= accounts.length) return;
      const a = accounts[i]!;
      for (let attempt = 1; ; attempt++) {
        if (restarting) await restarting;
        try {
          const res = await fetch(`${base}/lock/${a.token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'null', 'sec-fetch-site': 'same-origin' }, body: 'lang=ja' });
          const body = await res.text();
          answers.set(a.accountId, res.status === 200 && body.includes('アカウントをロックしました') ? 'locked' : String(res.status));
          break;
        } catch {
          // The server went away mid-request: like a person, try the same link again once it is back.
          lost++;
          await new Promise((r) => setTimeout(r, 200));
          if (attempt > 50) {
            answers.set(a.accountId, 'gave up');
            break;
          }
        }
      }
      answered++;
      if (kills < killAt.length && answered >= killAt[kills]! && !restarting) {
        restarting = restart().finally(() => {
          restarting = null;
        });
      }
    }
  };
  await Promise.all(Array.from({ length: settings.clients }, client));
  if (restarting) await restarting;
  const elapsed = (Date.now() - t0) / 1000;
  // The last restart: its start-up pass finishes whatever the last kill left in the journal.
  await stopKinkyu(server, 'SIGKILL');
  server = await startKinkyuProcess(env);
  await stopKinkyu(server);
  server = null;

  const ids = accounts.map((a) => a.accountId);
  const [figures] = await db.query<Record<string, number>>(
    `WITH acc AS (SELECT id, email, locked_at FROM xch_accounts WHERE id = ANY($1::text[])),
          c AS (
            SELECT acc.id, acc.locked_at IS NOT NULL AS locked,
                   (SELECT count(*) FROM account_locks l WHERE l.account_id = acc.id) AS records,
                   (SELECT count(*) FROM account_events e WHERE e.account_id = acc.id AND e.kind = 'account_locked') AS events,
                   (SELECT count(*) FROM audit_log a WHERE a.action = 'account.lock' AND a.target_id = acc.id) AS audits,
                   (SELECT count(*) FROM mail_outbox m WHERE m.to_address = acc.email AND m.message_id LIKE '<lock-%') AS emails,
                   (SELECT count(*) FROM tickets t WHERE t.email = acc.email AND t.type = 'security' AND t.priority = 'urgent') AS tickets,
                   EXISTS (SELECT 1 FROM lock_tokens k WHERE k.account_id = acc.id AND k.used_at IS NOT NULL) AS spent
              FROM acc)
     SELECT count(*) FILTER (WHERE locked)::int AS locked,
            count(*) FILTER (WHERE locked AND records = 1 AND events = 1 AND audits = 1 AND emails = 1 AND tickets = 1)::int AS whole,
            count(*) FILTER (WHERE spent AND NOT locked)::int AS spent_without_lock,
            count(*) FILTER (WHERE locked AND (records = 0 OR events = 0 OR audits = 0 OR emails = 0 OR tickets = 0))::int AS records_missing,
            count(*) FILTER (WHERE records > 1 OR events > 1 OR audits > 1 OR emails > 1 OR tickets > 1)::int AS duplicates,
            count(*) FILTER (WHERE spent)::int AS spent
       FROM c`,
    [ids],
  );
  const lockedIds = new Set((await db.query<{ id: string }>(`SELECT id FROM xch_accounts WHERE id = ANY($1::text[]) AND locked_at IS NOT NULL`, [ids])).map((r) => r.id));
  const saidLocked = [...answers].filter(([, v]) => v === 'locked');
  const saidButNot = saidLocked.filter(([id]) => !lockedIds.has(id)).length;
  const other = [...answers.values()].filter((v) => v !== 'locked').reduce<Record<string, number>>((m, v) => ({ ...m, [v]: (m[v] ?? 0) + 1 }), {});

  const f = figures!;
  const rows: Array<[string, string | number, string]> = [
    ['lock-link uses', settings.locks, ''],
    ['server SIGKILLs (each followed by a restart)', kills, ''],
    ['requests cut by a kill (tried again)', lost, ''],
    ['answers "locked"', saidLocked.length, ''],
    ['other answers', JSON.stringify(other), '(404: the link was spent by a request cut by a kill)'],
    ['accounts locked', f.locked!, `of ${settings.locks}`],
    ['fully recorded', f.whole!, 'lock row, event, audit entry, one email, one urgent ticket'],
    ['links spent without a lock', f.spent_without_lock!, 'must be 0'],
    ['records missing', f.records_missing!, 'must be 0'],
    ['duplicates', f.duplicates!, 'must be 0'],
    ['"locked" answered but not locked', saidButNot, 'must be 0'],
  ];
  console.log('');
  for (const [what, value, note] of rows) console.log(`${what.padEnd(46)} ${String(value).padStart(8)}  ${note}`);
  console.log(`\n${settings.locks} uses in ${elapsed.toFixed(1)} s with ${kills} kills.`);
  const ok = f.spent_without_lock === 0 && f.records_missing === 0 && f.duplicates === 0 && saidButNot === 0 && f.locked === settings.locks && f.whole === settings.locks;
  console.log(ok ? 'PASS: every lock is whole and recorded exactly once.' : 'FAIL: see the figures above.');
  await cleanUp();
  return ok ? 0 : 1;
}

async function cleanUp(): Promise<void> {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  await db?.close().catch(() => undefined);
  db = null;
  pg?.destroy();
  pg = null;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

runBench(main, cleanUp);
