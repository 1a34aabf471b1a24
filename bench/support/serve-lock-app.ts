/**
 * The two servers `bench/lock.ts` measures, on the same PostgreSQL database:
 *
 *   node --import tsx bench/support/serve-lock-app.ts app  --postgres URL --locks N --checks M
 *   node --import tsx bench/support/serve-lock-app.ts bare --postgres URL
 *
 * app:  the real kinkyu app (test/support/app.ts, no demo data, no SMTP: lock emails stay queued in the outbox).
 *       Before it says ready it creates N + M exchange accounts in bulk, each with an API key, a signed-in user
 *       session and a pending withdrawal, and a lock link per account; it prints the tokens: N for the lock
 *       (each used once) and M for the link check (GET /lock/<token>, which does not use the link).
 * bare: the baseline: node:http and a pg pool of the same size, `GET /check/<token>` does one indexed SELECT
 *       on lock_tokens (the same lookup the link check makes) and answers 200 or 404. No framework, no HTML.
 *
 * Prints {"event":"ready","baseUrl":...} once listening; exits when stdin closes or on SIGTERM/SIGINT.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import pg from 'pg';
import type { RunningApp } from '../../test/support/app.ts';
import { exitWithParent } from './child-exit.ts';
import { importBuilt } from './built.ts';

const { newId } = await importBuilt<typeof import('../../src/store/ids.ts')>('src/store/ids.ts');
const { startApp } = await importBuilt<typeof import('../../test/support/app.ts')>('test/support/app.ts');
const { sha256Hex } = await importBuilt<typeof import('../../src/domain/secrets.ts')>('src/domain/secrets.ts');

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(name);
  const value = i === -1 ? fallback : process.argv[i + 1];
  if (value === undefined) throw new Error(`missing ${name}`);
  return value;
}

const mode = process.argv[2];
const databaseUrl = arg('--postgres');
const poolSize = Number(process.env.DATABASE_POOL_SIZE ?? 10);
const send = (msg: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(msg)}\n`);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
let stop: () => Promise<void> = async () => undefined;

if (mode === 'app') {
  const locks = Number(arg('--locks', '2000'));
  const checks = Number(arg('--checks', '200'));
  const app: RunningApp = await startApp({ databaseUrl, demo: false });
  stop = () => app.stop();
  const n = locks + checks;
  const ids = Array.from({ length: n }, () => newId());
  const tokens = Array.from({ length: n }, () => randomBytes(24).toString('base64url'));
  const emails = ids.map((id) => `bench-${id}@bench.example.jp`);
  const sessionTokens = Array.from({ length: n }, () => randomBytes(24).toString('base64url'));
  const inDays = new Date(Date.now() + 86_400_000);
  for (let i = 0; i < n; i += 1000) {
    const slice = <T>(a: T[]) => a.slice(i, i + 1000);
    const part = slice(ids);
    await app.db.query(`INSERT INTO xch_accounts (id, email, email_key) SELECT * FROM unnest($1::text[], $2::text[], $2::text[])`, [part, slice(emails)]);
    await app.db.query(`INSERT INTO xch_api_keys (id, account_id, key_hash, label) SELECT k, a, h, 'bench' FROM unnest($1::text[], $2::text[], $3::text[]) AS u(k, a, h)`, [
      part.map(() => newId()), part, part.map(() => sha256Hex(randomBytes(24).toString('base64url'))),
    ]);
    await app.db.query(`INSERT INTO user_sessions (token_hash, account_id, csrf_token, expires_at) SELECT h, a, 'x', $3 FROM unnest($1::text[], $2::text[]) AS u(h, a)`, [
      slice(sessionTokens).map(sha256), part, inDays,
    ]);
    await app.db.query(`INSERT INTO user_credentials (account_id, password_hash) SELECT a, 'bench' FROM unnest($1::text[]) AS u(a)`, [part]);
    await app.db.query(`INSERT INTO xch_withdrawals (id, account_id, asset, amount, address, status) SELECT w, a, 'BTC', '0.1', 'bc1qbench', 'pending' FROM unnest($1::text[], $2::text[]) AS u(w, a)`, [
      part.map(() => newId()), part,
    ]);
    await app.db.query(`INSERT INTO lock_tokens (token_hash, account_id, reason, sent_to, expires_at) SELECT h, a, 'bench', e, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS u(h, a, e)`, [
      slice(tokens).map(sha256), part, slice(emails), inDays,
    ]);
  }
  await app.db.query('ANALYZE');
  send({ event: 'ready', baseUrl: app.baseUrl, pid: process.pid, poolSize, lockTokens: tokens.slice(0, locks), checkTokens: tokens.slice(locks), sessionTokens: sessionTokens.slice(locks) });
} else if (mode === 'bare') {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  pool.on('error', () => undefined);
  const SELECT = `SELECT 1 FROM lock_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2`;
  const server = createServer((req, res) => {
    const token = (req.url ?? '').replace(/^\/check\//, '');
    pool.query(SELECT, [sha256Hex(token), new Date()]).then(
      (r) => {
        const body = r.rowCount ? 'valid' : 'unknown';
        res.writeHead(r.rowCount ? 200 : 404, { 'content-type': 'text/plain', 'content-length': String(body.length), 'cache-control': 'no-store' });
        res.end(body);
      },
      (err: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(err.message);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stop = async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await pool.end();
  };
  const { port } = server.address() as { port: number };
  send({ event: 'ready', baseUrl: `http://127.0.0.1:${port}`, pid: process.pid, poolSize });
} else {
  throw new Error('usage: serve-lock-app.ts app|bare --postgres URL');
}

exitWithParent(() => stop(), 3000);
