import { PGlite, types } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import type { Db, Queryable } from './db.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { AfterCommitHooks } from './after-commit.ts';

export interface PgliteDb extends Db {
  /** The whole cluster as a tarball, for `openPglite(undefined, { loadDataDir })`. */
  dumpDataDir(): Promise<Blob>;
}

/**
 * Sized for what the embedded database is for (one process, a small exchange or a demo; a large one runs
 * PostgreSQL): PostgreSQL's default 128 MB of shared buffers is most of a small server's memory, while PGlite
 * reads its files through the operating system's cache anyway. Measured on reopening a data directory:
 * 379 MB resident with the defaults, 209 MB with 16 MB of buffers.
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

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
 * Embedded PostgreSQL: one connection in this process; PGlite serialises access itself.
 * `loadDataDir` starts an in-memory database from a dump (`dumpDataDir`) instead of an empty cluster.
 */
export async function openPglite(dataDir?: string, options: { loadDataDir?: Blob } = {}): Promise<PgliteDb> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const release = dataDir ? lockDataDir(dataDir) : () => undefined;
  let pg: PGlite;
  chooseWasmCompiler();
  try {
    pg = await PGlite.create(dataDir, {
      startParams: START_PARAMS,
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
      parsers: {
        [types.INT8]: (value: string) => Number(value),
        [types.NUMERIC]: (value: string) => Number(value),
      },
    });
  } catch (err) {
    release();
    throw err;
  }
  const hooks = new AfterCommitHooks();
  const afterCommit = (fn: () => void) => hooks.add(fn);
  const wrap = (q: { query: PGlite['query'] }): Queryable => ({
    async query<Row>(sql: string, params?: readonly unknown[]) {
      const result = await q.query<Row>(sql, params ? [...params] : undefined);
      return result.rows;
    },
    afterCommit,
  });
  const base = wrap(pg);
  return {
    kind: 'pglite',
    query: base.query,
    afterCommit,
    async transaction(fn) {
      return hooks.around(() => pg.transaction((tx) => fn(wrap(tx))));
    },
    async exec(sql) {
      await pg.exec(sql);
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
