import type { Db } from '../store/db.ts';
import { pendingMigrations } from '../store/migrate.ts';

/**
 * Readiness (`/readyz`): may this process take traffic? Liveness (`/healthz`) stays 200 while the process runs —
 * restarting it would not bring a stopped database back — but a load balancer should send users elsewhere while
 * this one cannot reach its database, runs on an older schema, serves no snapshot, or is shutting down.
 */
export interface ReadinessSources {
  db: Pick<Db, 'query'>;
  /** Whether a status snapshot is being served, and whether it is stale (the database did not answer). */
  snapshot(): { loaded: boolean; stale: boolean; ageSeconds: number | null };
  /** Background workers of this process and whether each runs. */
  workers(): Record<string, boolean>;
  /** True once a shutdown began: finish what is in flight, take nothing new. */
  draining(): boolean;
  timeoutMs?: number;
}

export interface CheckResult {
  ok: boolean;
  detail?: string;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function readinessCheck(sources: ReadinessSources): () => Promise<Readiness> {
  const timeoutMs = sources.timeoutMs ?? 2000;
  // The schema only moves forward: once every migration is applied, it stays so for this process.
  let schemaCurrent = false;
  return async () => {
    const checks: Record<string, CheckResult> = {};
    try {
      await withTimeout(sources.db.query('SELECT 1'), timeoutMs);
      checks.database = { ok: true };
    } catch (err) {
      checks.database = { ok: false, detail: reason(err) };
    }
    if (schemaCurrent) checks.migrations = { ok: true };
    else if (!checks.database.ok) checks.migrations = { ok: false, detail: 'database unreachable' };
    else {
      try {
        const pending = await withTimeout(pendingMigrations(sources.db), timeoutMs);
        schemaCurrent = pending.length === 0;
        checks.migrations = schemaCurrent ? { ok: true } : { ok: false, detail: `not applied: ${pending.join(', ')}` };
      } catch (err) {
        checks.migrations = { ok: false, detail: reason(err) };
      }
    }
    const snap = sources.snapshot();
    checks.snapshot = !snap.loaded
      ? { ok: false, detail: 'no status snapshot loaded yet' }
      : snap.stale
        ? { ok: false, detail: `stale: the database has not answered for ${Math.round(snap.ageSeconds ?? 0)} s` }
        : { ok: true };
    const stopped = Object.entries(sources.workers()).filter(([, running]) => !running).map(([name]) => name);
    checks.workers = stopped.length ? { ok: false, detail: `not running: ${stopped.join(', ')}` } : { ok: true };
    checks.accepting = sources.draining() ? { ok: false, detail: 'shutting down' } : { ok: true };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  };
}
