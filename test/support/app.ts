import { loadConfig, type Config } from '../../src/config.ts';
import { openDb, type Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { seedDemoData } from '../../src/status/demo-data.ts';
import { buildApp, type App } from '../../src/server.ts';
import { createStaff } from '../../src/staff/accounts.ts';
import { addTotpFactor, newRecoveryCodes } from '../../src/staff/factors.ts';
import { generateTotpSecret, totpCode, totpStep, TOTP_PERIOD } from '../../src/security-center/totp.ts';
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
  // Without a clock of the test's own, the app runs on the real one plus an offset the staff clients may move on
  // by one code period when a member has used every code of this moment (instead of waiting up to 30 s for the
  // next, which is most of some browser files' time).
  let offsetMs = 0;
  const clock = opts.clock ?? (() => new Date(Date.now() + offsetMs));
  const app = await buildApp({ config, db, clock });
  await app.site.start();
  await app.app.listen({ host: '127.0.0.1', port });
  // Staff clients compute their codes on the clock the app checks them with (an injected one; the real clock
  // moves, so a client that has used every code of this moment waits for the next).
  appClocks.set(config.publicUrl, app.clock);
  if (!opts.clock) clockSkips.set(config.publicUrl, () => { offsetMs += TOTP_PERIOD * 1000; });
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

/** The clock of each app this process started, by base URL (others, e.g. child processes, use the real clock). */
const appClocks = new Map<string, () => Date>();
/** For an app on the real clock: moves its clock on by one code period. */
const clockSkips = new Map<string, () => void>();
const clockOf = (baseUrl: string): (() => Date) => appClocks.get(baseUrl) ?? (() => new Date());

/**
 * The second factor of every staff member this test process knows: the TOTP secret (set by makeStaff, or learnt
 * when StaffClient.signIn enrols a member through the real enrolment), the recovery codes not used yet, and the
 * last time step used (the app accepts each step once, and at most one step ahead).
 */
interface KnownFactor { secret: string; recoveryCodes: string[]; lastStep: number }
const knownFactors = new Map<string, KnownFactor>();
const keyOf = (email: string) => email.trim().toLowerCase();

export function rememberStaffFactor(email: string, secret: string, recoveryCodes: string[] = []): void {
  knownFactors.set(keyOf(email), { secret, recoveryCodes: [...recoveryCodes], lastStep: -Infinity });
}

/** The TOTP secret and unused recovery codes of a staff member (makeStaff, or enrolled through StaffClient). */
export function staffFactorOf(email: string): { secret: string; recoveryCodes: string[] } {
  const known = knownFactors.get(keyOf(email));
  if (!known) throw new Error(`no known second factor for ${email}`);
  return known;
}

/**
 * The next code the app will accept for this member on its clock: the current step's, or one step behind or ahead
 * (the app's window), never a step used before; a recovery code when those are spent (a clock standing still),
 * and on the real clock the next step when recovery codes are gone too.
 */
export async function nextStaffFactor(email: string, baseUrl: string): Promise<{ code: string } | { recovery: string }> {
  const known = knownFactors.get(keyOf(email));
  if (!known) throw new Error(`no known second factor for ${email}`);
  for (;;) {
    const now = clockOf(baseUrl)();
    const current = totpStep(now);
    // The step behind is accepted only until the current step ends: near its end it would be two behind by the time
    // the app checks it (a busy machine, a browser filling a form), so start at the current step then.
    const clockMoves = clockSkips.has(baseUrl) || !appClocks.has(baseUrl);
    const secondsLeft = TOTP_PERIOD - ((now.getTime() / 1000) % TOTP_PERIOD);
    const step = Math.max(known.lastStep + 1, clockMoves && secondsLeft < 10 ? current : current - 1);
    if (step <= current + 1) {
      known.lastStep = step;
      return { code: totpCode(known.secret, new Date(step * TOTP_PERIOD * 1000)) };
    }
    const recovery = known.recoveryCodes.shift();
    if (recovery) return { recovery };
    const skip = clockSkips.get(baseUrl);
    if (skip) {
      skip();
      continue;
    }
    if (appClocks.has(baseUrl)) throw new Error(`no code left for ${email} on the app's clock (it stands still)`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Just a TOTP code (for the forms that take only one). */
export async function nextStaffCode(email: string, baseUrl: string): Promise<string> {
  for (;;) {
    const factor = await nextStaffFactor(email, baseUrl);
    if ('code' in factor) return factor.code;
  }
}

const cookieOf = (res: Response): string | null => {
  const set = res.headers.getSetCookie().find((c) => c.startsWith('kinkyu_staff=') || c.startsWith('__Host-kinkyu_staff='));
  return set ? (set.split(';')[0] ?? null) : null;
};

/** A signed-in staff member's HTTP client: keeps the session cookie and sends the CSRF token. */
export class StaffClient {
  /**
   * When a sensitive action asks for the code again (its fresh-factor window has passed on the app's clock), send
   * it with a code and go on, as a member would. Tests of that step turn it off.
   */
  autoFreshFactor = true;

  constructor(
    readonly baseUrl: string,
    readonly cookie: string,
    readonly csrfToken: string,
    readonly email: string | null = null,
  ) {}

  /**
   * Signs in as a member does: the password, then a code from their authenticator app — or, for a member who has
   * none yet (a first admin, someone created through the team page), the real enrolment first.
   */
  static async signIn(baseUrl: string, email: string, password = PASSWORD): Promise<StaffClient> {
    const res = await fetch(`${baseUrl}/staff/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
    let cookie = cookieOf(res) ?? '';
    const first = (await res.json()) as { csrfToken: string; stage: 'factor' | 'enrol' };
    const json = { 'content-type': 'application/json', accept: 'application/json' };
    if (first.stage === 'enrol') {
      const enrol = await fetch(`${baseUrl}/staff/mfa/enrol`, { headers: { accept: 'application/json', cookie } });
      if (enrol.status !== 200) throw new Error(`enrolment failed: ${enrol.status} ${await enrol.text()}`);
      const { secret } = (await enrol.json()) as { secret: string };
      rememberStaffFactor(email, secret);
      const code = await nextStaffCode(email, baseUrl);
      const done = await fetch(`${baseUrl}/staff/mfa/enrol`, {
        method: 'POST', headers: { ...json, cookie, 'x-csrf-token': first.csrfToken }, body: JSON.stringify({ code }),
      });
      if (done.status !== 200) throw new Error(`enrolment failed: ${done.status} ${await done.text()}`);
      const body = (await done.json()) as { csrfToken: string; recoveryCodes: string[] };
      knownFactors.get(keyOf(email))!.recoveryCodes.push(...body.recoveryCodes);
      return new StaffClient(baseUrl, cookieOf(done) ?? cookie, body.csrfToken, email);
    }
    for (let attempt = 0; ; attempt++) {
      const factor = await nextStaffFactor(email, baseUrl);
      const done = await fetch(`${baseUrl}/staff/login/factor`, {
        method: 'POST', headers: { ...json, cookie, 'x-csrf-token': first.csrfToken }, body: JSON.stringify(factor),
      });
      if (done.status === 200) {
        const { csrfToken } = (await done.json()) as { csrfToken: string };
        cookie = cookieOf(done) ?? cookie;
        return new StaffClient(baseUrl, cookie, csrfToken, email);
      }
      const text = await done.text();
      // A step this process did not see used (another process signed the member in): try the next one.
      if (done.status !== 401 || attempt >= 3) throw new Error(`second factor failed: ${done.status} ${text}`);
    }
  }

  /** Sends again with a fresh code when the app asks for one (403 FRESH_FACTOR_REQUIRED, or the re-enter page). */
  private async withFreshFactor(send: (factor: { code: string } | { recovery: string } | null) => Promise<Response>): Promise<Response> {
    const res = await send(null);
    if (res.status !== 403 || !this.autoFreshFactor || !this.email) return res;
    const text = await res.clone().text();
    if (!text.includes('FRESH_FACTOR_REQUIRED') && !text.includes('name="_factor_code"')) return res;
    return send(await nextStaffFactor(this.email, this.baseUrl));
  }

  /** POST as a browser form would (urlencoded), without following the redirect. */
  postForm(path: string, fields: Record<string, string | string[]>, opts: { csrf?: boolean } = {}): Promise<Response> {
    return this.withFreshFactor((factor) => {
      const body = new URLSearchParams();
      if (opts.csrf !== false) body.append('_csrf', this.csrfToken);
      for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) body.append(k, x);
      if (factor && 'code' in factor) body.append('_factor_code', factor.code);
      if (factor && 'recovery' in factor) body.append('_factor_recovery', factor.recovery);
      return fetch(this.baseUrl + path, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookie, 'accept-language': 'ja' },
        body: body.toString(),
      });
    });
  }

  postJson(path: string, payload: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return this.withFreshFactor((factor) =>
      fetch(this.baseUrl + path, {
        method: 'POST',
        headers: {
          'content-type': 'application/json', accept: 'application/json', cookie: this.cookie, 'x-csrf-token': this.csrfToken,
          ...(factor && 'code' in factor ? { 'x-staff-factor-code': factor.code } : {}),
          ...(factor && 'recovery' in factor ? { 'x-staff-factor-recovery': factor.recovery } : {}),
          ...headers,
        },
        body: typeof payload === 'string' ? payload : JSON.stringify(payload),
      }),
    );
  }

  get(path: string): Promise<Response> {
    return fetch(this.baseUrl + path, { headers: { cookie: this.cookie }, redirect: 'manual' });
  }
}

let staffCounter = 0;
/**
 * A staff member with the test password and — unless `enrolled: false` — an authenticator app already enrolled
 * (a secret this process knows, and ten recovery codes), as every member has after their first sign-in.
 */
export async function makeStaff(db: Db, role: Role, opts: { enrolled?: boolean; email?: string } = {}): Promise<string> {
  const n = ++staffCounter;
  const email = opts.email ?? `${role}-${n}-${Date.now()}@example.com`;
  const { id } = await createStaff(db, SYSTEM_ACTOR, { email, name: `${role} ${n}`, role, password: PASSWORD });
  if (opts.enrolled !== false) {
    const secret = generateTotpSecret();
    const codes = await db.transaction(async (tx) => {
      await addTotpFactor(tx, id, secret, new Date(), null);
      return newRecoveryCodes(tx, id, new Date());
    });
    rememberStaffFactor(email, secret, codes);
  }
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
