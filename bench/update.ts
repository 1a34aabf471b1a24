/**
 * What an incident update costs the embedded database: `npm run bench:update [-- --updates 60 --rounds 3]`.
 *
 * Under a stream of updates (the status page's churn) PGlite's work competes with the herd of readers for the same
 * cores. This measures the CPU one update costs the whole process (the serving thread and PGlite's thread, from
 * `process.cpuUsage()`, minus the idle process's own rate measured just before), with the fan-out running and the
 * page's reloads off (they are bench:status's subject), an update every 100 ms as in bench:status's churn. Two
 * variants of the same built app, alternating, each on a fresh in-memory database with the demo data:
 *
 *   prepared   as kinkyu runs: a statement text seen twice is prepared once, then only bound and executed
 *   plain      every statement sent unprepared (PGlite's `query()`: parsed, analysed and planned each time)
 *
 * It also counts the statements per update (every `query` the application sends, transactions' included).
 * Prints ms of CPU per update for each, and plain ÷ prepared.
 */
import { performance } from 'node:perf_hooks';
import { numberArg } from './support/args.ts';
import { ensureBuilt, importBuilt } from './support/built.ts';
import type { Db } from '../src/store/db.ts';

ensureBuilt();
const { openPglite } = await importBuilt<typeof import('../src/store/pglite.ts')>('src/store/pglite.ts');
const { startApp } = await importBuilt<typeof import('../test/support/app.ts')>('test/support/app.ts');
const { SYSTEM_ACTOR } = await importBuilt<typeof import('../src/domain/actor.ts')>('src/domain/actor.ts');

const UPDATES = numberArg('--updates', 60);
const ROUNDS = numberArg('--rounds', 3);
const INTERVAL_MS = 100;
const FLIPPED = ['restapi00000', 'websocket000'] as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

/** Counts the statements the application sends, in and out of transactions. */
function counted(db: Db): { db: Db; statements: () => number } {
  let n = 0;
  const query = db.query.bind(db);
  const transaction = db.transaction.bind(db);
  db.query = ((sql, params) => {
    n++;
    return query(sql, params);
  }) as Db['query'];
  db.transaction = ((fn) => transaction((tx) => fn({ ...tx, query: ((sql, params) => (n++, tx.query(sql, params))) as Db['query'] }))) as Db['transaction'];
  return { db, statements: () => n };
}

async function measure(preparedStatements: boolean): Promise<{ cpuMsPerUpdate: number; statementsPerUpdate: number }> {
  const { db, statements } = counted(await openPglite(undefined, { preparedStatements }));
  const app = await startApp({ db });
  try {
    await app.site.stop();
    let { incidentId } = await app.commands.declareIncident(SYSTEM_ACTOR, {
      type: 'outage', severity: 'SEV2', nameJa: 'ベンチマーク', nameEn: 'Benchmark', bodyJa: '調査中です。', bodyEn: 'Investigating.',
      componentStatuses: { [FLIPPED[0]]: 'degraded_performance', [FLIPPED[1]]: 'partial_outage' },
    });
    const update = async (k: number) => {
      // As bench:status's churn: the incident is resolved and the next declared every 10 updates.
      if (k % 10 === 9) {
        await app.commands.postUpdate(SYSTEM_ACTOR, incidentId, { status: 'resolved', bodyJa: '復旧しました。' });
        ({ incidentId } = await app.commands.declareIncident(SYSTEM_ACTOR, {
          type: 'outage', severity: 'SEV2', nameJa: `ベンチマーク ${k}`, bodyJa: '調査中です。',
          componentStatuses: { [FLIPPED[0]]: 'degraded_performance', [FLIPPED[1]]: 'partial_outage' },
        }));
        return;
      }
      const [a, b] = k % 2 ? (['partial_outage', 'degraded_performance'] as const) : (['degraded_performance', 'partial_outage'] as const);
      await app.commands.postUpdate(SYSTEM_ACTOR, incidentId, { bodyJa: `続報 ${k}`, componentStatuses: { [FLIPPED[0]]: a, [FLIPPED[1]]: b } });
    };
    for (let k = 0; k < 20; k++) await update(k); // warm-up: statements prepared, code compiled
    await app.fanout.drain();
    await sleep(500);
    const idleStart = process.cpuUsage();
    const idleT = performance.now();
    await sleep(2000);
    const idleRate = cpuMs(process.cpuUsage(idleStart)) / (performance.now() - idleT);

    const before = statements();
    const start = process.cpuUsage();
    const t0 = performance.now();
    for (let k = 0; k < UPDATES; k++) {
      const next = t0 + (k + 1) * INTERVAL_MS;
      await update(20 + k);
      await sleep(Math.max(0, next - performance.now()));
    }
    await app.fanout.drain();
    const wall = performance.now() - t0;
    const used = cpuMs(process.cpuUsage(start)) - idleRate * wall;
    return { cpuMsPerUpdate: used / UPDATES, statementsPerUpdate: (statements() - before) / UPDATES };
  } finally {
    await app.stop();
    await db.close();
  }
}

console.log(`bench:update — ${UPDATES} incident updates every ${INTERVAL_MS} ms per run, PGlite in memory, fan-out on, page reloads off, ${ROUNDS} rounds`);
const results: Record<'prepared' | 'plain', number[]> = { prepared: [], plain: [] };
const counts: Record<'prepared' | 'plain', number> = { prepared: 0, plain: 0 };
for (let round = 1; round <= ROUNDS; round++) {
  for (const variant of round % 2 ? (['prepared', 'plain'] as const) : (['plain', 'prepared'] as const)) {
    const r = await measure(variant === 'prepared');
    results[variant].push(r.cpuMsPerUpdate);
    counts[variant] = r.statementsPerUpdate;
    console.log(`  round ${round}  ${variant.padEnd(8)}  ${r.cpuMsPerUpdate.toFixed(1).padStart(5)} ms CPU per update  ${r.statementsPerUpdate.toFixed(1)} statements per update`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p = median(results.prepared);
const q = median(results.plain);
console.log(`median: prepared ${p.toFixed(1)} ms, plain ${q.toFixed(1)} ms per update (${counts.prepared.toFixed(1)} statements); plain ÷ prepared ${(q / p).toFixed(2)}×`);
process.exit(0);
