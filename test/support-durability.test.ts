/**
 * A ticket number shown to a user is never lost: the real server (`kinkyu start`, a child process) takes a
 * continuous burst of contact-form submissions, is killed with SIGKILL in the middle of it, and is started
 * again on the same data. Every ticket a client got a 201 for must be there with the same number and text,
 * with its confirmation email still queued (SMTP is not configured, so mail stays in the outbox).
 *
 * Once on the embedded database (PGlite on disk in DATA_DIR), once on a real PostgreSQL server when the
 * machine has initdb/pg_ctl.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/net.ts';
import { StaffClient } from './support/app.ts';
import { postgresAvailable, startPostgres } from './support/postgres-server.ts';
import { openDb } from '../src/store/db.ts';
import { kinkyuEnv, startKinkyuProcess } from './support/server-process.ts';

const ADMIN = { email: 'admin@example.jp', password: 'durable password 123' };
/** Submissions in flight at any moment. */
const IN_FLIGHT = 20;
/** SIGKILL once this many have been acknowledged (or after KILL_AFTER_MS), with the burst still going. */
const KILL_AT_ACKS = 150;
const KILL_AFTER_MS = 4000;

const startKinkyu = (env: NodeJS.ProcessEnv) => startKinkyuProcess(env);

/** SIGTERM (the server closes its database cleanly) and wait for the exit; SIGKILL if it takes too long. */
function stopKinkyu(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

interface Acked {
  ticketId: string;
  number: number;
  text: string;
  email: string;
}

/**
 * Keeps IN_FLIGHT JSON submissions going until the server dies; SIGKILLs it after KILL_AT_ACKS answers.
 * Returns what the clients were told: the tickets acknowledged (201) before the kill.
 */
async function burstAndKill(base: string, child: ChildProcess, label: string): Promise<{ acked: Acked[]; sent: number; inFlightAtKill: number; refused: number; seconds: number }> {
  const acked: Acked[] = [];
  let sent = 0;
  let inFlight = 0;
  let inFlightAtKill = 0;
  let refused = 0;
  let dead = false;
  const kill = () => {
    if (dead) return;
    dead = true;
    inFlightAtKill = inFlight;
    child.kill('SIGKILL');
  };
  const timer = setTimeout(kill, KILL_AFTER_MS);
  const started = performance.now();
  const worker = async (w: number) => {
    for (let i = 0; !dead; i++) {
      const n = ++sent;
      // Unique, multi-line, multi-script: what comes back must be exactly this.
      const text = `出金が反映されません (${label} #${n})\n送金先: bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh\n「至急」お願いします ✓ ${w}-${i}`;
      const email = `burst-${label}-${n}@example.jp`;
      inFlight++;
      try {
        const res = await fetch(`${base}/contact`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ body: text, email, asset: 'btc', amount: '0.5' }),
        });
        const body = (await res.json()) as { ok?: boolean; ticketId?: string; number?: number };
        inFlight--;
        if (res.status === 201 && body.ok && body.ticketId && typeof body.number === 'number') {
          acked.push({ ticketId: body.ticketId, number: body.number, text, email });
          if (acked.length >= KILL_AT_ACKS) kill();
        } else if (!dead) {
          refused++;
        }
      } catch {
        // The server is gone: this one was never acknowledged, whatever happened to it.
        inFlight--;
        if (!dead) refused++;
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, (_, w) => worker(w)));
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  await new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
  return { acked, sent, inFlightAtKill, refused, seconds };
}

async function signIn(base: string): Promise<string> {
  // Password, then the authenticator app (enrolled at the first sign-in on this database).
  return (await StaffClient.signIn(base, ADMIN.email, ADMIN.password)).cookie;
}

/** The whole scenario on one database; `databaseUrl` empty means PGlite in `dataDir`. */
async function scenario(t: { diagnostic(msg: string): void }, label: string, opts: { databaseUrl?: string; dataDir: string }): Promise<void> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = kinkyuEnv({ port, dataDir: opts.dataDir, databaseUrl: opts.databaseUrl, admin: ADMIN, extra: { CONTACT_RATE_LIMIT: '100000' } });
  let child = await startKinkyu(env);
  try {
    const { acked, sent, inFlightAtKill, refused, seconds } = await burstAndKill(base, child, label);
    const summary = `${label}: ${acked.length} tickets acknowledged (201) before SIGKILL; ${sent} submissions started, ${inFlightAtKill} in flight when SIGKILL was sent, ${sent - acked.length - refused} never answered, ${refused} refused before it; burst lasted ${seconds.toFixed(1)} s`;
    console.log(`# ${summary}`);
    t.diagnostic(summary);
    assert.ok(acked.length >= 10, 'a real burst was acknowledged before the kill');
    assert.equal(refused, 0, 'nothing was refused while the server was up');
    assert.ok(inFlightAtKill > 0, 'the kill came in the middle of the burst');
    assert.equal(new Set(acked.map((a) => a.number)).size, acked.length, 'every acknowledged number is distinct');

    child = await startKinkyu(env);
    const cookie = await signIn(base);
    const problems: string[] = [];
    await Promise.all(
      acked.map(async (a) => {
        const res = await fetch(`${base}/staff/tickets/${a.ticketId}`, { headers: { cookie, accept: 'application/json' } });
        if (res.status !== 200) return void problems.push(`#${a.number} (${a.ticketId}): ${res.status}`);
        const { ticket, messages } = (await res.json()) as { ticket: { number: number; body: string; email: string }; messages: { kind: string; body: string }[] };
        if (ticket.number !== a.number) problems.push(`#${a.number}: now number ${ticket.number}`);
        if (ticket.body !== a.text) problems.push(`#${a.number}: text changed: ${JSON.stringify(ticket.body)}`);
        if (ticket.email !== a.email) problems.push(`#${a.number}: email changed`);
        if (messages[0]?.kind !== 'user' || messages[0].body !== a.text) problems.push(`#${a.number}: the thread does not start with the message`);
      }),
    );
    assert.deepEqual(problems, [], 'every acknowledged ticket survives with its number and text');

    // Numbers are never handed out twice: a user quoting one on the phone must mean one ticket.
    const res = await fetch(`${base}/contact`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ body: '再起動後のお問い合わせです', email: `after-${label}@example.jp` }),
    });
    assert.equal(res.status, 201);
    const after = ((await res.json()) as { number: number }).number;
    assert.ok(after > Math.max(...acked.map((a) => a.number)), `a new ticket after the restart gets a new number (${after})`);

    // The confirmation email of each acknowledged ticket was committed with it (PGlite allows one process:
    // the server is stopped first).
    await stopKinkyu(child);
    const db = await openDb({ databaseUrl: opts.databaseUrl, dataDir: opts.dataDir });
    try {
      const rows = await db.query<{ ticket_id: string; n: number }>(
        'SELECT ticket_id, count(*)::int AS n FROM mail_outbox WHERE ticket_id = ANY($1::text[]) AND sent_at IS NULL GROUP BY ticket_id',
        [acked.map((a) => a.ticketId)],
      );
      const mails = new Map(rows.map((r) => [r.ticket_id, r.n]));
      const without = acked.filter((a) => mails.get(a.ticketId) !== 1).map((a) => a.number);
      assert.deepEqual(without, [], 'each acknowledged ticket has exactly one queued confirmation email');
      const [orphans] = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM mail_outbox o WHERE o.ticket_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.id = o.ticket_id)',
      );
      assert.equal(orphans?.n, 0, 'no email exists for a ticket that does not');
    } finally {
      await db.close();
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

test('every ticket acknowledged to a user survives kill -9 of the server (embedded database on disk)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kinkyu-tickets-kill9-'));
  try {
    await scenario(t, 'pglite', { dataDir: join(dir, 'data') });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'every ticket acknowledged to a user survives kill -9 of the server (PostgreSQL)',
  { skip: postgresAvailable() ? false : 'no PostgreSQL binaries (initdb/pg_ctl) on this machine' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kinkyu-tickets-kill9-pg-'));
    const pg = await startPostgres();
    try {
      await scenario(t, 'postgres', { databaseUrl: pg.url, dataDir: join(dir, 'unused') });
    } finally {
      pg.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
