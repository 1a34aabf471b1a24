/**
 * The one job mechanism (src/jobs) as a user feels it, through the mail outbox: a mail queued in a transaction
 * that rolls back is never sent; one that commits is sent without anyone waking the worker (its poll is an hour
 * here, so only the wake registered at commit can have done it); and a mail whose worker is killed with SIGKILL
 * while it holds the mail under its lease is sent exactly once, by the next worker, after the lease. On the
 * embedded database and, when the machine has it, on a real PostgreSQL server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { openDb, type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { enqueueMail, notifyMailQueued, type MailTransport } from '../src/mail/outbox.ts';
import { MailSender } from '../src/mail/sender.ts';
import { JobWorker } from '../src/jobs/worker.ts';
import { wakeAfterCommit } from '../src/jobs/wake.ts';
import { openMigratedDb } from './support/test-db.ts';
import { postgresAvailable, startPostgres, type PostgresServer } from './support/postgres-server.ts';

/** The child worker, run the way this file runs: from source through tsx, or built (test-dist/) as plain JavaScript. */
const JOB_CHILD = import.meta.url.endsWith('.ts')
  ? ['--import', 'tsx', fileURLToPath(new URL('./support/job-child.ts', import.meta.url))]
  : [fileURLToPath(new URL('./support/job-child.js', import.meta.url))];

const DOMAIN = 'example.com';
const HOUR = 3_600_000;

/** Retries `check` until it stops throwing, for at most `ms`. */
async function eventually(check: () => Promise<void> | void, ms: number): Promise<void> {
  const start = Date.now();
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() - start > ms) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** A transport that records what it was handed. */
function recordingTransport(): MailTransport & { sent: string[] } {
  const sent: string[] = [];
  return { sent, async sendMail(mail) { sent.push(String(mail.messageId)); } };
}

const queue = (db: Db, to: string, then: 'commit' | 'rollback') =>
  db.transaction(async (tx) => {
    const id = await enqueueMail(tx, { to, subject: 'テスト', text: '本文', lang: 'ja' }, { domain: DOMAIN });
    if (then === 'rollback') throw Object.assign(new Error('rolled back on purpose'), { messageId: id });
    return id;
  });

async function afterCommitBehaviour(db: Db): Promise<void> {
  const ran: string[] = [];
  await db.transaction(async (tx) => {
    tx.afterCommit?.(() => ran.push('tx'));
    db.afterCommit(() => ran.push('db inside'));
    assert.deepEqual(ran, [], 'nothing before the commit');
  });
  assert.deepEqual(ran, ['tx', 'db inside']);
  await assert.rejects(db.transaction(async (tx) => {
    tx.afterCommit?.(() => ran.push('rolled back'));
    throw new Error('no');
  }));
  db.afterCommit(() => ran.push('outside'));
  assert.deepEqual(ran, ['tx', 'db inside', 'outside'], 'never on rollback; right away outside a transaction');
}

async function wakeAtCommit(db: Db): Promise<void> {
  const transport = recordingTransport();
  // Polling once an hour: whatever is sent within the test was woken by the commit.
  const sender = new MailSender(db, transport, { from: 'kinkyu <support@example.com>', pollMs: HOUR }).start();
  try {
    const rolledBack = await queue(db, 'never@example.net', 'rollback').catch((err: { messageId: string }) => err.messageId);
    const committed = await queue(db, 'sent@example.net', 'commit');
    await eventually(async () => assert.deepEqual(transport.sent, [committed]), 5000);
    const rows = await db.query<{ message_id: string }>('SELECT message_id FROM mail_outbox WHERE message_id = $1', [rolledBack]);
    assert.deepEqual(rows, [], 'the rolled-back mail is not in the outbox');
    // A mail written by the caller's own SQL (the desk's intake does so) is woken the same way.
    const raw = await db.transaction(async (tx) => {
      await tx.query(`INSERT INTO mail_outbox (message_id, to_address, subject, text_body, lang) VALUES ('<raw-1@example.com>', 'raw@example.net', 's', 't', 'ja')`);
      await notifyMailQueued(tx);
      return '<raw-1@example.com>';
    });
    await eventually(async () => assert.deepEqual(transport.sent, [committed, raw]), 5000);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(transport.sent, [committed, raw], 'the rolled-back mail was never sent');
  } finally {
    await sender.stop();
  }
}

/** The child claims the mail and hangs in the send; it is killed there; the next worker sends it once, after the lease. */
async function killMidLease(db: Db, childEnv: Record<string, string>): Promise<void> {
  const leaseMs = 1500;
  const id = await queue(db, 'killed@example.net', 'commit');
  const child = spawn(process.execPath, JOB_CHILD, {
    env: { ...process.env, ...childEnv, JOB_LEASE_MS: String(leaseMs) }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    for await (const line of lines) if (line === `claimed ${id}`) break;
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  const killedAt = Date.now();
  const [held] = await db.query<{ attempts: number; sent_at: Date | null }>('SELECT attempts, sent_at FROM mail_outbox WHERE message_id = $1', [id]);
  assert.deepEqual([held?.attempts, held?.sent_at], [1, null], 'claimed once, never marked sent');

  const transport = recordingTransport();
  const next = new MailSender(db, transport, { from: 'kinkyu <support@example.com>', pollMs: 50, leaseMs }).start();
  try {
    await eventually(async () => assert.deepEqual(transport.sent, [id]), 10_000);
    assert.ok(Date.now() - killedAt >= leaseMs / 2, 'not taken from under the lease');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(transport.sent, [id], 'sent exactly once');
    const [row] = await db.query<{ attempts: number; sent_at: Date | null }>('SELECT attempts, sent_at FROM mail_outbox WHERE message_id = $1', [id]);
    assert.equal(row?.attempts, 2);
    assert.ok(row?.sent_at, 'marked sent');
  } finally {
    await next.stop();
  }
}

describe('the job mechanism on the embedded database', () => {
  let db: Db;
  before(async () => {
    db = await openMigratedDb();
  });
  after(() => db.close());

  test('after-commit hooks run on commit only, at once outside a transaction', () => afterCommitBehaviour(db));
  test('a mail queued in a rolled-back transaction is never sent; a committed one is sent without waking anyone', () => wakeAtCommit(db));

  test('a generic job is retried with back-off and failed honestly after its last attempt', async () => {
    await db.exec(`CREATE TABLE IF NOT EXISTS test_jobs (id int PRIMARY KEY, attempts int NOT NULL DEFAULT 0, next_attempt_at timestamptz NOT NULL DEFAULT now(),
                     locked_until timestamptz, done_at timestamptz, failed_at timestamptz, last_error text)`);
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO test_jobs (id) VALUES (1)');
      wakeAfterCommit(tx, 'test-jobs');
    });
    const worker = new JobWorker<{ id: number; attempts: number }>(db, {
      claim: (limit) => db.query(`UPDATE test_jobs SET attempts = attempts + 1, locked_until = now() + interval '1 minute'
                                   WHERE id IN (SELECT id FROM test_jobs WHERE done_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
                                                  AND (locked_until IS NULL OR locked_until < now()) LIMIT $1 FOR UPDATE SKIP LOCKED)
                                   RETURNING id, attempts`, [limit]),
      run: async (job) => {
        if (job.attempts >= 3) await db.query(`UPDATE test_jobs SET failed_at = now(), last_error = 'always fails', locked_until = NULL WHERE id = $1`, [job.id]);
        else await db.query(`UPDATE test_jobs SET next_attempt_at = now() + interval '20 milliseconds', locked_until = NULL WHERE id = $1`, [job.id]);
      },
    }, { queue: 'test-jobs', concurrency: 2, pollMs: 20, log: () => undefined }).start();
    try {
      await eventually(async () => {
        const [row] = await db.query<{ attempts: number; failed: boolean; last_error: string }>('SELECT attempts, failed_at IS NOT NULL AS failed, last_error FROM test_jobs WHERE id = 1');
        assert.deepEqual(row, { attempts: 3, failed: true, last_error: 'always fails' });
      }, 5000);
      assert.ok(worker.healthy(60_000));
    } finally {
      await worker.stop();
    }
    assert.equal(worker.healthy(60_000), false, 'a stopped worker is not healthy');
  });

  test('a job that took everything due makes no empty claim afterwards, and a wake during it is not lost', async () => {
    // An in-memory queue: the handler claims everything waiting at once and says so (claimAgain false).
    const waiting: number[] = [];
    const done: number[] = [];
    let claims = 0;
    let addDuringRun: (() => void) | null = null;
    const worker = new JobWorker<number[]>(db, {
      claim: async () => {
        claims++;
        return waiting.length > 0 ? [waiting.splice(0)] : [];
      },
      run: async (batch) => {
        addDuringRun?.();
        addDuringRun = null;
        await new Promise((resolve) => setTimeout(resolve, 30));
        done.push(...batch);
      },
      claimAgain: () => false,
    }, { queue: 'test-claim-again', concurrency: 1, pollMs: HOUR, log: () => undefined }).start();
    try {
      await eventually(() => assert.equal(claims, 1), 2000); // the start's claim found nothing
      waiting.push(1, 2, 3);
      worker.wake();
      await eventually(() => assert.deepEqual(done, [1, 2, 3]), 2000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(claims, 2, 'one claim took all three; none after it');
      // A job queued (and its wake sent) while a batch runs: claimed when the batch ends, not at the next poll (an hour).
      addDuringRun = () => {
        waiting.push(5);
        worker.wake();
      };
      waiting.push(4);
      worker.wake();
      await eventually(() => assert.deepEqual(done, [1, 2, 3, 4, 5]), 2000);
    } finally {
      await worker.stop();
    }
  });

  test('a mail whose worker is SIGKILLed mid-lease is sent exactly once by the next worker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kinkyu-jobs-'));
    const disk = await openDb({ dataDir: dir });
    try {
      await migrate(disk);
      // One process at a time on an embedded database: the child opens it while this one has it closed.
      await disk.close();
      const id = await (async () => {
        const d = await openDb({ dataDir: dir });
        try {
          return await queue(d, 'killed-embedded@example.net', 'commit');
        } finally {
          await d.close();
        }
      })();
      const child = spawn(process.execPath, JOB_CHILD, {
        env: { ...process.env, DATA_DIR: dir, JOB_LEASE_MS: '1500' }, stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        for await (const line of createInterface({ input: child.stdout! })) if (line === `claimed ${id}`) break;
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
      const next = await openDb({ dataDir: dir });
      const transport = recordingTransport();
      const sender = new MailSender(next, transport, { from: 'kinkyu <support@example.com>', pollMs: 50, leaseMs: 1500 }).start();
      try {
        await eventually(async () => assert.deepEqual(transport.sent, [id]), 10_000);
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(transport.sent, [id], 'sent exactly once');
        const [row] = await next.query<{ attempts: number; sent: boolean }>('SELECT attempts, sent_at IS NOT NULL AS sent FROM mail_outbox WHERE message_id = $1', [id]);
        assert.deepEqual(row, { attempts: 2, sent: true }, 'the killed claim, then the one that sent it');
      } finally {
        await sender.stop();
        await next.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the job mechanism on PostgreSQL', { skip: postgresAvailable() ? false : 'no PostgreSQL binaries (initdb/pg_ctl)' }, () => {
  let pg: PostgresServer;
  let db: Db;
  before(async () => {
    pg = await startPostgres();
    db = await openDb({ databaseUrl: pg.url });
    await migrate(db);
  });
  after(async () => {
    await db?.close();
    pg?.destroy();
  });

  test('after-commit hooks run on commit only, at once outside a transaction', () => afterCommitBehaviour(db));
  test('a mail queued in a rolled-back transaction is never sent; a committed one is sent without waking anyone', () => wakeAtCommit(db));
  test('a mail whose worker process is SIGKILLed mid-lease is sent exactly once by another process, after the lease', () =>
    killMidLease(db, { DATABASE_URL: pg.url }));
});
