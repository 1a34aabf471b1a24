/**
 * Runs the real kinkyu app (PGlite in memory + demo data, or a PostgreSQL server with --postgres URL) on a
 * loopback port, for the benchmark to load from another process.
 *
 *   node --import tsx bench/support/serve-app.ts [--postgres URL] [--churn MS] [--rotate N]
 *
 * Talks JSON lines: on stdout it prints {"event":"ready","baseUrl":...} once listening. Commands on stdin:
 *
 *   incident   declares the benchmark incident and posts updates until it has N/2 of them, so the page
 *              looks the way it will on average during the churn (the baseline is taken from that page)
 *   churn start   (needs --churn MS) posts an update to the incident every MS ms, alternating two components
 *              between degraded_performance and partial_outage. Every update makes the incident's timeline
 *              (and summary.json) longer, so after N updates (--rotate, default 10) the incident is resolved
 *              and a new one declared in the same tick: the page keeps changing but stays the same size on
 *              average instead of growing for the whole run. --rotate 0 never rotates.
 *   churn stop    stops, and prints {"event":"churn-stopped",...} with what was done
 *   cpu        prints this process's CPU time
 *
 * The process exits when stdin closes (so it never outlives the benchmark) or on SIGTERM/SIGINT.
 */
import { createInterface } from 'node:readline';
import type { RunningApp } from '../../test/support/app.ts';
import { importBuilt } from './built.ts';

const { SYSTEM_ACTOR } = await importBuilt<typeof import('../../src/domain/actor.ts')>('src/domain/actor.ts');
const { startApp } = await importBuilt<typeof import('../../test/support/app.ts')>('test/support/app.ts');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

const databaseUrl = arg('--postgres');
const churnMs = arg('--churn') === undefined ? null : Number(arg('--churn'));
if (churnMs !== null && !(churnMs > 0)) throw new Error('--churn needs a positive number of milliseconds');
const rotate = Number(arg('--rotate') ?? 10);
if (!Number.isInteger(rotate) || rotate < 0) throw new Error('--rotate needs a whole number of updates (0: never)');

const send = (msg: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(msg)}\n`);

const app: RunningApp = await startApp(databaseUrl ? { databaseUrl } : {});

// The two components the churn flips; both exist in the demo data.
const FLIPPED = ['restapi00000', 'websocket000'] as const;

interface ChurnState {
  timer: NodeJS.Timeout;
  startedAt: number;
  posted: number;
  failed: number;
  skipped: number;
  durations: number[];
  versions: Set<number>;
  lastError: string | null;
}

let incidentId: string | null = null;
/** Updates on the current incident, the declaration included. */
let updatesOnIncident = 0;
let incidentsDeclared = 0;
let churn: ChurnState | null = null;
let tick = 0;
let inFlight = false;

async function declare(): Promise<void> {
  const n = ++incidentsDeclared;
  ({ incidentId } = await app.commands.declareIncident(SYSTEM_ACTOR, {
    type: 'outage', severity: 'SEV2', status: 'investigating',
    nameJa: `ベンチマーク用の障害 ${n}`, nameEn: `Benchmark incident ${n}`,
    bodyJa: 'ベンチマークのための障害です。調査しています。', bodyEn: 'An incident for the benchmark. We are investigating.',
    componentStatuses: { [FLIPPED[0]]: 'degraded_performance', [FLIPPED[1]]: 'partial_outage' },
  }));
  updatesOnIncident = 1;
}

/** One churn step: the next update, or (every `rotate` updates) resolving the incident and declaring the next. */
async function step(): Promise<void> {
  if (!incidentId) return declare();
  if (rotate > 0 && updatesOnIncident >= rotate) {
    await app.commands.postUpdate(SYSTEM_ACTOR, incidentId, {
      status: 'resolved', bodyJa: '復旧しました。', bodyEn: 'This incident has been resolved.',
    });
    return declare();
  }
  const n = ++tick;
  const [a, b] = n % 2 ? (['partial_outage', 'degraded_performance'] as const) : (['degraded_performance', 'partial_outage'] as const);
  await app.commands.postUpdate(SYSTEM_ACTOR, incidentId, {
    bodyJa: `調査を続けています (更新 ${n})。`,
    bodyEn: `We are still investigating (update ${n}).`,
    componentStatuses: { [FLIPPED[0]]: a, [FLIPPED[1]]: b },
  });
  updatesOnIncident++;
}

/** The benchmark incident, with as many updates as it has on average during the churn. */
async function prepareIncident(): Promise<Record<string, unknown>> {
  if (!incidentId) await declare();
  const target = Math.max(1, Math.round(rotate / 2));
  while (updatesOnIncident < target) await step();
  return { event: 'incident-ready', incidentId, updates: updatesOnIncident };
}

async function startChurn(): Promise<void> {
  if (churnMs === null) throw new Error('started without --churn');
  if (churn) return;
  if (!incidentId) await declare();
  const state: ChurnState = {
    timer: setInterval(() => void update(state), churnMs),
    startedAt: Date.now(), posted: 0, failed: 0, skipped: 0, durations: [], versions: new Set(), lastError: null,
  };
  churn = state;
}

async function update(state: ChurnState): Promise<void> {
  const version = app.site.current()?.version;
  if (version !== undefined) state.versions.add(version);
  // Never stack updates: if the previous one is still running, this tick is skipped and counted.
  if (inFlight) {
    state.skipped++;
    return;
  }
  inFlight = true;
  const started = performance.now();
  try {
    await step();
    state.posted++;
    state.durations.push(performance.now() - started);
  } catch (err) {
    state.failed++;
    state.lastError = String((err as Error)?.message ?? err);
  } finally {
    inFlight = false;
  }
}

function stopChurn(): Record<string, unknown> {
  const state = churn;
  if (!state) return { event: 'churn-stopped', running: false };
  clearInterval(state.timer);
  churn = null;
  const d = [...state.durations].sort((x, y) => x - y);
  const pct = (p: number) => (d.length ? Number(d[Math.min(d.length - 1, Math.floor(p * d.length))]!.toFixed(1)) : null);
  return {
    event: 'churn-stopped',
    seconds: (Date.now() - state.startedAt) / 1000,
    posted: state.posted,
    failed: state.failed,
    skipped: state.skipped,
    lastError: state.lastError,
    updateMs: { p50: pct(0.5), p99: pct(0.99), max: d.length ? Number(d[d.length - 1]!.toFixed(1)) : null },
    snapshotVersionsSeen: state.versions.size,
    incidentsDeclared,
    rotateEvery: rotate,
  };
}

let closing = false;
async function shutdown(code: number): Promise<void> {
  if (closing) return;
  closing = true;
  if (churn) clearInterval(churn.timer);
  const force = setTimeout(() => process.exit(code), 3000);
  force.unref();
  try {
    await app.stop();
  } catch {
    /* exiting anyway */
  }
  process.exit(code);
}

process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const cmd = line.trim();
  const reply = (p: Promise<Record<string, unknown>>) =>
    p.then(send, (err: unknown) => send({ event: 'error', command: cmd, message: String((err as Error)?.message ?? err) }));
  if (cmd === 'incident') reply(prepareIncident());
  else if (cmd === 'churn start') reply(startChurn().then(() => ({ event: 'churn-started', incidentId, everyMs: churnMs })));
  else if (cmd === 'churn stop') reply(Promise.resolve(stopChurn()));
  else if (cmd === 'cpu') {
    const u = process.cpuUsage();
    send({ event: 'cpu', userMs: u.user / 1000, systemMs: u.system / 1000 });
  } else if (cmd) send({ event: 'error', command: cmd, message: 'unknown command' });
});
lines.on('close', () => void shutdown(0));

send({ event: 'ready', baseUrl: app.baseUrl, pid: process.pid, db: app.db.kind });
