/**
 * SIGTERM under load: the real server (`kinkyu start`, a child process on the embedded database on disk) is
 * stopped while four keep-alive clients read the status page and file contact-form tickets, leaving it as a load
 * balancer would once it says it drains. Nothing may be cut: no connection reset and no request left without an
 * answer. Every ticket number the server answered is in the database afterwards. While it drains, /readyz says 503.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/net.ts';
import { kinkyuEnv, startKinkyuProcess } from './support/server-process.ts';
import { openDb } from '../src/store/db.ts';

interface Answer { status: number; body: string; closing: boolean }

function send(agent: Agent, port: number, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      { host: '127.0.0.1', port, method, path, agent, headers: payload ? { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(payload) } : { accept: 'text/html' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, closing: res.headers.connection === 'close' }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

test('SIGTERM during load: 0 resets, every request answered or refused before it was accepted, 0 acknowledged tickets lost', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kinkyu-shutdown-'));
  const dataDir = join(dir, 'data');
  const port = await freePort();
  try {
    const child = await startKinkyuProcess(
      kinkyuEnv({ port, dataDir, admin: { email: 'admin@example.jp', password: 'shutdown password 123' }, extra: { SHUTDOWN_GRACE_MS: '800', CONTACT_RATE_LIMIT: '100000' } }),
      { demo: true },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let stopped = false;
    void exited.then(() => (stopped = true));
    const errors = new Map<string, number>();
    const statuses = new Map<number, number>();
    const tickets: string[] = [];
    let sigtermAt = 0;
    let readyDuringDrain: number | null = null;

    const client = async (n: number) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      // Like a load balancer: once this server says it is draining (an answer that closes its connection, as
      // every answer does after SIGTERM, with /readyz at 503), new requests go elsewhere. Opening new connections
      // to a listener that is closing would race the kernel (a connection still in the accept queue is reset).
      let drained = false;
      for (let i = 0; !stopped && !drained; i++) {
        try {
          const answer = i % 3 === 0
            ? await send(agent, port, 'POST', '/contact', { body: `シャットダウン試験 ${n}-${i}: 出金が反映されません`, email: `load${n}-${i}@example.jp` })
            : await send(agent, port, 'GET', '/');
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (answer.closing && sigtermAt > 0) drained = true;
          if (answer.status === 201) tickets.push((JSON.parse(answer.body) as { ticketId: string }).ticketId);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
          errors.set(code, (errors.get(code) ?? 0) + 1);
          if (code === 'ECONNREFUSED') await new Promise((r) => setTimeout(r, 20));
        }
      }
      agent.destroy();
    };
    const clients = [0, 1, 2, 3].map(client);
    await new Promise((r) => setTimeout(r, 1500));
    const before = tickets.length;
    sigtermAt = Date.now();
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    const probe = await send(new Agent(), port, 'GET', '/readyz').catch(() => null);
    readyDuringDrain = probe?.status ?? null;
    await exited;
    await Promise.all(clients);
    t.diagnostic(`tickets acknowledged: ${tickets.length} (${before} before SIGTERM); answers ${JSON.stringify([...statuses])}; client errors ${JSON.stringify([...errors])}; exit after ${Date.now() - sigtermAt} ms`);

    assert.equal(readyDuringDrain, 503, '/readyz says 503 while draining');
    assert.ok(tickets.length > before, 'requests were still answered after SIGTERM');
    const resets = [...errors].filter(([code]) => code !== 'ECONNREFUSED');
    assert.deepEqual(resets, [], 'no reset, no request cut (only refusals once the server stopped accepting)');
    assert.ok([...statuses.keys()].every((s) => s < 500 || s === 503), `answers: ${JSON.stringify([...statuses])}`);

    const db = await openDb({ dataDir });
    try {
      const rows = await db.query<{ id: string }>('SELECT id FROM tickets WHERE id = ANY($1)', [tickets]);
      assert.equal(rows.length, tickets.length, 'every acknowledged ticket is in the database');
    } finally {
      await db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
