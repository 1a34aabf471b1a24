/**
 * The staff queue page with 10,000 open tickets, against the same page with 100, in the same run.
 *
 *   npm run bench:queue                      # a throwaway PostgreSQL server (needs initdb/pg_ctl), about a minute
 *   npm run bench:queue -- --pglite          # the embedded database instead
 *   options: --tickets 10000 --baseline 100 --closed 20000 --requests 200 --warmup 20
 *
 * The real application (test/support/app.ts) runs in this process; pages are asked for with Fastify's inject, so
 * the time measured is the server's own (routing, the staff hook, the queries, rendering), without a network.
 * The data: --closed solved tickets (history the queue must skip), then --baseline open tickets, measured; then
 * open tickets added up to --tickets, measured again. Open tickets are a surge: 70 % linked to one incident, the
 * rest spread over types and priorities, 1 % urgent security reports, 1 % needing a human, a fifth assigned.
 * Everything is inserted with INSERT … SELECT (the intake has its own benchmark) and the table vacuumed and
 * analysed, as autovacuum would after that many inserts. Each page is asked for --warmup times, then --requests
 * times, one at a time; p50/p95/p99 of those are printed, with the ratio large/baseline. The plans of the queue's
 * queries in the large run are printed (which index each uses). Results also go to
 * bench/results/queue-<time>.json (gitignored).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.ts';
import type { Priority, TicketType } from '../src/domain/ticket.ts';
import { triageCombined } from '../src/desk/triage/combined.ts';
import { committedModel } from '../src/desk/triage/model-file.ts';
import { listQueue, parseQueueFilter, queueCounts } from '../src/desk/queue.ts';
import type { Queryable } from '../src/store/db.ts';
import { PASSWORD, makeStaff, startApp, type RunningApp } from '../test/support/app.ts';
import { insertTickets } from '../test/support/bulk-tickets.ts';
import { postgresAvailable, startPostgres, type PostgresServer } from '../test/support/postgres-server.ts';
import { numberArg } from './support/args.ts';
import { runBench } from './support/run-bench.ts';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const settings = {
  tickets: Math.floor(numberArg('--tickets', 10_000)),
  baseline: Math.floor(numberArg('--baseline', 100)),
  closed: Math.floor(numberArg('--closed', 20_000)),
  requests: Math.floor(numberArg('--requests', 200)),
  warmup: Math.floor(numberArg('--warmup', 20)),
  pglite: process.argv.includes('--pglite'),
};
const NOW = new Date('2026-12-07T01:00:00Z');

/** The pages an agent opens; `{me}` is the agent's id, `{last}` the last page's offset of the ungrouped list. */
const PAGES: [string, string][] = [
  ['queue (grouped by incident)', '/staff/tickets'],
  ['every ticket its own row', '/staff/tickets?group=none'],
  ['unassigned', '/staff/tickets?view=unassigned'],
  ['mine', '/staff/tickets?view=mine'],
  ['urgent security', '/staff/tickets?view=security'],
  ['SLA breached', '/staff/tickets?sla=breached&group=none'],
  ['last page, ungrouped', '/staff/tickets?group=none&offset={last}'],
  ['JSON, first 100', '/staff/tickets#json'],
];

interface Mix {
  body: string;
  type: TicketType;
  priority: Priority;
  share: number;
  linked?: boolean;
  needsHuman?: boolean;
}

const MIX: Mix[] = [
  { body: 'サイトが開けません。取引所が落ちていますか？', type: 'outage', priority: 'normal', share: 0.7, linked: true },
  { body: '日本円の入金が反映されていません。振込から3時間経っています。', type: 'trading', priority: 'normal', share: 0.12 },
  { body: 'BTCの出金が2日たっても届きません。', type: 'trading', priority: 'high', share: 0.08 },
  { body: '利用規約の変更について教えてください。', type: 'regulatory', priority: 'low', share: 0.04 },
  { body: '二段階認証の設定方法を教えてください。', type: 'other', priority: 'low', share: 0.04 },
  { body: '身に覚えのない出金があります。アカウントが乗っ取られたかもしれません', type: 'security', priority: 'urgent', share: 0.01 },
  { body: '例の件', type: 'other', priority: 'normal', share: 0.01, needsHuman: true },
];

let pgServer: PostgresServer | null = null;
let app: RunningApp | null = null;

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function addOpen(a: RunningApp, count: number, incidentId: string, batch: string, agentId: string): Promise<void> {
  const model = committedModel();
  let made = 0;
  for (const [i, m] of MIX.entries()) {
    const n = i === MIX.length - 1 ? count - made : Math.round(count * m.share);
    if (n <= 0) continue;
    made += n;
    const reasons = triageCombined({ text: m.body }, model).reasons;
    const ids = await insertTickets(a.db, {
      count: n, prefix: `${batch}m${i}x`, body: m.body, type: m.type, priority: m.priority, reasons,
      createdAt: new Date(NOW.getTime() - 6 * 3_600_000), spacingS: 2, incidentId: m.linked ? incidentId : null, needsHuman: m.needsHuman === true,
      firstResponseDueAt: new Date(NOW.getTime() - 3_600_000), resolutionDueAt: new Date(NOW.getTime() + 86_400_000),
    });
    // A fifth of them are someone's.
    await a.db.query(`UPDATE tickets SET assignee_id = $1, status = 'open' WHERE id = ANY($2::text[])`, [agentId, ids.filter((_, k) => k % 5 === 0)]);
  }
}

async function signIn(a: RunningApp, email: string): Promise<string> {
  const res = await a.app.inject({ method: 'POST', url: '/staff/login', headers: { 'content-type': 'application/json', accept: 'application/json' }, payload: { email, password: PASSWORD } });
  if (res.statusCode !== 200) throw new Error(`sign-in: ${res.statusCode} ${res.body}`);
  return String(res.headers['set-cookie']).split(';')[0]!;
}

interface PageFigures {
  page: string;
  url: string;
  /** Rows on the page (tickets and incident rows; tickets for JSON). */
  rows: number;
  p50: number;
  p95: number;
  p99: number;
  /** The database part alone: listQueue and the tabs' counts, called directly. */
  dbP50: number;
  dbP95: number;
}

const percentiles = (times: number[]) => {
  times.sort((x, y) => x - y);
  return { p50: quantile(times, 0.5), p95: quantile(times, 0.95), p99: quantile(times, 0.99) };
};

async function measure(a: RunningApp, cookie: string, agentId: string, lastOffset: number): Promise<PageFigures[]> {
  const out: PageFigures[] = [];
  for (const [name, template] of PAGES) {
    const json = template.endsWith('#json');
    const url = template.replace('#json', '').replace('{last}', String(lastOffset));
    const ask = async () => {
      const t0 = performance.now();
      const res = await a.app.inject({ method: 'GET', url, headers: { cookie, 'accept-language': 'ja', ...(json ? { accept: 'application/json' } : {}) } });
      const ms = performance.now() - t0;
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      return { ms, rows: json ? (JSON.parse(res.body) as { tickets: unknown[] }).tickets.length : (res.body.split('<tbody>')[1]?.match(/<tr/g) ?? []).length };
    };
    const filter = { ...(json ? {} : { group: 'incident' as const }), ...parseQueueFilter(Object.fromEntries(new URL(url, 'http://x').searchParams), agentId) };
    const db = async () => {
      const t0 = performance.now();
      await listQueue(a.db, filter, NOW);
      if (!json) await queueCounts(a.db, agentId);
      return performance.now() - t0;
    };
    for (let i = 0; i < settings.warmup; i++) {
      await ask();
      await db();
    }
    const times: number[] = [];
    const dbTimes: number[] = [];
    let rows = 0;
    for (let i = 0; i < settings.requests; i++) {
      const r = await ask();
      times.push(r.ms);
      rows = r.rows;
      dbTimes.push(await db());
    }
    const dbp = percentiles(dbTimes);
    out.push({ page: name, url, rows, ...percentiles(times), dbP50: dbp.p50, dbP95: dbp.p95 });
  }
  return out;
}

/** The statement with its parameters written in as literals (EXPLAIN takes no bound parameters). */
function inline(sql: string, params: unknown[]): string {
  const literal = (v: unknown): string => {
    if (v === null || v === undefined) return 'NULL';
    if (typeof v === 'number') return String(v);
    if (v instanceof Date) return `'${v.toISOString()}'`;
    if (Array.isArray(v)) return `'{${v.map((x) => `"${String(x).replace(/["\\]/g, '')}"`).join(',')}}'`;
    return `'${String(v).replace(/'/g, "''")}'`;
  };
  return sql.replace(/\$(\d+)/g, (_, n: string) => literal(params[Number(n) - 1]));
}

/** Which scans the queue's own statements use on PostgreSQL, per view (EXPLAIN of what listQueue sends). */
async function plans(a: RunningApp, agentId: string): Promise<Record<string, string[]>> {
  if (settings.pglite) return {};
  const out: Record<string, string[]> = {};
  const views: [string, Record<string, string>][] = [
    ['queue (grouped by incident)', {}],
    ['every ticket its own row', { group: 'none' }],
    ['mine', { view: 'mine' }],
    ['urgent security', { view: 'security' }],
  ];
  for (const [name, query] of views) {
    const statements: [string, unknown[]][] = [];
    const recorder: Queryable = {
      query: async <T,>(sql: string, params: unknown[] = []) => {
        statements.push([sql, params]);
        return a.db.query<T & Record<string, unknown>>(sql, params);
      },
    };
    await listQueue(recorder, { group: 'incident', ...parseQueueFilter(query, agentId) }, NOW);
    const scans: string[] = [];
    for (const [sql, params] of statements) {
      const rows = await a.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${inline(sql, params)}`);
      const found = rows.map((r) => /(Seq Scan on \w+|Index Only Scan using \w+|Index Scan using \w+|Bitmap Index Scan on \w+)/.exec(r['QUERY PLAN'])?.[1]).filter((x): x is string => !!x && !/_pkey/.test(x));
      scans.push([...new Set(found)].join(' + '));
    }
    out[name] = scans;
  }
  return out;
}

const fmt = (x: number) => x.toFixed(2).padStart(7);

async function main(): Promise<number> {
  const startedAt = new Date();
  console.log(`kinkyu staff queue benchmark — ${startedAt.toISOString()}`);
  console.log(
    `${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${settings.pglite ? 'PGlite (embedded)' : 'PostgreSQL (throwaway server, fsync=off)'}; ` +
      `${settings.closed} solved tickets, ${settings.baseline} then ${settings.tickets} open; ${settings.requests} requests per page after ${settings.warmup} warm-up.`,
  );
  if (loadavg()[0]! > 0.7) console.log(`WARNING: the 1-minute load average is ${loadavg()[0]!.toFixed(2)}: with other work running the figures are noisy.`);
  if (!settings.pglite) {
    if (!postgresAvailable()) throw new Error('this benchmark needs initdb/pg_ctl (or run it with --pglite)');
    pgServer = await startPostgres();
  }
  const a = await startApp({ ...(pgServer ? { databaseUrl: pgServer.url } : {}), clock: () => NOW, config: { monitors: { ...loadConfig().monitors, enabled: false } } });
  app = a;
  const agentEmail = await makeStaff(a.db, 'agent');
  const [agent] = await a.db.query<{ id: string }>('SELECT id FROM staff WHERE email = $1', [agentEmail]);
  const cookie = await signIn(a, agentEmail);
  const { incidentId } = await a.commands.declareIncident({ type: 'staff', id: null }, {
    type: 'outage', severity: 'SEV1', nameJa: '取引所に接続できない障害', nameEn: 'Exchange unreachable', bodyJa: '調査中です。', bodyEn: 'Investigating.',
    componentStatuses: { pairbtcjpy00: 'major_outage' },
  });

  let t0 = performance.now();
  if (settings.closed > 0) {
    const ids = await insertTickets(a.db, {
      count: settings.closed, prefix: 'old', body: '過去のお問い合わせ', type: 'other', priority: 'low', reasons: [], createdAt: new Date(NOW.getTime() - 90 * 86_400_000), spacingS: 60,
    });
    await a.db.query(`UPDATE tickets SET status = 'solved', solved_at = created_at + interval '1 day' WHERE id LIKE 'old%'`);
    if (ids.length !== settings.closed) throw new Error('closed tickets missing');
  }
  await addOpen(a, settings.baseline, incidentId, 'b', agent!.id);
  await a.db.query('VACUUM ANALYZE tickets');
  console.log(`data: ${settings.closed} solved + ${settings.baseline} open in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const lastOf = (open: number) => Math.floor((open - 1) / 100) * 100;
  const small = await measure(a, cookie, agent!.id, lastOf(settings.baseline));

  t0 = performance.now();
  await addOpen(a, settings.tickets - settings.baseline, incidentId, 'l', agent!.id);
  await a.db.query('VACUUM ANALYZE tickets');
  const [open] = await a.db.query<{ n: string }>(`SELECT count(*) AS n FROM tickets WHERE status IN ('new','open','pending_user')`);
  console.log(`data: ${open!.n} open in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const large = await measure(a, cookie, agent!.id, lastOf(settings.tickets));

  const n1 = settings.baseline;
  const n2 = settings.tickets;
  console.log(`Whole page (inject: routing, session, queries, rendering), ms:\n`);
  console.log(`| page | rows ${n1} / ${n2} | ${n1} open p50 | p95 | ${n2} open p50 | p95 | p99 | p95 ratio |`);
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [i, l] of large.entries()) {
    const s = small[i]!;
    console.log(`| ${l.page.padEnd(28)} | ${s.rows} / ${l.rows} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(l.p50)} | ${fmt(l.p95)} | ${fmt(l.p99)} | ${(l.p95 / s.p95).toFixed(2).padStart(5)}× |`);
  }
  console.log(`\nThe database part alone (listQueue + the tabs' counts), ms:\n`);
  console.log(`| page | ${n1} open p50 | p95 | ${n2} open p50 | p95 | p95 ratio |`);
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const [i, l] of large.entries()) {
    const s = small[i]!;
    console.log(`| ${l.page.padEnd(28)} | ${fmt(s.dbP50)} | ${fmt(s.dbP95)} | ${fmt(l.dbP50)} | ${fmt(l.dbP95)} | ${(l.dbP95 / s.dbP95).toFixed(2).padStart(5)}× |`);
  }
  console.log(`\nLoad average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const usedPlans = await plans(a, agent!.id);
  if (Object.keys(usedPlans).length) {
    console.log('\nScans of the queue\'s statements on PostgreSQL (primary-key look-ups left out):');
    for (const [name, lines] of Object.entries(usedPlans)) console.log(`  ${name}: ${lines.map((l, i) => `(${i + 1}) ${l}`).join('; ')}`);
  }
  mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
  const file = join(BENCH_DIR, 'results', `queue-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ startedAt, settings, cpus: cpus().length, load: loadavg(), small, large, plans: usedPlans }, null, 2));
  console.log(`\nResults: ${file}`);
  await cleanUp();
  return 0;
}

async function cleanUp(): Promise<void> {
  await app?.stop().catch(() => undefined);
  app = null;
  pgServer?.destroy();
  pgServer = null;
}

runBench(main, cleanUp);
