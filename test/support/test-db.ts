import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPglite, type PgliteDb } from '../../src/store/pglite.ts';
import { migrate } from '../../src/store/migrate.ts';

/*
 * An embedded database with every migration applied, fast: creating a PGlite cluster (initdb) and migrating it
 * costs ~1.5 s, starting from a dump of one ~0.5 s. The dump is made once per set of migrations and kept in
 * .tmp/test-db/ (shared by the test processes; written to a temporary name and renamed, so a reader never sees
 * half a file). It holds the schema only: no audit rows and no demo data, which depend on the process's audit key
 * and the clock.
 */
const MIGRATIONS_DIR = fileURLToPath(new URL('../../src/store/migrations/', import.meta.url));
const CACHE_DIR = fileURLToPath(new URL('../../.tmp/test-db/', import.meta.url));

let template: Blob | null = null;

function migrationsHash(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(MIGRATIONS_DIR).sort()) hash.update(file).update('\0').update(readFileSync(join(MIGRATIONS_DIR, file))).update('\0');
  return hash.digest('hex').slice(0, 16);
}

async function migratedTemplate(): Promise<Blob> {
  if (template) return template;
  const path = join(CACHE_DIR, `${migrationsHash()}.tar`);
  try {
    template = new Blob([readFileSync(path)]);
    return template;
  } catch {
    // Not made yet: make it.
  }
  const db = await openPglite();
  try {
    await migrate(db);
    template = await db.dumpDataDir();
  } finally {
    await db.close();
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, Buffer.from(await template.arrayBuffer()));
  renameSync(temporary, path);
  return template;
}

/** A fresh in-memory PGlite database with the schema migrated (each call its own database). */
export async function openMigratedDb(): Promise<PgliteDb> {
  return openPglite(undefined, { loadDataDir: await migratedTemplate() });
}
