/**
 * A process that runs the mail outbox's worker (the job mechanism) on the database in DATABASE_URL or DATA_DIR,
 * with a transport that never finishes a send: it prints `claimed <Message-ID>` once it holds a mail under its
 * lease (JOB_LEASE_MS), and waits to be killed. test/jobs.test.ts kills it with SIGKILL there.
 */
import { openDb } from '../../src/store/db.ts';
import { MailSender } from '../../src/mail/sender.ts';

const db = await openDb({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir: process.env.DATA_DIR || undefined });
new MailSender(db, {
  sendMail: (mail) => {
    process.stdout.write(`claimed ${String(mail.messageId)}\n`);
    return new Promise(() => undefined);
  },
}, { from: 'kinkyu <support@example.com>', leaseMs: Number(process.env.JOB_LEASE_MS), pollMs: 50 }).start();
process.stdout.write('ready\n');
