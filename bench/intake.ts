/**
 * The contact form under a surge of "is it down?" messages, on a real PostgreSQL server, measured against a
 * bare node:http server that stores the same ticket row with one raw INSERT, in the same run and under the
 * same conditions.
 *
 *   npm run bench:intake
 *   npm run bench:intake -- --duration 10 --warmup 2 --connections 50 --rounds 1 --pool 10
 *
 * kinkyu (bench/support/serve-intake-app.ts) and the baseline (bench/support/serve-intake-bare.ts) run in child
 * processes; autocannon runs here. See bench/README.md for how to read it.
 */
import autocannon from 'autocannon';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { postgresAvailable, startPostgres, type PostgresServer } from '../test/support/postgres-server.ts';
import { cpuProfileFlags, numberArg } from './support/args.ts';
import { runBench } from './support/run-bench.ts';
import { ensureBuilt } from './support/built.ts';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
const GOAL = 0.6;

// ---------------------------------------------------------------------------------------------- options


const settings = {
  connections: numberArg('--connections', 50),
  durationS: numberArg('--duration', 10),
  warmupS: numberArg('--warmup', 2),
  /** bare, kinkyu; repeated this many times (alternating) to see the noise. */
  rounds: numberArg('--rounds', 1),
  /** Connection pool size of both servers (DATABASE_POOL_SIZE; kinkyu's default is 10). */
  pool: numberArg('--pool', Number(process.env.DATABASE_POOL_SIZE ?? 10)),
};

/**
 * What a phone browser sends from the form: every field, the empty ones too. autocannon puts a fresh id in place
 * of `[<id>]` in every request, so each message and each address is a different user's (kinkyu limits
 * submissions per recipient address).
 */
const MESSAGE = '取引所が落ちていますか？サイトが開きません。アプリも真っ白です (問い合わせ [<id>])';
function formBody(side: 'app' | 'bare'): string {
  const form = new URLSearchParams({
    body: MESSAGE, email: `surge-${side}-[<id>]@bench.example.jp`, category: '', orderId: '', transactionId: '', asset: '', amount: '', lang: 'ja',
  });
  // autocannon replaces the literal placeholder; URLSearchParams would have encoded its brackets.
  return form.toString().replaceAll('%5B%3Cid%3E%5D', '[<id>]');
}
/** Which rows each side stored (LIKE patterns on the email). */
const EMAILS = { app: 'surge-app-%@bench.example.jp', bare: 'surge-bare-%@bench.example.jp' } as const;

// ---------------------------------------------------------------------------------------------- children

interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  ready: Record<string, unknown>;
}

const pending = new Set<ChildProcess>();
let pgServer: PostgresServer | null = null;
let tmp: string | null = null;

/** Starts `node --import tsx bench/support/SCRIPT ARGS` and waits for its {"event":"ready"} line. */
function startChild(name: string, script: string, args: string[], timeoutMs = 60_000): Promise<Child> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_POOL_SIZE: String(settings.pool) };
  delete env.SMTP_URL; // no mail is sent: confirmation emails stay queued in the outbox
  // --profile DIR: the kinkyu process (not the baseline) writes its CPU profile there.
  const profile = script === 'serve-intake-app.ts' ? cpuProfileFlags() : [];
  const proc = spawn(process.execPath, [...profile, '--import', 'tsx', join(BENCH_DIR, 'support', script), ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  pending.add(proc);
  proc.stdin!.on('error', () => undefined);
  let stderrTail = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-4000);
    for (const line of chunk.split('\n')) if (line.trim()) process.stderr.write(`[${name}] ${line}\n`);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: not ready within ${timeoutMs} ms\n${stderrTail}`)), timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready\n${stderrTail}`));
    });
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        process.stderr.write(`[${name}] ${line}\n`);
        return;
      }
      if (msg.event === 'ready') {
        clearTimeout(timer);
        resolve({ name, proc, pid: proc.pid!, ready: msg });
      }
    });
  });
}

async function stopChildren(): Promise<void> {
  const all = [...pending].filter((p) => p.exitCode === null && p.signalCode === null);
  await Promise.all(
    all.map(
      (p) =>
        new Promise<void>((resolve) => {
          const term = setTimeout(() => p.kill('SIGTERM'), 2000);
          const kill = setTimeout(() => p.kill('SIGKILL'), 5000);
          p.once('exit', () => {
            clearTimeout(term);
            clearTimeout(kill);
            resolve();
          });
          p.stdin?.end();
        }),
    ),
  );
}

process.on('exit', () => {
  for (const p of pending) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

// ---------------------------------------------------------------------------------------------- CPU

let CLK_TCK = 100;
try {
  CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
} catch {
  /* keep 100 */
}

function statOf(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** CPU seconds a process has used so far (Linux /proc), or null. */
function procCpuSeconds(pid: number): number | null {
  const s = statOf(pid);
  return s ? (Number(s[11]) + Number(s[12])) / CLK_TCK : null;
}

/**
 * CPU seconds of a PostgreSQL server: the postmaster, its live children (backends, WAL writer…) and the children
 * it has reaped already (cutime/cstime). Null where /proc is not readable.
 */
function postgresCpuSeconds(postmasterPid: number | null): number | null {
  if (postmasterPid === null) return null;
  const own = statOf(postmasterPid);
  if (!own) return null;
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = statOf(Number(entry));
    if (s && Number(s[1]) === postmasterPid) ticks += Number(s[11]) + Number(s[12]);
  }
  return ticks / CLK_TCK;
}

// ---------------------------------------------------------------------------------------------- runs

interface RunResult {
  target: 'bare' | 'kinkyu';
  round: number;
  /** Tickets stored per second, counted in the database (the figure that matters). */
  ticketsPerSec: number;
  ticketsStored: number;
  /** autocannon's mean requests per second (every answer, whatever its status). */
  reqPerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  requests: number;
  /** Answers other than 303 (the form's redirect to the ticket). */
  not303: number;
  errors: number;
  timeouts: number;
  serverCpuPct: number | null;
  postgresCpuPct: number | null;
  loadgenCpuPct: number;
  /** Server and database CPU per stored ticket, in microseconds. */
  serverUsPerTicket: number | null;
  postgresUsPerTicket: number | null;
  loadAvg1m: number;
  /** Every status code answered, with counts (autocannon's statusCodeStats). */
  statusCodes: Record<string, number>;
}

function cannon(url: string, body: string, durationS: number) {
  return autocannon({
    url: `${url}/contact`,
    method: 'POST',
    connections: settings.connections,
    pipelining: 1,
    duration: durationS,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'ja' },
    body,
    idReplacement: true,
  });
}

async function countTickets(db: pg.Pool, side: 'app' | 'bare'): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM tickets WHERE email LIKE $1', [EMAILS[side]]);
  return Number(rows[0]!.n);
}

async function run(target: RunResult['target'], round: number, child: Child, db: pg.Pool, postmasterPid: number | null, warmupS: number): Promise<RunResult> {
  const baseUrl = String(child.ready.baseUrl);
  const side = target === 'bare' ? 'bare' : 'app';
  const body = formBody(side);
  if (warmupS > 0) await cannon(baseUrl, body, warmupS);
  process.stdout.write(`  round ${round} ${target.padEnd(7)} … `);
  const before = await countTickets(db, side);
  const cpu0 = procCpuSeconds(child.pid);
  const pg0 = postgresCpuSeconds(postmasterPid);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await cannon(baseUrl, body, settings.durationS);
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = procCpuSeconds(child.pid);
  const pg1 = postgresCpuSeconds(postmasterPid);
  const own = process.cpuUsage(own0);
  const stored = (await countTickets(db, side)) - before;
  const statusCodes = Object.fromEntries(
    Object.entries((r.statusCodeStats ?? {}) as Record<string, { count: number }>).map(([code, s]) => [code, s.count]),
  );
  const redirects = statusCodes['303'] ?? 0;
  const result: RunResult = {
    target,
    round,
    ticketsPerSec: Math.round(stored / wall),
    ticketsStored: stored,
    reqPerSec: Math.round(r.requests.average),
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    latencyMaxMs: r.latency.max,
    requests: r.requests.total,
    not303: r.requests.total - redirects,
    errors: r.errors,
    timeouts: r.timeouts,
    serverCpuPct: cpu0 !== null && cpu1 !== null ? Math.round(((cpu1 - cpu0) / wall) * 100) : null,
    postgresCpuPct: pg0 !== null && pg1 !== null ? Math.round(((pg1 - pg0) / wall) * 100) : null,
    loadgenCpuPct: Math.round(((own.user + own.system) / 1e6 / wall) * 100),
    serverUsPerTicket: cpu0 !== null && cpu1 !== null && stored > 0 ? Math.round(((cpu1 - cpu0) * 1e6) / stored) : null,
    postgresUsPerTicket: pg0 !== null && pg1 !== null && stored > 0 ? Math.round(((pg1 - pg0) * 1e6) / stored) : null,
    loadAvg1m: Number(loadavg()[0]!.toFixed(2)),
    statusCodes,
  };
  const odd = Object.entries(statusCodes).filter(([code]) => code !== '303');
  process.stdout.write(
    `${result.ticketsPerSec} tickets/s, p99 ${result.latencyP99Ms} ms${odd.length ? ` — NOT 303: ${odd.map(([c, n]) => `${n}× ${c}`).join(', ')}` : ''}\n`,
  );
  if (odd.length) {
    // Show what such an answer says: a refusal page or error body explains more than a status code.
    const probe = body.replaceAll('[<id>]', `probe${Date.now()}`);
    const res = await fetch(`${baseUrl}/contact`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: probe });
    const text = (await res.text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
    process.stdout.write(`    one more submission now answers ${res.status}: ${text.slice(0, 300)}\n`);
  }
  return result;
}

/** What kinkyu stored for the form: linked to the incident, answered, confirmation queued. Checked, not assumed. */
async function verifyKinkyu(db: pg.Pool, incidentId: string) {
  const { rows } = await db.query<{ tickets: string; linked: string; open: string; auto_answered: string; mails: string }>(
    `SELECT count(*) AS tickets,
            count(*) FILTER (WHERE t.incident_id = $2 AND t.incident_link = 'auto') AS linked,
            count(*) FILTER (WHERE t.status = 'open') AS open,
            count(*) FILTER (WHERE EXISTS (SELECT 1 FROM ticket_messages m WHERE m.ticket_id = t.id AND m.kind = 'auto')) AS auto_answered,
            (SELECT count(*) FROM mail_outbox o JOIN tickets u ON u.id = o.ticket_id WHERE u.email LIKE $1 AND o.sent_at IS NULL) AS mails
       FROM tickets t WHERE t.email LIKE $1`,
    [EMAILS.app, incidentId],
  );
  const r = rows[0]!;
  return { tickets: Number(r.tickets), linked: Number(r.linked), open: Number(r.open), autoAnswered: Number(r.auto_answered), mailsQueued: Number(r.mails) };
}

// ---------------------------------------------------------------------------------------------- main

async function main(): Promise<number> {
  ensureBuilt();
  const startedAt = new Date();
  const cpuModel = cpus()[0]?.model ?? 'unknown';
  console.log(`kinkyu contact intake benchmark — ${startedAt.toISOString()}`);
  console.log(
    `${cpus().length} CPU(s) (${cpuModel}), Node ${process.version}, PostgreSQL (throwaway server, fsync=off). ` +
      `autocannon: ${settings.connections} connections, ${settings.durationS} s per run after ${settings.warmupS} s warm-up; ` +
      `pool ${settings.pool} connections in each server.`,
  );
  const load0 = loadavg()[0]!;
  if (load0 > 0.7) {
    console.log(`WARNING: the 1-minute load average is ${load0.toFixed(2)} before starting: with other work running the figures are noisy.\n`);
  }
  if (!postgresAvailable()) throw new Error('this benchmark needs initdb/pg_ctl (PostgreSQL server binaries)');
  const dir = mkdtempSync(join(tmpdir(), 'kinkyu-bench-intake-'));
  tmp = dir;
  let db: pg.Pool | null = null;
  try {
    pgServer = await startPostgres();
    db = new pg.Pool({ connectionString: pgServer.url, max: 2 });
    const app = await startChild('app', 'serve-intake-app.ts', ['--postgres', pgServer.url]);
    const incidentId = String(app.ready.incidentId);
    const { rows: dd } = await db.query<{ setting: string }>(`SELECT setting FROM pg_settings WHERE name = 'data_directory'`);
    let postmasterPid: number | null = null;
    try {
      postmasterPid = Number(readFileSync(join(dd[0]!.setting, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      console.log('(the PostgreSQL server\'s CPU cannot be measured here: postmaster.pid is not readable)');
    }
    console.log(`kinkyu app (pid ${app.pid}) at ${String(app.ready.baseUrl)}, open outage incident ${incidentId}; PostgreSQL postmaster pid ${postmasterPid ?? '?'}`);

    // kinkyu's warm-up comes first: it also gives the row the baseline copies.
    await cannon(String(app.ready.baseUrl), formBody('app'), settings.warmupS);
    const warm = await verifyKinkyu(db, incidentId);
    if (warm.tickets === 0) throw new Error('the warm-up stored no ticket');
    const { rows: samples } = await db.query(
      `SELECT type, priority, triage_reasons, status, incident_id, incident_link, created_at, first_response_due_at, resolution_due_at, first_responded_at
         FROM tickets WHERE email LIKE $1 ORDER BY number DESC LIMIT 1`,
      [EMAILS.app],
    );
    const sample = samples[0]!;
    console.log(
      `kinkyu's ticket for the form: type ${sample.type}, priority ${sample.priority}, status ${sample.status}, ` +
        `incident ${sample.incident_id ?? '(none)'} (${sample.incident_link ?? '-'}), ${(sample.triage_reasons as unknown[]).length} triage reasons`,
    );
    const sampleFile = join(dir, 'sample.json');
    writeFileSync(sampleFile, JSON.stringify(sample));
    const bare = await startChild('bare', 'serve-intake-bare.ts', ['--postgres', pgServer.url, '--sample', sampleFile]);
    console.log(`bare baseline (pid ${bare.pid}) at ${String(bare.ready.baseUrl)}\n`);

    const results: RunResult[] = [];
    for (let round = 1; round <= settings.rounds; round++) {
      results.push(await run('bare', round, bare, db, postmasterPid, settings.warmupS));
      // kinkyu was warmed up before the first round; later rounds get a short one like the baseline.
      results.push(await run('kinkyu', round, app, db, postmasterPid, round === 1 ? 1 : settings.warmupS));
    }
    const check = await verifyKinkyu(db, incidentId);
    const answered = results.every((r) => r.not303 === 0 && r.errors === 0 && r.timeouts === 0);
    const verified =
      answered && check.tickets > 0 && check.linked === check.tickets && check.autoAnswered === check.tickets && check.mailsQueued === check.tickets;

    // -------------------------------------------------------------------------------------- report
    const sum = (target: RunResult['target']) => results.filter((r) => r.target === target).reduce((a, r) => a + r.ticketsPerSec, 0);
    const ratio = sum('bare') > 0 ? sum('kinkyu') / sum('bare') : 0;
    const head = ['round', 'server', 'tickets/s', 'req/s', 'p50 ms', 'p99 ms', 'not 303', 'errors', 'srv CPU', 'pg CPU', 'gen CPU', 'srv µs/ticket', 'pg µs/ticket'];
    const table = results.map((r) => [
      String(r.round), r.target, String(r.ticketsPerSec), String(r.reqPerSec), String(r.latencyP50Ms), String(r.latencyP99Ms), String(r.not303),
      String(r.errors + r.timeouts), r.serverCpuPct === null ? '-' : `${r.serverCpuPct}%`, r.postgresCpuPct === null ? '-' : `${r.postgresCpuPct}%`,
      `${r.loadgenCpuPct}%`, r.serverUsPerTicket === null ? '-' : String(r.serverUsPerTicket), r.postgresUsPerTicket === null ? '-' : String(r.postgresUsPerTicket),
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    console.log('\n' + line(head));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const row of table) console.log(line(row));
    console.log(
      `\nkinkyu/bare tickets per second: ${ratio.toFixed(2)} (goal ≥ ${GOAL}: ${ratio >= GOAL ? 'ok' : 'BELOW'})` +
        `\nkinkyu stored ${check.tickets} tickets in all: ${check.linked} linked to the incident, ${check.autoAnswered} answered with its latest update, ` +
        `${check.mailsQueued} confirmation emails queued${verified ? ' — verified' : ''}.` +
        (answered ? '' : '\nINVALID: some submissions were not answered with the 303 to their ticket (see "not 303" and "errors").') +
        (check.linked === check.tickets && check.autoAnswered === check.tickets && check.mailsQueued === check.tickets
          ? ''
          : '\nINVALID: not every kinkyu ticket went through the full intake (linking, automatic answer, queued email).'),
    );
    console.log(
      '\ntickets/s = rows stored in `tickets` during the run ÷ its wall time (counted in the database); req/s = autocannon\'s mean.\n' +
        'srv/pg/gen CPU = CPU time of the server process / of the PostgreSQL server (postmaster and backends) / of autocannon\n' +
        'here, ÷ wall time (100% = one core). µs/ticket = that CPU time per stored ticket.',
    );

    const out = join(BENCH_DIR, 'results');
    mkdirSync(out, { recursive: true });
    const file = join(out, `intake-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(
      file,
      JSON.stringify(
        {
          startedAt: startedAt.toISOString(),
          finishedAt: new Date().toISOString(),
          machine: { cpus: cpus().length, cpuModel, node: process.version, platform: process.platform, loadAvg1mAtStart: load0 },
          settings: { ...settings, goal: GOAL, message: MESSAGE },
          incidentId,
          sample,
          runs: results,
          ratio: Number(ratio.toFixed(3)),
          kinkyuStored: { ...check, verified },
        },
        null,
        2,
      ) + '\n',
    );
    console.log(`\nResults written to ${file}`);
    return verified ? 0 : 1;
  } finally {
    await db?.end().catch(() => undefined);
    await stopChildren();
    pgServer?.destroy();
    pgServer = null;
    rmSync(dir, { recursive: true, force: true });
    tmp = null;
  }
}

runBench(main, async () => {
  await stopChildren().catch(() => undefined);
  pgServer?.destroy();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});
