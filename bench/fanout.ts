/**
 * The durable fan-out at scale: 100,000 email subscribers on a real PostgreSQL server, one `kinkyu start`
 * process (the real server, its fan-out and a pooled SMTP transport), and a local SMTP server in a child
 * process that counts messages and distinct Message-IDs. Measured from the staff POST of an incident update to
 * the last message received: messages/s, total time (goal < 3 min) and duplicates (must be 0). In the same run,
 * the same machine's raw nodemailer → SMTP rate with the same pool settings (no database), as the baseline.
 *
 *   npm run bench:fanout
 *   npm run bench:fanout -- --subscribers 100000 --connections 8 --concurrency 16 --raw 20000
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';
import { postgresAvailable, startPostgres } from '../test/support/postgres-server.ts';
import { kinkyuEnv, startKinkyuProcess } from '../test/support/server-process.ts';
import { freePort } from '../test/support/net.ts';
import { StaffClient } from '../test/support/app.ts';
import { openDb } from '../src/store/db.ts';
import { migrate } from '../src/store/migrate.ts';
import { numberArg } from './support/args.ts';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
const GOAL_S = 180;
const settings = {
  subscribers: numberArg('--subscribers', 100_000),
  connections: numberArg('--connections', 8),
  concurrency: numberArg('--concurrency', 16),
  raw: numberArg('--raw', 20_000),
};
const ADMIN = { email: 'bench-fanout@example.jp', password: 'bench fan out password 123' };

interface Counts {
  messages: number;
  distinct: number;
  duplicates: number;
  bytes: number;
  firstAt: number;
  lastAt: number;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

async function startCounter(): Promise<{ port: number; counts(reset?: boolean): Promise<Counts>; stop(): void }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'support', 'smtp-counter.ts')], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(proc);
  const lines = createInterface({ input: proc.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const { port } = JSON.parse(await next()) as { port: number };
  return {
    port,
    async counts(reset = false) {
      const reply = next();
      proc.stdin!.write(reset ? 'reset\n' : 'counts\n');
      return JSON.parse(await reply) as Counts;
    },
    stop() {
      proc.stdin!.end();
    },
  };
}

/** Raw nodemailer → SMTP: the same pool and concurrency, a message of the same shape, no database. */
async function rawRate(port: number, n: number): Promise<{ seconds: number; perSecond: number }> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, pool: true, maxConnections: settings.connections, ignoreTLS: true });
  const text = 'BTC/JPY の注文処理が遅れています。調査しています。\n'.repeat(6) + 'https://status.example.com/incidents/abcdefabcdef\n';
  const html = `<!doctype html><html><body><p>${text.replace(/\n/g, '<br>')}</p></body></html>`;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await transport.sendMail({
        from: 'デモ取引所 <status@example.com>', to: `raw-${i}@example.net`, subject: '【デモ取引所】BTC/JPY の注文遅延（調査中）',
        text, html, messageId: `<raw${i}.bench@example.com>`,
        headers: { 'List-Unsubscribe': `<https://status.example.com/subscriptions/raw${i}/unsubscribe/token>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      });
    }
  };
  await Promise.all(Array.from({ length: settings.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  transport.close();
  return { seconds, perSecond: n / seconds };
}

async function main(): Promise<void> {
  if (!postgresAvailable()) throw new Error('bench:fanout needs PostgreSQL (initdb/pg_ctl)');
  const pg = await startPostgres();
  const dataDir = mkdtempSync(join(tmpdir(), 'kinkyu-bench-fanout-'));
  const counter = await startCounter();
  let kinkyu: ChildProcess | null = null;
  try {
    console.log(`bench:fanout — ${settings.subscribers} subscribers, SMTP pool ${settings.connections} connections, ${settings.concurrency} in flight; ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    const raw = await rawRate(counter.port, settings.raw);
    const rawCounts = await counter.counts();
    await counter.counts(true);
    console.log(`raw nodemailer → SMTP: ${settings.raw} messages in ${raw.seconds.toFixed(1)} s = ${raw.perSecond.toFixed(0)} messages/s (received ${rawCounts.messages}, duplicates ${rawCounts.duplicates})`);

    const db = await openDb({ databaseUrl: pg.url });
    await migrate(db);
    const seedStart = performance.now();
    await db.query(
      `INSERT INTO subscribers (id, channel, target, target_key, lang, confirmed_at)
       SELECT 'b' || lpad(n::text, 11, '0'), 'email', 'bench-' || n || '@example.net', 'bench-' || n || '@example.net',
              CASE WHEN n % 4 = 0 THEN 'en' ELSE 'ja' END, now()
         FROM generate_series(1, $1::int) AS n`,
      [settings.subscribers],
    );
    await db.query('ANALYZE subscribers');
    console.log(`seeded ${settings.subscribers} confirmed email subscribers in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    kinkyu = await startKinkyuProcess(kinkyuEnv({
      port, dataDir, databaseUrl: pg.url, admin: ADMIN,
      extra: {
        SMTP_URL: `smtp://127.0.0.1:${counter.port}`,
        MAIL_FROM: 'status@example.com',
        FANOUT_EMAIL_CONNECTIONS: String(settings.connections),
        FANOUT_EMAIL_CONCURRENCY: String(settings.concurrency),
        FANOUT_EMAIL_PER_SECOND: '0',
      },
    }));
    children.add(kinkyu);
    const admin = await StaffClient.signIn(base, ADMIN.email, ADMIN.password);
    const started = Date.now();
    const res = await admin.postForm('/staff/incidents', {
      type: 'outage', severity: 'SEV1', status: 'investigating', nameJa: 'BTC/JPY の注文遅延', nameEn: 'BTC/JPY orders delayed',
      bodyJa: 'BTC/JPY の注文処理が遅れています。調査しています。', bodyEn: 'BTC/JPY orders are delayed. We are investigating.',
    });
    if (res.status !== 303) throw new Error(`posting the update failed: ${res.status} ${await res.text()}`);
    let counts = await counter.counts();
    let lastPrint = Date.now();
    while (counts.messages < settings.subscribers) {
      if (Date.now() - started > 15 * 60_000) throw new Error(`only ${counts.messages} messages after 15 minutes`);
      await new Promise((r) => setTimeout(r, 200));
      counts = await counter.counts();
      if (Date.now() - lastPrint > 10_000) {
        lastPrint = Date.now();
        console.log(`  ${counts.messages} received after ${((Date.now() - started) / 1000).toFixed(0)} s`);
      }
    }
    const totalS = (counts.lastAt - started) / 1000;
    const firstS = (counts.firstAt - started) / 1000;
    // A second copy, were one to come, would come now.
    await new Promise((r) => setTimeout(r, 3000));
    counts = await counter.counts();
    const [progress] = await db.query<{ sent: number; pending: number; failed: number }>(
      `SELECT count(*) FILTER (WHERE status = 'sent') AS sent, count(*) FILTER (WHERE status = 'pending') AS pending,
              count(*) FILTER (WHERE status = 'failed') AS failed FROM deliveries`,
    );
    await db.close();
    const rate = settings.subscribers / totalS;
    const result = {
      at: new Date().toISOString(),
      settings,
      cpus: cpus().length,
      loadavg: loadavg(),
      raw: { messages: settings.raw, seconds: raw.seconds, perSecond: raw.perSecond },
      fanout: {
        messages: counts.messages, distinctMessageIds: counts.distinct, duplicates: counts.duplicates,
        firstMessageAfterS: firstS, totalS, perSecond: rate, deliveries: progress,
      },
      ratio: rate / raw.perSecond,
      goalMet: totalS < GOAL_S && counts.duplicates === 0 && counts.distinct === settings.subscribers,
    };
    console.log(`fan-out: ${counts.messages} messages (${counts.distinct} distinct Message-IDs) in ${totalS.toFixed(1)} s from the POST (first after ${firstS.toFixed(2)} s)`);
    console.log(`         ${rate.toFixed(0)} messages/s; duplicates: ${counts.duplicates}; deliveries sent ${progress?.sent}, pending ${progress?.pending}, failed ${progress?.failed}`);
    console.log(`ratio fan-out / raw nodemailer: ${(result.ratio * 100).toFixed(0)} %`);
    console.log(`goal (< ${GOAL_S} s, 0 duplicates, every subscriber): ${result.goalMet ? 'met' : 'NOT met'}`);
    mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
    writeFileSync(join(BENCH_DIR, 'results', `fanout-${result.at.replace(/[:.]/g, '-')}.json`), JSON.stringify(result, null, 2));
    if (!result.goalMet) process.exitCode = 1;
  } finally {
    if (kinkyu && kinkyu.exitCode === null) {
      kinkyu.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 1000));
    }
    counter.stop();
    pg.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
