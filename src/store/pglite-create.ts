import { PGlite, types } from '@electric-sql/pglite';

/**
 * Sized for what the embedded database is for (one process, a small exchange or a demo; a large one runs
 * PostgreSQL): PostgreSQL's default 128 MB of shared buffers is most of a small server's memory, while PGlite
 * reads its files through the operating system's cache anyway. Measured on reopening a data directory:
 * 379 MB resident with the defaults, 209 MB with 16 MB of buffers.
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/**
 * The embedded database as kinkyu opens it, on whichever thread (pglite-worker.ts, or pglite.ts with
 * `thread: 'main'`): bigint and numeric read as numbers, as the pg driver is configured for PostgreSQL.
 */
export function createPglite(dataDir: string | undefined, loadDataDir?: Blob): Promise<PGlite> {
  return PGlite.create(dataDir, {
    startParams: START_PARAMS,
    ...(loadDataDir ? { loadDataDir } : {}),
    parsers: {
      [types.INT8]: (value: string) => Number(value),
      [types.NUMERIC]: (value: string) => Number(value),
    },
  });
}
