/**
 * The embedded database's own thread. PGlite is PostgreSQL compiled to WebAssembly and runs synchronously on the
 * thread that calls it: on the server's main thread, every statement (an incident update is ~10 of them, the page's
 * snapshot reload as many again) stopped the herd of status-page readers for its whole length. Here it runs beside
 * the main thread, as a PostgreSQL server's backends run beside it in their own processes. pglite.ts is the other
 * end (the `Db` the application uses); the messages are `WorkerRequest` / `WorkerReply` there.
 */
import { parentPort } from 'node:worker_threads';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import { createPglite } from './pglite-create.ts';
import { PreparedStatements } from './pglite-prepared.ts';
import type { WorkerReply, WorkerRequest, WorkerError } from './pglite-protocol.ts';

if (!parentPort) throw new Error('pglite-worker runs as a worker thread');
const port = parentPort;

let pg: PGlite | null = null;
let prepared: PreparedStatements | null = null;
/** Open transactions: their statements, in order, until COMMIT or ROLLBACK. */
const transactions = new Map<number, (request: WorkerRequest) => void>();
const listeners = new Map<number, () => Promise<void>>();
const ROLLBACK = Symbol('rollback');

const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

function errorOf(err: unknown): WorkerError {
  const e = err as Record<string, unknown> & { message?: unknown; name?: unknown };
  const out: WorkerError = { message: String(e?.message ?? err), name: typeof e?.name === 'string' ? e.name : 'Error' };
  for (const key of ['code', 'detail', 'hint', 'schema', 'table', 'column', 'constraint', 'severity', 'where', 'position'] as const) {
    if (typeof e?.[key] === 'string') out[key] = e[key];
  }
  return out;
}

function database(): PGlite {
  if (!pg) throw new Error('the embedded database is not open');
  return pg;
}

async function open(request: Extract<WorkerRequest, { op: 'open' }>): Promise<void> {
  pg = await createPglite(request.dataDir, request.loadDataDir ? new Blob([request.loadDataDir]) : undefined);
  prepared = new PreparedStatements(pg, { enabled: request.preparedStatements });
}

function statements(): PreparedStatements {
  if (!prepared) throw new Error('the embedded database is not open');
  return prepared;
}

/** A transaction: PGlite holds its lock (other statements wait) until the main thread says COMMIT or ROLLBACK. */
function begin(id: number): void {
  const queue: WorkerRequest[] = [];
  let wake: (() => void) | null = null;
  transactions.set(id, (request) => {
    queue.push(request);
    wake?.();
  });
  const next = async (): Promise<WorkerRequest> => {
    while (queue.length === 0) await new Promise<void>((resolve) => { wake = resolve; });
    wake = null;
    return queue.shift()!;
  };
  let end: WorkerRequest | null = null;
  database()
    .transaction(async (tx: Transaction) => {
      reply({ id, value: null });
      for (;;) {
        const request = await next();
        if (request.op === 'commit') {
          end = request;
          return;
        }
        if (request.op === 'rollback') {
          end = request;
          throw ROLLBACK;
        }
        if (request.op !== 'query') continue;
        try {
          reply({ id: request.id, value: await statements().queryIn(tx, request.sql, request.params) });
        } catch (err) {
          reply({ id: request.id, error: errorOf(err) });
        }
      }
    })
    .then(
      () => end && reply({ id: end.id, value: null }),
      (err: unknown) => {
        if (!end) return;
        if (err === ROLLBACK) reply({ id: end.id, value: null });
        else reply({ id: end.id, error: errorOf(err) });
      },
    )
    .finally(() => transactions.delete(id));
}

async function handle(request: WorkerRequest): Promise<void> {
  switch (request.op) {
    case 'open':
      await open(request);
      return reply({ id: request.id, value: null });
    case 'query':
      return reply({ id: request.id, value: await statements().query(request.sql, request.params) });
    case 'exec':
      try {
        await database().exec(request.sql);
      } finally {
        statements().forgetAll();
      }
      return reply({ id: request.id, value: null });
    case 'listen': {
      const unsubscribe = await database().listen(request.channel, (payload) => reply({ notify: request.id, payload }));
      listeners.set(request.id, unsubscribe);
      return reply({ id: request.id, value: null });
    }
    case 'unlisten':
      await listeners.get(request.listen)?.();
      listeners.delete(request.listen);
      return reply({ id: request.id, value: null });
    case 'dump': {
      const blob = await database().dumpDataDir('none');
      const bytes = await blob.arrayBuffer();
      return reply({ id: request.id, value: bytes }, [bytes]);
    }
    case 'close':
      await pg?.close();
      pg = null;
      prepared = null;
      return reply({ id: request.id, value: null });
    default:
      throw new Error(`unknown request ${(request as { op: string }).op}`);
  }
}

port.on('message', (request: WorkerRequest) => {
  if (request.op === 'begin') {
    begin(request.id);
    return;
  }
  if (request.tx !== undefined) {
    const send = transactions.get(request.tx);
    if (send) send(request);
    else reply({ id: request.id, error: { name: 'Error', message: 'the transaction has ended' } });
    return;
  }
  handle(request).catch((err: unknown) => reply({ id: request.id, error: errorOf(err) }));
});
