import { openMigratedDb } from './support/test-db.ts';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb, type Db } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { createSmtpTransport, enqueueMail, mailDomain, outboxStats, type MailTransport, type OutgoingMail } from '../src/mail/outbox.ts';
import { retryDelayMs } from '../src/jobs/retry.ts';
import { MailSender, startMailWorker, type MailSenderOptions, type MailWorker } from '../src/mail/sender.ts';
import { startSmtpServer, type SmtpTestServer } from './support/smtp.ts';
import { postgresAvailable, startPostgres, type PostgresServer } from './support/postgres-server.ts';
import { eventually } from './support/app.ts';

const FROM = 'bitbank サポート <support@example.com>';
const DOMAIN = mailDomain(FROM);
/** Retries within tens of milliseconds instead of seconds. */
const FAST = { backoffBaseMs: 50, backoffMaxMs: 200, pollMs: 50 } satisfies Partial<MailSenderOptions>;

interface OutboxRow {
  id: number;
  message_id: string;
  attempts: number;
  sent_at: Date | null;
  failed_at: Date | null;
  locked_until: Date | null;
  last_error: string | null;
}

async function freshDb(): Promise<Db> {
  const db = await openMigratedDb();
  await migrate(db);
  return db;
}

async function row(db: Db, messageId: string): Promise<OutboxRow> {
  const [r] = await db.query<OutboxRow>('SELECT * FROM mail_outbox WHERE message_id = $1', [messageId]);
  assert.ok(r, `no outbox row for ${messageId}`);
  return r;
}

/** Japanese unless the test says otherwise. */
function enqueue(db: Db, mail: Omit<OutgoingMail, 'lang'> & Partial<Pick<OutgoingMail, 'lang'>>): Promise<string> {
  return db.transaction((tx) => enqueueMail(tx, { lang: 'ja', ...mail }, { domain: DOMAIN }));
}

/** A sender with its own SMTP transport, collecting what it logs and counting its sends. */
function worker(db: Db, smtp: SmtpTestServer, opts: Partial<MailSenderOptions> = {}) {
  const logs: string[] = [];
  const stats = { sends: 0, inFlight: 0, maxInFlight: 0 };
  const smtpTransport = createSmtpTransport(smtp.url, { connectionTimeoutMs: 2000, greetingTimeoutMs: 2000, socketTimeoutMs: 2000 });
  assert.ok(smtpTransport);
  const transport: MailTransport = {
    async sendMail(mail) {
      stats.sends++;
      stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
      try {
        return await smtpTransport.sendMail(mail);
      } finally {
        stats.inFlight--;
      }
    },
    close: () => smtpTransport.close(),
  };
  const w: MailWorker = startMailWorker(db, transport, {
    from: FROM,
    ...FAST,
    log: (msg, err) => logs.push(err ? `${msg}: ${err instanceof Error ? err.message : String(err)}` : msg),
    ...opts,
  });
  return { w, logs, stats };
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const count = (smtp: SmtpTestServer, messageId: string) => smtp.messages.filter((m) => m.messageId === messageId).length;

describe('mail outbox on PGlite', () => {
  test('a committed mail arrives with its Japanese subject and body intact and the stored Message-ID; NOTIFY wakes the sender', async () => {
    const db = await freshDb();
    const smtp = await startSmtpServer();
    // Polling once a minute: prompt delivery can only come from the kinkyu_mail notification.
    const { w, logs } = worker(db, smtp, { pollMs: 60_000 });
    try {
      await delay(100); // the sender has subscribed and found nothing
      const subject = '【重要】システム障害のお知らせ（チケット #100001）— 出金遅延について、詳細は本文をご確認ください';
      const text =
        'お客様各位\n\nいつも bitbank をご利用いただきありがとうございます。\n' +
        '現在、暗号資産の出金処理に遅延が発生しております。復旧の見込みが立ち次第、改めてご連絡いたします。'.repeat(3) +
        '\n\n絵文字も届きます: 🚨 ₿\nbitbank サポート\n';
      const started = Date.now();
      const messageId = await enqueue(db, {
        to: 'user@example.jp',
        subject,
        text,
        headers: { 'Auto-Submitted': 'auto-generated', 'X-Kinkyu-Ticket': '100001' },
        ticketId: null,
      });
      assert.match(messageId, /^<[0-9a-z]+\.[0-9a-f]{32}@example\.com>$/);
      const mail = await smtp.waitFor((m) => m.messageId === messageId, 3000);
      assert.ok(Date.now() - started < 2000, 'delivered on NOTIFY, not on the (one-minute) poll');
      assert.equal(mail.subject, subject);
      assert.equal(mail.text.replace(/\n+$/, ''), text.replace(/\n+$/, ''));
      assert.deepEqual(mail.to, ['user@example.jp']);
      assert.equal(mail.envelopeFrom, 'support@example.com');
      assert.match(mail.from, /^"?bitbank サポート"? <support@example\.com>$/);
      assert.equal(mail.headers['auto-submitted'], 'auto-generated');
      assert.equal(mail.headers['x-kinkyu-ticket'], '100001');
      assert.match(mail.headers['content-type'] ?? '', /text\/plain; charset=utf-8/i);
      // No raw 8-bit header: the subject went out RFC 2047-encoded.
      const rawSubject = /^Subject:.*(\r\n[ \t].*)*/m.exec(mail.raw)?.[0] ?? '';
      assert.match(rawSubject, /=\?UTF-8\?[BQ]\?/i);
      assert.doesNotMatch(rawSubject, /[^\x00-\x7f]/);

      await eventually(async () => (await row(db, messageId)).sent_at !== null, 2000);
      const r = await row(db, messageId);
      assert.equal(r.attempts, 1);
      assert.equal(r.locked_until, null);
      assert.equal(r.last_error, null);
      assert.deepEqual({ ...(await outboxStats(db)), oldestQueuedAt: null }, { queued: 0, sent: 1, failed: 0, oldestQueuedAt: null });
      assert.deepEqual(logs, []);
    } finally {
      await w.stop();
      await smtp.stop();
      await db.close();
    }
  });

  test('a rolled-back transaction sends nothing', async () => {
    const db = await freshDb();
    const smtp = await startSmtpServer();
    const { w } = worker(db, smtp);
    try {
      await assert.rejects(
        db.transaction(async (tx) => {
          await enqueueMail(tx, { to: 'rollback@example.jp', subject: '届かないはず', text: '本文', lang: 'ja' }, { domain: DOMAIN });
          throw new Error('the change failed');
        }),
        /the change failed/,
      );
      await w.drain();
      await delay(200);
      assert.equal((await db.query('SELECT 1 FROM mail_outbox')).length, 0);
      assert.equal(smtp.messages.length, 0);
    } finally {
      await w.stop();
      await smtp.stop();
      await db.close();
    }
  });

  test('SMTP down: the mail stays queued with attempts and last_error, then arrives exactly once when SMTP is back', async () => {
    const db = await freshDb();
    const smtp = await startSmtpServer();
    await smtp.stop();
    const { w } = worker(db, smtp);
    try {
      const messageId = await enqueue(db, { to: 'down@example.jp', subject: '障害中の送信', text: 'SMTP が止まっていても失われない' });
      await eventually(async () => (await row(db, messageId)).attempts >= 3, 5000);
      const waiting = await row(db, messageId);
      assert.equal(waiting.sent_at, null);
      assert.equal(waiting.failed_at, null);
      assert.match(waiting.last_error ?? '', /ECONNREFUSED|connect/i);
      assert.equal((await outboxStats(db)).queued, 1);

      await smtp.start();
      await smtp.waitFor((m) => m.messageId === messageId, 5000);
      await eventually(async () => (await row(db, messageId)).sent_at !== null, 2000);
      await delay(300); // several more polls: nothing is sent twice
      assert.equal(count(smtp, messageId), 1);
      assert.equal(smtp.messages.length, 1);
    } finally {
      await w.stop();
      await smtp.stop();
      await db.close();
    }
  });

  test('refusals at DATA (451) and RCPT (450) are retried and the mail is delivered once', async () => {
    const db = await freshDb();
    const smtp = await startSmtpServer({ failFirst: 2, code: 451, at: 'data' });
    const { w } = worker(db, smtp);
    try {
      const first = await enqueue(db, { to: 'retry@example.jp', subject: '再送テスト', text: '一通目' });
      await smtp.waitFor((m) => m.messageId === first, 5000);
      await eventually(async () => (await row(db, first)).sent_at !== null, 2000);
      const r1 = await row(db, first);
      assert.equal(r1.attempts, 3);
      assert.match(r1.last_error ?? '', /451/, 'the last refusal is kept for staff to see');

      smtp.setFailing(1, { code: 450, at: 'rcpt' });
      const second = await enqueue(db, { to: 'retry2@example.jp', subject: '再送テスト 2', text: '二通目' });
      await smtp.waitFor((m) => m.messageId === second, 5000);
      await eventually(async () => (await row(db, second)).sent_at !== null, 2000);
      assert.equal((await row(db, second)).attempts, 2);
      await delay(200);
      assert.equal(count(smtp, first), 1);
      assert.equal(count(smtp, second), 1);
      assert.equal(smtp.refused, 3);
    } finally {
      await w.stop();
      await smtp.stop();
      await db.close();
    }
  });

  test('after maxAttempts the mail is marked failed and not tried again', async () => {
    const db = await freshDb();
    const smtp = await startSmtpServer({ rejectAll: true, code: 550, at: 'rcpt' });
    const { w, logs } = worker(db, smtp, { maxAttempts: 3 });
    try {
      const messageId = await enqueue(db, { to: 'nobody@example.jp', subject: '宛先不明', text: '届かない' });
      await eventually(async () => (await row(db, messageId)).failed_at !== null, 5000);
      const failed = await row(db, messageId);
      assert.equal(failed.attempts, 3);
      assert.equal(failed.sent_at, null);
      assert.match(failed.last_error ?? '', /550/);
      assert.equal(smtp.refused, 3);
      assert.ok(logs.some((l) => l.includes('giving up after 3 attempts')), logs.join('\n'));

      smtp.setFailing(0);
      await w.drain();
      await delay(300);
      assert.equal(smtp.messages.length, 0);
      assert.equal((await row(db, messageId)).attempts, 3);
      const stats = await outboxStats(db);
      assert.equal(stats.failed, 1);
      assert.equal(stats.queued, 0);
    } finally {
      await w.stop();
      await smtp.stop();
      await db.close();
    }
  });

  test("a crashed sender's lease runs out and the mail is sent with the same Message-ID", async () => {
    const db = await freshDb();
    const smtp = await startSmtpServer();
    try {
      const messageId = await enqueue(db, { to: 'lease@example.jp', subject: 'リース', text: '再送' });
      // What a sender that died after claiming leaves behind.
      await db.query(`UPDATE mail_outbox SET attempts = 1, locked_until = now() + interval '1 second' WHERE message_id = $1`, [messageId]);
      const { w } = worker(db, smtp);
      try {
        await delay(200);
        assert.equal(smtp.messages.length, 0, 'not while the lease holds');
        const mail = await smtp.waitFor((m) => m.messageId === messageId, 3000);
        assert.equal(mail.subject, 'リース');
        await eventually(async () => (await row(db, messageId)).sent_at !== null, 2000);
        assert.equal((await row(db, messageId)).attempts, 2);
      } finally {
        await w.stop();
      }
    } finally {
      await smtp.stop();
      await db.close();
    }
  });

  test('two senders on one PGlite deliver 30 mails, none twice, at most `concurrency` sends in flight each', async () => {
    const db = await freshDb();
    const smtp = await startSmtpServer();
    const a = worker(db, smtp, { concurrency: 2 });
    const b = worker(db, smtp, { concurrency: 2 });
    try {
      const ids = await db.transaction(async (tx) => {
        const out: string[] = [];
        for (let i = 0; i < 30; i++) out.push(await enqueueMail(tx, { to: `bulk${i}@example.jp`, subject: `一斉送信 ${i}`, text: `本文 ${i}`, lang: 'ja' }, { domain: DOMAIN }));
        return out;
      });
      await eventually(async () => smtp.messages.length >= 30, 10_000);
      await Promise.all([a.w.drain(), b.w.drain()]);
      await delay(200);
      assert.equal(smtp.messages.length, 30);
      assert.deepEqual(new Set(smtp.messages.map((m) => m.messageId)), new Set(ids));
      const [r] = await db.query<{ n: number; max: number }>('SELECT count(*) AS n, max(attempts) AS max FROM mail_outbox WHERE sent_at IS NOT NULL');
      assert.deepEqual(r, { n: 30, max: 1 });
      assert.equal(a.stats.sends + b.stats.sends, 30);
      assert.ok(a.stats.maxInFlight <= 2 && b.stats.maxInFlight <= 2, `at most 2 sends in flight per sender: ${a.stats.maxInFlight}, ${b.stats.maxInFlight}`);
      assert.ok(Math.max(a.stats.maxInFlight, b.stats.maxInFlight) === 2, 'sends do run in parallel');
    } finally {
      await Promise.all([a.w.stop(), b.w.stop()]);
      await smtp.stop();
      await db.close();
    }
  });

  test('no SMTP configured: no transport, a warning once, mail stays queued', async () => {
    const db = await freshDb();
    try {
      assert.equal(createSmtpTransport(''), null);
      assert.equal(createSmtpTransport('   '), null);
      assert.equal(createSmtpTransport(undefined), null);
      assert.throws(() => createSmtpTransport('http://example.com'), /smtp:\/\//);
      const logs: string[] = [];
      const w = startMailWorker(db, null, { from: FROM, log: (msg) => logs.push(msg) });
      const messageId = await enqueue(db, { to: 'held@example.jp', subject: '保留', text: '送られない' });
      await w.drain();
      await w.stop();
      assert.equal(logs.length, 1);
      assert.match(logs[0] ?? '', /no SMTP configured/);
      const r = await row(db, messageId);
      assert.equal(r.attempts, 0);
      assert.equal(r.sent_at, null);
      assert.equal((await outboxStats(db)).queued, 1);
    } finally {
      await db.close();
    }
  });

  test('enqueueMail refuses header injection and odd addresses; keeps a given Message-ID', async () => {
    const db = await freshDb();
    try {
      const tryEnqueue = (mail: Partial<OutgoingMail>) => enqueue(db, { to: 'a@example.jp', subject: 's', text: 't', ...mail });
      await assert.rejects(tryEnqueue({ to: 'a@example.jp\r\nBcc: x@evil.example' }), /plain email address/);
      await assert.rejects(tryEnqueue({ to: 'Name <a@example.jp>' }), /plain email address/);
      await assert.rejects(tryEnqueue({ to: 'a@example.jp, b@example.jp' }), /plain email address/);
      await assert.rejects(tryEnqueue({ headers: { 'X-Test': 'a\r\nBcc: x@evil.example' } }), /line break/);
      await assert.rejects(tryEnqueue({ headers: { Bcc: 'x@evil.example' } }), /cannot be set/);
      await assert.rejects(tryEnqueue({ headers: { 'Message-ID': '<x@y>' } }), /cannot be set/);
      await assert.rejects(tryEnqueue({ messageId: '<not an id>' }), /Message-ID/);
      const given = await tryEnqueue({ messageId: 'ticket-100001.reply-1@example.com', subject: '件名\r\nBcc: x@evil.example' });
      assert.equal(given, '<ticket-100001.reply-1@example.com>');
      const [r] = await db.query<{ subject: string }>('SELECT subject FROM mail_outbox WHERE message_id = $1', [given]);
      assert.equal(r?.subject, '件名 Bcc: x@evil.example', 'a line break in a subject is folded, never a new header');
      await assert.rejects(tryEnqueue({ messageId: 'ticket-100001.reply-1@example.com' }), /unique|duplicate/i);
      assert.equal(mailDomain('support@Example.COM'), 'example.com');
      assert.throws(() => mailDomain('no domain here'));
    } finally {
      await db.close();
    }
  });

  test('retry delays double from the base, with jitter, up to the cap', () => {
    assert.equal(retryDelayMs(1, 5000, 900_000, () => 0.5), 5000);
    assert.equal(retryDelayMs(2, 5000, 900_000, () => 0.5), 10_000);
    assert.equal(retryDelayMs(4, 5000, 900_000, () => 0.5), 40_000);
    assert.equal(retryDelayMs(12, 5000, 900_000, () => 0.5), 900_000);
    assert.equal(retryDelayMs(100, 5000, 900_000, () => 1), 900_000);
    assert.equal(retryDelayMs(1, 5000, 900_000, () => 0), 4000);
    assert.equal(retryDelayMs(1, 5000, 900_000, () => 1), 6000);
  });

  test('a database that fails does not crash the sender; drain reports it', async () => {
    const db = await freshDb();
    const smtp = await startSmtpServer();
    const logs: string[] = [];
    let broken = false;
    const flaky: Db = {
      ...db,
      query: async (sql, params) => {
        if (broken) throw new Error('connection refused (simulated)');
        return db.query(sql, params);
      },
    } as Db;
    const transport = createSmtpTransport(smtp.url);
    const w = new MailSender(flaky, transport!, { from: FROM, ...FAST, log: (msg) => logs.push(msg) }).start();
    try {
      broken = true;
      await assert.rejects(w.drain(), /simulated/);
      await delay(200); // several failing polls
      assert.equal(logs.filter((l) => l.includes('cannot read the outbox')).length, 1, 'logged once per outage');
      broken = false;
      const messageId = await enqueue(db, { to: 'back@example.jp', subject: '復旧', text: '復旧後に送信' });
      await smtp.waitFor((m) => m.messageId === messageId, 3000);
      assert.ok(logs.some((l) => l.includes('reachable again')));
    } finally {
      await w.stop();
      await smtp.stop();
      await db.close();
    }
  });
});

describe('mail outbox on PostgreSQL', { skip: postgresAvailable() ? false : 'no PostgreSQL binaries (initdb) on this machine' }, () => {
  let pg: PostgresServer;
  before(async () => {
    pg = await startPostgres();
    const db = await openDb({ databaseUrl: pg.url });
    await migrate(db);
    await db.close();
  });
  after(() => pg?.destroy());

  test('two senders in separate connections deliver 50 mails with no duplicates', async (t) => {
    const smtp = await startSmtpServer();
    // Each sender has its own pool and LISTEN connection, as two processes would.
    const dbA = await openDb({ databaseUrl: pg.url });
    const dbB = await openDb({ databaseUrl: pg.url });
    const a = worker(dbA, smtp);
    const b = worker(dbB, smtp);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 50; i++) {
        // Half from each side, some in one transaction, some one by one.
        const db = i % 2 === 0 ? dbA : dbB;
        ids.push(await enqueue(db, { to: `pg${i}@example.jp`, subject: `PostgreSQL 経由 ${i}`, text: `本文 ${i}` }));
      }
      await eventually(async () => smtp.messages.length >= 50, 15_000);
      await Promise.all([a.w.drain(), b.w.drain()]);
      await delay(300);
      const received = smtp.messages.map((m) => m.messageId);
      assert.equal(received.length, 50, 'no duplicates');
      assert.deepEqual(new Set(received), new Set(ids));
      const [r] = await dbA.query<{ n: number; max: number }>('SELECT count(*) AS n, max(attempts) AS max FROM mail_outbox WHERE sent_at IS NOT NULL');
      assert.deepEqual(r, { n: 50, max: 1 });
      assert.equal(a.stats.sends + b.stats.sends, 50);
      assert.ok(a.stats.maxInFlight <= 4 && b.stats.maxInFlight <= 4);
      t.diagnostic(`sender A sent ${a.stats.sends}, sender B ${b.stats.sends}`);
      assert.deepEqual(a.logs, []);
      assert.deepEqual(b.logs, []);
    } finally {
      await Promise.all([a.w.stop(), b.w.stop()]);
      await Promise.all([dbA.close(), dbB.close()]);
      await smtp.stop();
    }
  });

  test('PostgreSQL restarting does not crash the sender; mail queued afterwards is delivered', async () => {
    const smtp = await startSmtpServer();
    const db = await openDb({ databaseUrl: pg.url });
    const { w, logs } = worker(db, smtp);
    try {
      pg.stop();
      await delay(400);
      assert.ok(logs.some((l) => l.includes('cannot read the outbox')), logs.join('\n'));
      pg.start();
      const messageId = await enqueue(db, { to: 'restart@example.jp', subject: '再起動後', text: '届く' });
      await smtp.waitFor((m) => m.messageId === messageId, 5000);
      await eventually(async () => (await db.query('SELECT 1 FROM mail_outbox WHERE message_id = $1 AND sent_at IS NOT NULL', [messageId])).length === 1, 3000);
    } finally {
      await w.stop();
      await db.close();
      await smtp.stop();
    }
  });
});
