import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/** Any constant: every process that migrates takes the same advisory lock, so only one runs them. */
const MIGRATION_LOCK = 7_301_944;

/**
 * Applies every migration file not yet applied, in name order, each in its own transaction. `through` stops
 * after the migration with that number (upgrade tests build a database as an older version left it).
 */
export async function migrate(db: Db, opts: { through?: string } = {}): Promise<string[]> {
  // Under the lock: two processes creating the table at once on a fresh database would otherwise collide.
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version text PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
  });
  const files = (await readdir(MIGRATIONS_DIR))
    .filter((f) => /^\d+_.*\.sql$/.test(f) && (opts.through === undefined || f.split('_')[0]! <= opts.through))
    .sort();
  const applied: string[] = [];
  for (const file of files) {
    const sql = await readFile(MIGRATIONS_DIR + file, 'utf8');
    const ran = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [file]);
      if (done.length > 0) return false;
      for (const statement of splitStatements(sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version) VALUES ($1)', [file]);
      return true;
    });
    if (ran) applied.push(file);
  }
  return applied;
}

/** Migration files not yet applied to this database (empty: the schema is what this code expects). */
export async function pendingMigrations(db: Pick<Db, 'query'>): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d+_.*\.sql$/.test(f));
  const rows = await db.query<{ version: string }>('SELECT version FROM schema_migrations');
  const applied = new Set(rows.map((r) => r.version));
  return files.filter((f) => !applied.has(f)).sort();
}

/**
 * Splits a migration into statements so each runs through the same transactional query path on both
 * drivers. Statements are separated by a line holding only `--;` — explicit, so function bodies with
 * semicolons need no SQL parser here.
 */
function splitStatements(sql: string): string[] {
  return sql
    .split(/^--;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.replace(/--.*$/gm, '').trim().length > 0);
}
