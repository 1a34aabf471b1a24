import { PGlite, types } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';
import type { Db, Queryable } from './db.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { AfterCommitHooks } from './after-commit.ts';

export interface PgliteDb extends Db {
  /** The whole cluster as a tarball, for `openPglite(undefined, { loadDataDir })`. */
  dumpDataDir(): Promise<Blob>;
}

/**
 * Embedded PostgreSQL: one connection in this process; PGlite serialises access itself.
 * `loadDataDir` starts an in-memory database from a dump (`dumpDataDir`) instead of an empty cluster.
 */
export async function openPglite(dataDir?: string, options: { loadDataDir?: Blob } = {}): Promise<PgliteDb> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const release = dataDir ? lockDataDir(dataDir) : () => undefined;
  let pg: PGlite;
  try {
    pg = await PGlite.create(dataDir, {
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
