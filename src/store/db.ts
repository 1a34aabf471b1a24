/**
 * The one database seam. Both the embedded PGlite and a PostgreSQL server speak the same SQL, so the rest
 * of kinkyu writes plain parameterised SQL against this interface and never knows which one it has.
 */
export interface Queryable {
  /**
   * `opts.name` prepares the statement once per connection on a PostgreSQL server (a hot statement is then
   * not parsed and planned on every call); PGlite ignores it. The same name must always carry the same SQL.
   */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[], opts?: { name?: string }): Promise<Row[]>;
  /**
   * Runs `fn` once the transaction this runs in has committed, never if it rolls back; outside a transaction
   * right away. Both drivers provide it (on the `Db` and on a transaction's handle); a stand-in may not.
   */
  afterCommit?(fn: () => void): void;
}

/** `q.afterCommit(fn)` where `q` has it, else `fn()` now. */
export function afterCommit(q: Queryable, fn: () => void): void {
  if (q.afterCommit) q.afterCommit(fn);
  else fn();
}

export interface Db extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Inside `transaction(…)` (in its async context): after it commits, never on rollback; elsewhere right away. */
  afterCommit(fn: () => void): void;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Calls `onMessage` for every NOTIFY on `channel`, also those sent by other processes. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  /** Connections of the pool (PostgreSQL only). */
  poolStats?(): { total: number; idle: number; waiting: number };
}

export interface DbConfig {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
}

export async function openDb(config: DbConfig): Promise<Db> {
  if (config.databaseUrl) {
    const { openPostgres } = await import('./postgres.ts');
    return openPostgres(config.databaseUrl);
  }
  const { openPglite } = await import('./pglite.ts');
  return openPglite(config.dataDir);
}
