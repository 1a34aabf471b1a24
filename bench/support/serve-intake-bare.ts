/**
 * The intake baseline: a bare node:http server that takes the same urlencoded form and does one raw INSERT of
 * the same ticket row into the same `tickets` table, through a pg pool of the same size, and answers 303 to a
 * ticket link as kinkyu does. No triage, no incident matching, no thread message, no outbox mail, no framework:
 * the least a server can do and still have stored the ticket.
 *
 *   node --import tsx bench/support/serve-intake-bare.ts --postgres URL --sample FILE.json
 *
 * `--sample` is a ticket row kinkyu stored for the same form (the benchmark reads one after its warm-up): its
 * type, priority, triage reasons, incident and due-date offsets are reused, so the row has the same columns and
 * values shape. Prints {"event":"ready","baseUrl":...} once listening; exits when stdin closes or on SIGTERM/SIGINT.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import pg from 'pg';
import { exitWithParent } from './child-exit.ts';

function arg(name: string): string {
  const i = process.argv.indexOf(name);
  const value = i === -1 ? undefined : process.argv[i + 1];
  if (!value) throw new Error(`missing ${name}`);
  return value;
}

interface Sample {
  type: string;
  priority: string;
  triage_reasons: unknown;
  status: string;
  incident_id: string | null;
  incident_link: string | null;
  created_at: string;
  first_response_due_at: string | null;
  resolution_due_at: string | null;
  first_responded_at: string | null;
}

const sample = JSON.parse(readFileSync(arg('--sample'), 'utf8')) as Sample;
const created = new Date(sample.created_at).getTime();
const offset = (at: string | null) => (at === null ? null : new Date(at).getTime() - created);
const firstResponseOffset = offset(sample.first_response_due_at);
const resolutionOffset = offset(sample.resolution_due_at);
const reasons = JSON.stringify(sample.triage_reasons);
const poolSize = Number(process.env.DATABASE_POOL_SIZE ?? 10);
const pool = new pg.Pool({ connectionString: arg('--postgres'), max: poolSize });
pool.on('error', () => undefined);
const key = randomBytes(32);
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
const newId = () => Array.from(randomBytes(12), (b) => ALPHABET[b % 36]).join('');
const at = (base: number, ms: number | null) => (ms === null ? null : new Date(base + ms));
const field = (form: URLSearchParams, name: string) => {
  const v = form.get(name);
  return v === null || v === '' ? null : v;
};

// The same statement shape as SupportDesk.submit's ticket insert (parameters reused the same way).
const INSERT = `INSERT INTO tickets (id, email, lang, body, order_id, transaction_id, asset, amount, user_category, type, priority,
                     triage_type, triage_priority, triage_reasons, status, incident_id, incident_link,
                     first_response_due_at, resolution_due_at, first_responded_at, created_at, updated_at, ip)
VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$10,$11,$12::jsonb,$13,$14,$15,$16,$17,$18,$19,$19,$20)
RETURNING number`;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const now = new Date();
    const id = newId();
    pool
      .query(INSERT, [
        id, field(form, 'email'), form.get('lang') === 'en' ? 'en' : 'ja', field(form, 'body'), field(form, 'orderId'), field(form, 'transactionId'),
        field(form, 'asset'), field(form, 'amount'), field(form, 'category'), sample.type, sample.priority, reasons, sample.status,
        sample.incident_id, sample.incident_link, at(now.getTime(), firstResponseOffset), at(now.getTime(), resolutionOffset),
        sample.first_responded_at === null ? null : now, now, req.socket.remoteAddress ?? null,
      ])
      .then(
        () => {
          const token = createHmac('sha256', key).update(id).digest('base64url').slice(0, 32);
          res.writeHead(303, { location: `/tickets/${id}/${token}?received=1`, 'referrer-policy': 'no-referrer', 'content-length': '0' });
          res.end();
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(err.message);
        },
      );
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ event: 'ready', baseUrl: `http://127.0.0.1:${port}`, pid: process.pid, poolSize })}\n`);
});

exitWithParent(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await pool.end();
});
