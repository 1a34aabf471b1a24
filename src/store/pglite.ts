import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { PreparedStatements } from './pglite-prepared.ts';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import type { Db, Queryable } from './db.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { AfterCommitHooks } from './after-commit.ts';
import type { Worker } from 'node:worker_threads';
import { siblingModule, startModuleWorker } from './module-worker.ts';
import type { WorkerError, WorkerReply, WorkerRequest } from './pglite-protocol.ts';

export interface PgliteDb extends Db {
  /** The whole cluster as a tarball, for `openPglite(undefined, { loadDataDir })`. */
  dumpDataDir(): Promise<Blob>;
}


/**
 * V8 compiles PGlite's 10 MB of WebAssembly twice: at once with its baseline compiler, then again, optimised,
 * for the functions that run often. The second compile costs ~0.5 s of CPU and ~100 MB at every start, for
 * queries ~15 % faster (1,000 insert+select pairs: 551 µs vs 648 µs each). For the embedded database a fast,
 * small start wins; `PGLITE_OPTIMIZE=1` keeps V8's default. A V8 flag is set before the first module compiles.
 */
let compilerChosen = false;
function chooseWasmCompiler(): void {
  if (compilerChosen) return;
  compilerChosen = true;
  if (process.env.PGLITE_OPTIMIZE !== '1') setFlagsFromString('--liftoff-only');
}

/**
 * Embedded PostgreSQL: one connection in this process, on a thread of its own (pglite-worker.ts), so the
 * WebAssembly database never runs on the thread that serves requests. `loadDataDir` starts an in-memory database
 * from a dump (`dumpDataDir`) instead of an empty cluster. `thread: 'main'` runs PGlite on the calling thread
 * instead (as before; kept to measure the difference, `PGLITE_THREAD=main`).
 */
/** How the embedded database is opened. `preparedStatements: false` sends every statement unprepared (to measure them). */
export interface PgliteOptions {
  loadDataDir?: Blob;
  thread?: 'worker' | 'main';
  preparedStatements?: boolean;
}

export async function openPglite(dataDir?: string, options: PgliteOptions = {}): Promise<PgliteDb> {
  const thread = options.thread ?? (process.env.PGLITE_THREAD === 'main' ? 'main' : 'worker');
  return thread === 'main' ? openPgliteHere(dataDir, options) : openPgliteWorker(dataDir, options);
}

/** The database's thread (pglite-worker.ts). */
function startWorkerThread(): Worker {
  return startModuleWorker(siblingModule(import.meta.url, 'pglite-worker'), { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
}

/**
 * The thread's JavaScript is small (messages in and out; the database's memory is WebAssembly's own): a young
 * generation smaller than V8's default keeps the process's resident memory down.
 */
const WORKER_YOUNG_GENERATION_MB = 4;

/** Rebuilt on this side: an Error with PostgreSQL's fields (the application reads `code`). */
function databaseError(e: WorkerError): Error {
  const { name, message, ...fields } = e;
  const err = Object.assign(new Error(message), fields);
  if (name && name !== 'Error') err.name = name;
  return err;
}

/**
 * A new cluster is made (initdb) on a thread that is then ended, and the database opened again on a fresh one:
 * initdb grows PGlite's WebAssembly memory to ~550 MB, which WebAssembly never gives back, so a server's first
 * start held ~745 MB for as long as it ran (a restart on the same data, ~240 MB). Costs one more thread start
 * (~0.3 s) on the first start only.
 */
async function openPgliteWorker(dataDir: string | undefined, options: PgliteOptions): Promise<PgliteDb> {
  if (dataDir && !options.loadDataDir && !existsSync(join(dataDir, 'PG_VERSION'))) await (await openPgliteThread(dataDir, options)).close();
  return openPgliteThread(dataDir, options);
}

async function openPgliteThread(dataDir: string | undefined, options: PgliteOptions): Promise<PgliteDb> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const release = dataDir ? lockDataDir(dataDir) : () => undefined;
  chooseWasmCompiler();
  const worker = startWorkerThread();
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  const notifications = new Map<number, (payload: string) => void>();
  let failure: Error | null = null;
  // The thread keeps the process alive only while a reply is awaited (an open transaction awaits its COMMIT):
  // a database nobody closed must not hold a finished process, and one in use must not let it exit.
  worker.unref();
  const settle = (id: number) => {
    const entry = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    return entry;
  };
  worker.on('message', (message: WorkerReply) => {
    if (message.notify !== undefined) {
      notifications.get(message.notify)?.(message.payload);
      return;
    }
    const entry = settle(message.id);
    if (!entry) return;
    if (message.error) entry.reject(databaseError(message.error));
    else entry.resolve(message.value);
  });
  const fail = (err: Error) => {
    // Read as "the database is unreachable" (isDatabaseDown): the thread is gone, nothing more can be stored.
    failure ??= Object.assign(new Error(`the embedded database stopped: ${err.message}`), { code: '08006' });
    for (const id of [...pending.keys()]) settle(id)?.reject(failure);
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`its thread exited (${code})`)));

  type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;
  /** Sends a request; its id names a transaction or a listener in later requests. */
  const send = <T>(request: Request, transfer: ArrayBuffer[] = []): { id: number; reply: Promise<T> } => {
    const id = nextId++;
    if (failure) return { id, reply: Promise.reject(failure) };
    const reply = new Promise<T>((resolve, reject) => {
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...request, id }, transfer);
    });
    return { id, reply };
  };
  const call = <T>(request: Request, transfer: ArrayBuffer[] = []): Promise<T> => send<T>(request, transfer).reply;

  try {
    const loadDataDir = options.loadDataDir ? await options.loadDataDir.arrayBuffer() : undefined;
    await call({ op: 'open', dataDir, loadDataDir, preparedStatements: options.preparedStatements ?? true }, loadDataDir ? [loadDataDir] : []);
  } catch (err) {
    await worker.terminate();
    release();
    throw err;
  }

  const hooks = new AfterCommitHooks();
  const afterCommit = (fn: () => void) => hooks.add(fn);
  const handle = (tx: number | undefined): Queryable => ({
    async query<Row>(sql: string, params?: readonly unknown[]) {
      return call<Row[]>({ op: 'query', sql, params: params ? [...params] : undefined, tx });
    },
    afterCommit,
  });
  const base = handle(undefined);
  let closed = false;
  return {
    kind: 'pglite',
    query: base.query,
    afterCommit,
    async transaction(fn) {
      return hooks.around(async () => {
        const begin = send({ op: 'begin' });
        const tx = begin.id;
        await begin.reply;
        let value;
        try {
          value = await fn(handle(tx));
        } catch (err) {
          await call({ op: 'rollback', tx }).catch(() => undefined);
          throw err;
        }
        await call({ op: 'commit', tx });
        return value;
      });
    },
    async exec(sql) {
      await call({ op: 'exec', sql });
    },
    async listen(channel, onMessage) {
      const listening = send({ op: 'listen', channel });
      const listenId = listening.id;
      notifications.set(listenId, onMessage);
      await listening.reply;
      return async () => {
        notifications.delete(listenId);
        if (!closed && !failure) await call({ op: 'unlisten', listen: listenId });
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        if (!failure) await call({ op: 'close' });
      } finally {
        worker.removeAllListeners('exit');
        await worker.terminate();
        release();
      }
    },
    async dumpDataDir() {
      return new Blob([await call<ArrayBuffer>({ op: 'dump' })]);
    },
  };
}

async function openPgliteHere(dataDir: string | undefined, options: PgliteOptions): Promise<PgliteDb> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const release = dataDir ? lockDataDir(dataDir) : () => undefined;
  let pg: PGlite;
  let statements: PreparedStatements;
  chooseWasmCompiler();
  try {
    const { createPglite } = await import('./pglite-create.ts');
    const { PreparedStatements } = await import('./pglite-prepared.ts');
    pg = await createPglite(dataDir, options.loadDataDir);
    statements = new PreparedStatements(pg, { enabled: options.preparedStatements ?? true });
  } catch (err) {
    release();
    throw err;
  }
  const hooks = new AfterCommitHooks();
  const afterCommit = (fn: () => void) => hooks.add(fn);
  const wrap = (tx?: Transaction): Queryable => ({
    async query<Row>(sql: string, params?: readonly unknown[]) {
      const copy = params ? [...params] : undefined;
      return (tx ? statements.queryIn(tx, sql, copy) : statements.query(sql, copy)) as Promise<Row[]>;
    },
    afterCommit,
  });
  const base = wrap();
  return {
    kind: 'pglite',
    query: base.query,
    afterCommit,
    async transaction(fn) {
      return hooks.around(() => pg.transaction((tx) => fn(wrap(tx))));
    },
    async exec(sql) {
      try {
        await pg.exec(sql);
      } finally {
        statements.forgetAll();
      }
    },
    async listen(channel, onMessage) {
      const unsubscribe = await pg.listen(channel, onMessage);
      return async () => unsubscribe();
    },
    async close() {
      try {
        await pg.close();
      } finally {
        release();
      }
    },
    async dumpDataDir() {
      return pg.dumpDataDir('none');
    },
  };
}
