/**
 * A fan-out survives SIGKILL: the real server (`kinkyu start`, a child process) sends an update to 500 email
 * subscribers through a real SMTP server and is killed with SIGKILL half-way; after a restart every address
 * has the update. Copies sent twice are only those in flight at the kill — at most the email concurrency
 * (FANOUT_EMAIL_CONCURRENCY = 8 here: a send slot is held until its row is marked sent, so no more than 8 messages
 * are ever out without being recorded; rows claimed but not yet sent were never sent, and are sent once after
 * the lease) — and a copy carries the same Message-ID as the first. A second update without a crash reaches
 * every address exactly once.
 *
 * Once on the embedded database on disk, once on PostgreSQL when available.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/net.ts';
import { postgresAvailable, startPostgres } from './support/postgres-server.ts';
import { kinkyuEnv, startKinkyuProcess, stopKinkyu } from './support/server-process.ts';
import { startSmtpServer, type ReceivedMail, type SmtpTestServer } from './support/smtp.ts';
import { StaffClient, eventually } from './support/app.ts';
import { openDb } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';

const ADMIN = { email: 'fanout-admin@example.jp', password: 'fan out durable password 123' };
const SUBSCRIBERS = 500;
const CONCURRENCY = 8;
const KILL_AFTER = 150;

/** Messages of one event (Message-ID `<eventId.subscriberId@domain>`) per recipient address. */
function perAddress(messages: readonly ReceivedMail[], eventId: string): Map<string, ReceivedMail[]> {
  const out = new Map<string, ReceivedMail[]>();
  for (const m of messages) {
    if (!m.messageId.startsWith(`<${eventId}.`)) continue;
    for (const to of m.to) out.set(to, [...(out.get(to) ?? []), m]);
  }
  return out;
}

const eventIdOf = (m: ReceivedMail) => m.messageId.slice(1, m.messageId.indexOf('.'));

async function scenario(t: { diagnostic(msg: string): void }, opts: { databaseUrl?: string; dataDir: string; smtp: SmtpTestServer }): Promise<void> {
  const { smtp } = opts;
  {
    const db = await openDb({ databaseUrl: opts.databaseUrl, dataDir: opts.dataDir });
    try {
      await migrate(db);
      await db.query(
        `INSERT INTO subscribers (id, channel, target, target_key, lang, confirmed_at)
         SELECT 'crash' || lpad(n::text, 6, '0'), 'email', 'crash-' || n || '@example.net', 'crash-' || n || '@example.net',
                CASE WHEN n % 5 = 0 THEN 'en' ELSE 'ja' END, now()
           FROM generate_series(1, $1::int) AS n`,
        [SUBSCRIBERS],
      );
    } finally {
      await db.close();
    }
  }
  const addresses = Array.from({ length: SUBSCRIBERS }, (_, i) => `crash-${i + 1}@example.net`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = kinkyuEnv({
    port, dataDir: opts.dataDir, databaseUrl: opts.databaseUrl, admin: ADMIN,
    extra: {
      SMTP_URL: smtp.url,
      MAIL_FROM: 'status@example.com',
      FANOUT_EMAIL_CONNECTIONS: '4',
      FANOUT_EMAIL_CONCURRENCY: String(CONCURRENCY),
      // Slow enough that the kill lands in the middle of the fan-out.
      FANOUT_EMAIL_PER_SECOND: '250',
      // A dead process's rows are sent by the next one after this.
      FANOUT_LEASE_MS: '3000',
      FANOUT_POLL_MS: '200',
      // Several expansion chunks, so a kill may also land between two of them.
      FANOUT_EXPAND_CHUNK: '175',
    },
  });
  let child = await startKinkyuProcess(env);
  try {
    const admin = await StaffClient.signIn(base, ADMIN.email, ADMIN.password);
    const res = await admin.postForm('/staff/incidents', {
      type: 'outage', severity: 'SEV1', status: 'investigating', nameJa: '入出金の遅延', nameEn: 'Deposits and withdrawals delayed',
      bodyJa: '暗号資産の入出金が遅れています。', bodyEn: 'Crypto deposits and withdrawals are delayed.',
    });
    assert.equal(res.status, 303);
    const incidentId = (res.headers.get('location') ?? '').split('/')[3]!.split('?')[0]!;

    await eventually(async () => smtp.messages.length >= KILL_AFTER, 60_000, 5);
    child.kill('SIGKILL');
    await new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    const atKill = smtp.messages.length;
    assert.ok(atKill < SUBSCRIBERS, `killed half-way (${atKill} of ${SUBSCRIBERS} received)`);
    const eventId = eventIdOf(smtp.messages[0]!);

    child = await startKinkyuProcess(env);
    await eventually(async () => perAddress(smtp.messages, eventId).size === SUBSCRIBERS, 90_000, 100);
    // Anything still to come (a lease running out) comes within a lease and a poll.
    await new Promise((r) => setTimeout(r, 3500));
    const first = perAddress(smtp.messages, eventId);
    for (const a of addresses) assert.ok(first.get(a)?.length, `${a} received the update`);
    const duplicated = [...first.entries()].filter(([, ms]) => ms.length > 1);
    const duplicates = duplicated.reduce((n, [, ms]) => n + ms.length - 1, 0);
    t.diagnostic(`${opts.databaseUrl ? 'PostgreSQL' : 'PGlite'}: SIGKILL after ${atKill} of ${SUBSCRIBERS} received; after restart every address has it; duplicates: ${duplicates} (bound: ${CONCURRENCY})`);
    assert.ok(duplicates <= CONCURRENCY, `at most the ${CONCURRENCY} in flight were sent twice, not ${duplicates}`);
    for (const [address, ms] of duplicated) {
      assert.equal(new Set(ms.map((m) => m.messageId)).size, 1, `${address}: the copies carry the same Message-ID`);
    }

    // No crash: the next update reaches everyone exactly once.
    const before = smtp.messages.length;
    const upd = await admin.postForm(`/staff/incidents/${incidentId}/updates`, { status: 'resolved', bodyJa: '入出金は正常に戻りました。', bodyEn: 'Deposits and withdrawals are back to normal.' });
    assert.equal(upd.status, 303);
    await eventually(async () => smtp.messages.length - before >= SUBSCRIBERS, 90_000, 100);
    await new Promise((r) => setTimeout(r, 1500));
    const second = perAddress(smtp.messages.slice(before), eventIdOf(smtp.messages[before]!));
    assert.equal(second.size, SUBSCRIBERS);
    const secondDuplicates = [...second.values()].reduce((n, ms) => n + ms.length - 1, 0);
    t.diagnostic(`without a crash: ${second.size} addresses, duplicates: ${secondDuplicates}`);
    assert.equal(secondDuplicates, 0);
    assert.equal(smtp.messages.length - before, SUBSCRIBERS);
  } finally {
    await stopKinkyu(child);
  }
}

test('SIGKILL during a fan-out to 500 subscribers on the embedded database: everyone gets it, duplicates bounded', { timeout: 240_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kinkyu-fanout-crash-'));
  const smtp = await startSmtpServer();
  try {
    await scenario(t, { dataDir, smtp });
  } finally {
    await smtp.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the same on PostgreSQL', { timeout: 240_000, skip: postgresAvailable() ? false : 'no PostgreSQL binaries' }, async (t) => {
  const pg = await startPostgres();
  const dataDir = mkdtempSync(join(tmpdir(), 'kinkyu-fanout-crash-'));
  const smtp = await startSmtpServer();
  try {
    await scenario(t, { databaseUrl: pg.url, dataDir, smtp });
  } finally {
    await smtp.stop();
    pg.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
