/**
 * The emergency lock under load, on a real PostgreSQL server: p50/p99 latency of the lock itself
 * (`POST /lock/<token>`, every request a different account's one-time link) and of a check that needs the
 * database on every request, under 200 concurrent clients; measured against a bare node:http server doing one
 * indexed SELECT per request, in the same run.
 *
 *   npm run bench:lock
 *   npm run bench:lock -- --connections 200 --locks 4000 --duration 10 --warmup 2 --pool 10
 *
 * The session check is `GET /account/session` with a signed-in user's cookie (is the session still good, is the
 * account locked?), against a bare node:http server doing one indexed SELECT.
 */
import autocannon from 'autocannon';
import { openLoop, type LoadFigures } from './support/open-loop.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { postgresAvailable, startPostgres, type PostgresServer } from '../test/support/postgres-server.ts';
import { numberArg } from './support/args.ts';
import { ensureBuilt } from './support/built.ts';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
const GOAL_P99_MS = 10;


const settings = {
  connections: numberArg('--connections', 200),
  /** Locks measured (each a distinct account); as many again (at most 1000) lock during the warm-up, and 200 one at a time. */
  locks: numberArg('--locks', 4000),
  durationS: numberArg('--duration', 10),
  warmupS: numberArg('--warmup', 2),
  pool: numberArg('--pool', Number(process.env.DATABASE_POOL_SIZE ?? 10)),
};
const warmLocks = Math.min(settings.locks, 1000) + 200;
/** The paced runs: each of the clients locks every 2 s (100 locks/s with 200 clients) and checks 5 times a second. */
const PACED_RATE = 0.5;
const PACED_LOCKS = 1000;
/** And a heavier one: every client locks once a second (200 locks/s, about half of what the closed loop reaches). */
const HEAVY_RATE = 1;
const CHECK_RATE = 5;
/** Warm-up locks done one at a time, for the unloaded figures. */
const UNLOADED = 200;

interface Child {
  proc: ChildProcess;
  ready: Record<string, unknown>;
}
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

function startChild(name: string, args: string[], timeoutMs = 180_000): Promise<Child> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_POOL_SIZE: String(settings.pool) };
  delete env.SMTP_URL; // lock emails stay queued in the outbox
  const proc = spawn(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'support', 'serve-lock-app.ts'), ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(proc);
  proc.stdin!.on('error', () => undefined);
  let tail = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-4000);
    for (const line of chunk.split('\n')) if (line.trim()) process.stderr.write(`[${name}] ${line}\n`);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: not ready within ${timeoutMs} ms\n${tail}`)), timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready\n${tail}`));
    });
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (msg.event === 'ready') {
          clearTimeout(timer);
          resolve({ proc, ready: msg });
        }
      } catch {
        process.stderr.write(`[${name}] ${line}\n`);
      }
    });
  });
}

async function stopChildren(): Promise<void> {
  await Promise.all(
    [...children].filter((p) => p.exitCode === null && p.signalCode === null).map(
      (p) =>
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => p.kill('SIGKILL'), 5000);
          p.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          p.stdin?.end();
        }),
    ),
  );
}

interface Figures extends LoadFigures {
  what: string;
}

function figures(what: string, r: autocannon.Result): Figures {
  return {
    what,
    requests: r.requests.total,
    perSec: Math.round(r.requests.average),
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    max: r.latency.max,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

/** Session checks for `durationS`: GET /account/session with the next session's cookie (round robin). */
function sessionLoop(baseUrl: string, sessions: string[], durationS: number, connections = settings.connections): Promise<autocannon.Result> {
  let i = 0;
  return autocannon({
    url: baseUrl,
    connections,
    pipelining: 1,
    duration: durationS,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: '/account/session', headers: { ...req.headers, cookie: `kinkyu_user=${sessions[i++ % sessions.length]}` } }) }],
  });
}

/** GETs for `durationS`, each request the next token of `tokens` (round robin). */
function getLoop(baseUrl: string, prefix: string, tokens: string[], durationS: number, connections = settings.connections): Promise<autocannon.Result> {
  let i = 0;
  return autocannon({
    url: baseUrl,
    connections,
    pipelining: 1,
    duration: durationS,
    headers: { 'accept-language': 'ja' },
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `${prefix}${tokens[i++ % tokens.length]}` }) }],
  });
}

/**
 * One POST per token, each token once, closed loop: each client sends again the moment it is answered (latency
 * then measures the queue).
 */
function lockAll(baseUrl: string, tokens: string[], connections = settings.connections): Promise<autocannon.Result> {
  let i = 0;
  return autocannon({
    url: baseUrl,
    connections,
    pipelining: 1,
    amount: tokens.length,
    timeout: 30,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'ja' },
    requests: [{ method: 'POST', body: 'lang=ja', setupRequest: (req) => ({ ...req, path: `/lock/${tokens[i++]}` }) }],
  });
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

async function main(): Promise<void> {
  ensureBuilt();
  if (!postgresAvailable()) throw new Error('bench:lock needs PostgreSQL binaries (initdb/pg_ctl)');
  let server: PostgresServer | null = null;
  let db: pg.Pool | null = null;
  try {
    console.log(`bench:lock — ${settings.connections} concurrent clients, ${settings.locks} locks measured (+${warmLocks} warm-up), pool ${settings.pool}, ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}`);
    server = await startPostgres();
    const app = await startChild('kinkyu', ['app', '--postgres', server.url, '--locks', String(settings.locks + warmLocks), '--checks', String(settings.connections)]);
    const bare = await startChild('bare', ['bare', '--postgres', server.url]);
    const appUrl = String(app.ready.baseUrl);
    const bareUrl = String(bare.ready.baseUrl);
    const lockTokens = app.ready.lockTokens as string[];
    const checkTokens = app.ready.checkTokens as string[];
    const sessionTokens = app.ready.sessionTokens as string[];
    db = new pg.Pool({ connectionString: server.url, max: 2 });

    // Warm-up: both servers' pools, JIT and caches; a batch of locks on accounts not measured.
    await getLoop(bareUrl, '/check/', checkTokens, settings.warmupS);
    await sessionLoop(appUrl, sessionTokens, settings.warmupS);
    await lockAll(appUrl, lockTokens.slice(0, warmLocks - UNLOADED));

    // For reading the loaded figures: the same operations one at a time (no queueing).
    process.stdout.write('  unloaded (1 client) … ');
    const unloaded = {
      baseline: figures('baseline, 1 client', await getLoop(bareUrl, '/check/', checkTokens, 2, 1)),
      check: figures('session check, 1 client', await sessionLoop(appUrl, sessionTokens, 2, 1)),
      lock: figures(`lock, 1 client (${UNLOADED} locks)`, await lockAll(appUrl, lockTokens.slice(warmLocks - UNLOADED, warmLocks), 1)),
    };
    console.log(`baseline p50 ${fmt(unloaded.baseline.p50)} / p99 ${fmt(unloaded.baseline.p99)} ms, check p50 ${fmt(unloaded.check.p50)} / p99 ${fmt(unloaded.check.p99)} ms, lock p50 ${fmt(unloaded.lock.p50)} / p99 ${fmt(unloaded.lock.p99)} ms`);

    process.stdout.write('  baseline (bare node:http, one indexed SELECT) … ');
    const baseline = figures('baseline: bare node:http, one indexed SELECT', await getLoop(bareUrl, '/check/', checkTokens, settings.durationS));
    console.log(`p50 ${fmt(baseline.p50)} ms, p99 ${fmt(baseline.p99)} ms`);
    process.stdout.write('  session check (kinkyu GET /account/session) … ');
    const check = figures('session check: kinkyu GET /account/session', await sessionLoop(appUrl, sessionTokens, settings.durationS));
    console.log(`p50 ${fmt(check.p50)} ms, p99 ${fmt(check.p99)} ms`);
    process.stdout.write(`  lock (kinkyu POST /lock/<token>, ${settings.locks} distinct accounts) … `);
    const started = Date.now();
    const paced = lockTokens.slice(warmLocks, warmLocks + PACED_LOCKS);
    const heavy = lockTokens.slice(warmLocks + PACED_LOCKS, warmLocks + 2 * PACED_LOCKS);
    const lock = figures('lock: kinkyu POST /lock/<token>, distinct accounts', await lockAll(appUrl, lockTokens.slice(warmLocks + 2 * PACED_LOCKS)));
    const lockSeconds = (Date.now() - started) / 1000;
    lock.perSec = Math.round(lock.requests / lockSeconds);
    console.log(`p50 ${fmt(lock.p50)} ms, p99 ${fmt(lock.p99)} ms`);
    // What 200 people locking their accounts in the same minutes look like: each client locks every 1/`perClient` s
    // (open loop, evenly spread, each lock a different account) instead of hammering as fast as answers come back.
    const pacedLocks = async (tokens: string[], perClient: number) => {
      process.stdout.write(`  lock, ${settings.connections} clients each locking every ${1 / perClient} s (${tokens.length} accounts) … `);
      const r = await openLoop(appUrl, {
        clients: settings.connections,
        ratePerSec: perClient * settings.connections,
        count: tokens.length,
        next: (i) => ({ method: 'POST', path: `/lock/${tokens[i]}`, body: 'lang=ja', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'ja' } }),
      });
      console.log(`p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms`);
      return { what: `lock: ${settings.connections} clients, one lock each every ${1 / perClient} s (open loop, evenly spread)`, ...r };
    };
    const lockPaced = await pacedLocks(paced, PACED_RATE);
    const lockHeavy = await pacedLocks(heavy, HEAVY_RATE);
    process.stdout.write(`  check, ${settings.connections} clients each checking every ${1 / CHECK_RATE} s … `);
    const checkPaced = await openLoop(appUrl, {
      clients: settings.connections,
      ratePerSec: CHECK_RATE * settings.connections,
      count: Math.round(CHECK_RATE * settings.connections * settings.durationS),
      next: (i) => ({ method: 'GET', path: '/account/session', headers: { cookie: `kinkyu_user=${sessionTokens[i % sessionTokens.length]}` } }),
    }).then((r) => ({ what: `session check: ${settings.connections} clients, one each every ${1 / CHECK_RATE} s (open loop, evenly spread)`, ...r }));
    console.log(`p50 ${fmt(checkPaced.p50)} ms, p99 ${fmt(checkPaced.p99)} ms`);

    // Every measured lock took effect: the account is locked and its record, audit entry and ticket exist. The
    // record follows the answer (the lock journal): wait for the journal to drain, and say how long that took.
    const drainFrom = Date.now();
    for (;;) {
      const open = await db.query<{ n: string }>(`SELECT count(*) AS n FROM lock_intents WHERE recorded_at IS NULL`);
      if (Number(open.rows[0]!.n) === 0 || Date.now() - drainFrom > 120_000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`  records drained ${((Date.now() - drainFrom) / 1000).toFixed(1)} s after the last measured request`);
    const { rows } = await db.query<{ accounts: string; records: string; tickets: string }>(
      `SELECT (SELECT count(*) FROM xch_accounts WHERE locked_at IS NOT NULL) AS accounts,
              (SELECT count(*) FROM account_locks) AS records,
              (SELECT count(*) FROM tickets WHERE type = 'security' AND priority = 'urgent') AS tickets`,
    );
    const done = rows[0]!;
    const expected = settings.locks + warmLocks;
    const allLocked = Number(done.accounts) === expected && Number(done.records) === expected;

    console.log('');
    console.log('| measured | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | errors | p99 < 10 ms | p99 vs baseline |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|:--:|---:|');
    for (const f of [baseline, check, lock, lockPaced, lockHeavy, checkPaced, unloaded.baseline, unloaded.check, unloaded.lock]) {
      console.log(`| ${f.what} | ${f.requests} | ${f.perSec} | ${fmt(f.p50)} | ${fmt(f.p90)} | ${fmt(f.p99)} | ${fmt(f.max)} | ${f.non2xx} | ${f.errors} | ${f.p99 < GOAL_P99_MS ? 'yes' : 'no'} | ${(f.p99 / Math.max(baseline.p99, 0.01)).toFixed(1)}× |`);
    }
    console.log('');
    console.log(`locks that took effect: ${done.accounts} accounts locked, ${done.records} lock records, ${done.tickets} urgent security tickets (expected ${expected}) — ${allLocked ? 'all' : 'NOT ALL'}`);
    console.log(`goal p99 < ${GOAL_P99_MS} ms with ${settings.connections} clients: paced lock (100/s) ${lockPaced.p99 < GOAL_P99_MS ? 'met' : 'NOT met'} (${fmt(lockPaced.p99)} ms), 200/s ${lockHeavy.p99 < GOAL_P99_MS ? 'met' : 'NOT met'} (${fmt(lockHeavy.p99)} ms), paced check ${checkPaced.p99 < GOAL_P99_MS ? 'met' : 'NOT met'} (${fmt(checkPaced.p99)} ms); closed loop: lock ${fmt(lock.p99)} ms, check ${fmt(check.p99)} ms, bare baseline ${fmt(baseline.p99)} ms (a closed loop of ${settings.connections} clients measures the queue: p99 < 10 ms would need > ${settings.connections * 100} answers/s)`);

    const out = join(BENCH_DIR, 'results');
    mkdirSync(out, { recursive: true });
    const file = join(out, `lock-${new Date().toISOString().replaceAll(':', '-').replace('.', '-')}.json`);
    writeFileSync(
      file,
      JSON.stringify({ at: new Date().toISOString(), settings, cpus: cpus().length, loadavg: loadavg(), goalP99Ms: GOAL_P99_MS, baseline, check, lock, lockPaced, lockHeavy, checkPaced, unloaded, lockSeconds, tookEffect: done, allLocked, note: 'check = GET /account/session (a user session check)' }, null, 2),
    );
    console.log(`results: ${file}`);
    if (!allLocked || lock.non2xx || lock.errors) process.exitCode = 1;
  } finally {
    await db?.end();
    await stopChildren();
    server?.destroy();
  }
}

await main();
