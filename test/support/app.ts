import { loadConfig, type Config } from '../../src/config.ts';
import { openDb, type Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { seedDemoData } from '../../src/status/demo-data.ts';
import { buildApp, type App } from '../../src/server.ts';
import { createStaff } from '../../src/staff/accounts.ts';
import { SYSTEM_ACTOR } from '../../src/domain/actor.ts';
import type { Role } from '../../src/staff/permissions.ts';
import { freePort } from './net.ts';
import { TEST_AUDIT_KEY } from './audit-key.ts';
import { openMigratedDb } from './test-db.ts';

export interface RunningApp extends App {
  db: Db;
  baseUrl: string;
  config: Config;
  stop(): Promise<void>;
}

/**
 * Starts the real application on a loopback port: PGlite in memory unless a database URL is given. `publicHost`
 * names it in PUBLIC_URL (`localhost` for WebAuthn, which browsers allow over http on localhost only).
 */
export async function startApp(opts: { databaseUrl?: string; demo?: boolean; db?: Db; config?: Partial<Config>; clock?: () => Date; publicHost?: string } = {}): Promise<RunningApp> {
  const db = opts.db ?? (opts.databaseUrl ? await openDb({ databaseUrl: opts.databaseUrl }) : await openMigratedDb());
  await migrate(db);
  if (opts.demo !== false) await seedDemoData(db);
  // The public URL must be known before listening; take a free port first.
  const port = await freePort();
  const config = loadConfig({ port, host: '127.0.0.1', publicUrl: `http://${opts.publicHost ?? '127.0.0.1'}:${port}`, databaseUrl: opts.databaseUrl, auditKey: TEST_AUDIT_KEY, auditKeyFile: undefined, metricsPort: undefined, ...opts.config });
  const app = await buildApp({ config, db, ...(opts.clock ? { clock: opts.clock } : {}) });
  await app.site.start();
  await app.app.listen({ host: '127.0.0.1', port });
  return {
    ...app,
    db,
    config,
    baseUrl: config.publicUrl,
    async stop() {
      await app.close();
      if (!opts.db) await db.close();
    },
  };
}

export const PASSWORD = 'correct horse battery staple';

/** A signed-in staff member's HTTP client: keeps the session cookie and sends the CSRF token. */
export class StaffClient {
  constructor(
    readonly baseUrl: string,
    readonly cookie: string,
    readonly csrfToken: string,
  ) {}

  static async signIn(baseUrl: string, email: string, password = PASSWORD): Promise<StaffClient> {
    const res = await fetch(`${baseUrl}/staff/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    return new StaffClient(baseUrl, cookie, csrfToken);
  }

  /** POST as a browser form would (urlencoded), without following the redirect. */
  postForm(path: string, fields: Record<string, string | string[]>, opts: { csrf?: boolean } = {}): Promise<Response> {
    const body = new URLSearchParams();
    if (opts.csrf !== false) body.append('_csrf', this.csrfToken);
    for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) body.append(k, x);
    return fetch(this.baseUrl + path, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookie, 'accept-language': 'ja' },
      body: body.toString(),
    });
  }

  postJson(path: string, payload: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(this.baseUrl + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', cookie: this.cookie, 'x-csrf-token': this.csrfToken, ...headers },
      body: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
  }

  get(path: string): Promise<Response> {
    return fetch(this.baseUrl + path, { headers: { cookie: this.cookie }, redirect: 'manual' });
  }
}

let staffCounter = 0;
export async function makeStaff(db: Db, role: Role): Promise<string> {
  const email = `${role}-${++staffCounter}-${Date.now()}@example.com`;
  await createStaff(db, SYSTEM_ACTOR, { email, name: `${role} ${staffCounter}`, role, password: PASSWORD });
  return email;
}

/** Waits until `check` passes or `ms` elapse; returns how long it took. */
export async function eventually(check: () => Promise<boolean>, ms: number, stepMs = 20): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
