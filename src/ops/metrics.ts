import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { RequestTally } from './request-tally.ts';
import type { Queryable } from '../store/db.ts';

/**
 * Prometheus metrics (prom-client), in a registry of this application (not the library's global one: a test
 * process runs several apps). Queue depths and counts are read from the database when Prometheus scrapes, so
 * they hold across processes; request rate and latency are this process's.
 *
 * Served on a port of its own, on loopback by default (METRICS_PORT, METRICS_HOST): never on the public one.
 */

/** Path groups that get their own label; anything else is "other" (a crawler's random paths stay one series). */
const GROUPS = new Set(['api', 'staff', 'account', 'help', 'contact', 'lock', 'tickets', 'history', 'incidents', 'notices', 'subscriptions', 'subscribe', 'terms', 'assets', 'healthz', 'readyz', 'exchange-core']);

export function routeGroup(url: string | undefined): string {
  const u = url ?? '/';
  const query = u.indexOf('?');
  const end = query === -1 ? u.length : query;
  const slash = u.indexOf('/', 1);
  const first = u.startsWith('/') ? u.slice(1, slash === -1 || slash > end ? end : slash) : '';
  if (first === '' || STATUS_PAGE_FIRST.test(first)) return 'status-page';
  return GROUPS.has(first) ? first : 'other';
}

const STATUS_PAGE_FIRST = /^(?:index\.html|en|history\.(?:atom|rss)|feed\.(?:atom|rss))$/;

export interface MetricsSources {
  db: Queryable;
  /** Age of the status snapshot served, in seconds (null before the first). */
  snapshotAgeSeconds(): number | null;
  snapshotStale(): boolean;
  /** Connections of the PostgreSQL pool, when there is one. */
  pool?: () => { total: number; idle: number; waiting: number } | null;
}

export class Metrics {
  readonly registry = new Registry();
  // Requests are tallied in plain numbers and formatted when Prometheus scrapes: prom-client validates and hashes the
  // labels on every call (1.1–1.2 µs a request, with its label sets looked up once, of the ~28 µs a brotli status
  // page costs the server; ~0.1 µs tallied).
  private readonly tally = new RequestTally({
    requests: { name: 'kinkyu_http_requests_total', help: 'HTTP requests answered, by path group, method and status class' },
    duration: { name: 'kinkyu_http_request_duration_seconds', help: 'Time from request to the end of the answer, by path group' },
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'kinkyu_' });
    // prom-client's type wants its own Metric class; the Registry only uses the name, type and get().
    for (const metric of this.tally.metrics()) this.registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
    new Gauge({
      name: 'kinkyu_snapshot_age_seconds',
      help: 'Age of the status snapshot being served',
      registers,
      collect() {
        const age = sources.snapshotAgeSeconds();
        if (age !== null) this.set(age);
      },
    });
    new Gauge({ name: 'kinkyu_snapshot_stale', help: '1 when the status snapshot could not be refreshed (database away)', registers, collect() { this.set(sources.snapshotStale() ? 1 : 0); } });
    const fromDb = <L extends string>(name: string, help: string, labelNames: L[], sql: string, toLabels: (row: Record<string, unknown>) => Record<L, string>) =>
      new Gauge<L>({
        name, help, labelNames, registers,
        async collect() {
          this.reset();
          // A scrape while the database is away shows the series missing, not zeros that look like "all fine".
          const rows = await sources.db.query<Record<string, unknown> & { n: number }>(sql).catch(() => null);
          for (const row of rows ?? []) this.set(toLabels(row), Number(row.n));
        },
      });
    fromDb('kinkyu_mail_outbox', 'E-mails in the outbox by state', ['state'],
      `SELECT CASE WHEN sent_at IS NOT NULL THEN 'sent' WHEN failed_at IS NOT NULL THEN 'failed' ELSE 'queued' END AS state, count(*)::int AS n FROM mail_outbox GROUP BY 1`,
      (r) => ({ state: String(r.state) }));
    fromDb('kinkyu_deliveries', 'Subscriber deliveries of public updates by channel and status', ['channel', 'status'],
      `SELECT channel, status, count(*)::int AS n FROM deliveries GROUP BY 1, 2`, (r) => ({ channel: String(r.channel), status: String(r.status) }));
    fromDb('kinkyu_account_locks', 'Emergency locks by state: in force, or journalled and not yet recorded', ['state'],
      `SELECT 'in_force' AS state, count(*)::int AS n FROM account_locks WHERE unlocked_at IS NULL
       UNION ALL SELECT 'unrecorded', count(*)::int FROM lock_intents WHERE recorded_at IS NULL`, (r) => ({ state: String(r.state) }));
    fromDb('kinkyu_open_tickets', 'Tickets not solved, by type and priority', ['type', 'priority'],
      `SELECT type, priority, count(*)::int AS n FROM tickets WHERE status NOT IN ('solved', 'closed') GROUP BY 1, 2`, (r) => ({ type: String(r.type), priority: String(r.priority) }));
    fromDb('kinkyu_monitor_results_15m', 'Monitor check results in the last 15 minutes, by health', ['health'],
      `SELECT health, count(*)::int AS n FROM monitor_results WHERE at > now() - interval '15 minutes' GROUP BY 1`, (r) => ({ health: String(r.health) }));
    if (sources.pool) {
      const pool = sources.pool;
      new Gauge({
        name: 'kinkyu_db_pool_connections', help: 'PostgreSQL pool connections by state', labelNames: ['state'], registers,
        collect() {
          const p = pool();
          if (!p) return;
          this.set({ state: 'total' }, p.total);
          this.set({ state: 'idle' }, p.idle);
          this.set({ state: 'waiting' }, p.waiting);
        },
      });
    }
  }

  /** Counts one request when its answer has been sent. `started`: process.hrtime.bigint() when it arrived. */
  observe(req: IncomingMessage, res: ServerResponse, started: bigint): void {
    res.once('finish', () => this.record(req, res.statusCode, started));
  }

  /** Counts one request answered now (the status page's prebuilt bytes, handed to the socket synchronously). */
  record(req: IncomingMessage, statusCode: number, started: bigint): void {
    this.tally.add(routeGroup(req.url), req.method ?? 'GET', statusCode, Number(process.hrtime.bigint() - started) / 1e9);
  }

  /** The scrape endpoint on its own port; resolves with the server once it listens. */
  async serve(host: string, port: number): Promise<Server> {
    const server = createServer((req, res) => {
      if (req.url !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: the metrics are at /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`metrics failed: ${String(err)}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return server;
  }
}
