import pg from 'pg';
import type { Db, Queryable } from './db.ts';
import { AfterCommitHooks } from './after-commit.ts';

const INT8_OID = 20;
const NUMERIC_OID = 1700;
const QUERY_TIMEOUT_MS = Number(process.env.DATABASE_QUERY_TIMEOUT_MS ?? 10_000);

/** A PostgreSQL server through a connection pool; LISTEN runs on a dedicated connection that reconnects. */
export async function openPostgres(connectionString: string): Promise<Db> {
  const typeParsers = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
      return pg.types.getTypeParser(oid, format);
    },
  };
  const pool = new pg.Pool({
    connectionString,
    max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
    // Fail fast when the server is gone, so callers can fall back to what they already have.
    connectionTimeoutMillis: 3000,
    // A server that stops answering (a partition, not a refusal) must fail queries too, not hang them.
    query_timeout: QUERY_TIMEOUT_MS,
    statement_timeout: QUERY_TIMEOUT_MS,
    keepAlive: true,
    types: typeParsers as pg.CustomTypesConfig,
  });
  pool.on('error', () => {
    /* an idle client lost its connection; the pool replaces it */
  });
  const listeners = new Map<string, Set<(payload: string) => void>>();
  let listenClient: pg.Client | null = null;
  let closed = false;
  let reconnectTimer: NodeJS.Timeout | null = null;

  async function connectListener(): Promise<void> {
    if (closed || listenClient) return;
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: 3000, keepAlive: true });
    const retry = () => {
      if (listenClient === client) listenClient = null;
      client.removeAllListeners();
      client.end().catch(() => undefined);
      if (!closed && !reconnectTimer) {
        reconnectTimer = setTimeout(() => {
          reconnectTimer = null;
          connectListener().catch(() => undefined);
        }, 1000);
      }
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (msg) => {
      for (const cb of listeners.get(msg.channel) ?? []) cb(msg.payload ?? '');
    });
    try {
      await client.connect();
      listenClient = client;
      for (const channel of listeners.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`);
    } catch {
      retry();
    }
  }

  const hooks = new AfterCommitHooks();
  const afterCommit = (fn: () => void) => hooks.add(fn);
  const base: Queryable = {
    async query<Row>(sql: string, params?: readonly unknown[], opts?: { name?: string }) {
      const values = params ? [...params] : undefined;
      const result = opts?.name ? await pool.query({ name: opts.name, text: sql, values }) : await pool.query(sql, values);
      return result.rows as Row[];
    },
    afterCommit,
  };

  async function inTransaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    // While checked out, a client has no pool listener: a connection lost now (server restart, network
    // reset) would otherwise be an unhandled 'error' event and take the whole process down.
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken = err;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const tx: Queryable = {
        async query<Row>(sql: string, params?: readonly unknown[], opts?: { name?: string }) {
          const values = params ? [...params] : undefined;
          const result = opts?.name ? await client.query({ name: opts.name, text: sql, values }) : await client.query(sql, values);
          return result.rows as Row[];
        },
        afterCommit,
      };
      const value = await fn(tx);
      await client.query('COMMIT');
      return value;
    } catch (err) {
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.off('error', onError);
      // A broken connection is destroyed rather than handed to the next caller.
      client.release(broken ?? false);
    }
  }

  return {
    kind: 'postgres',
    query: base.query,
    afterCommit,
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    transaction(fn) {
      return hooks.around(() => inTransaction(fn));
    },
    async exec(sql) {
      await pool.query(sql);
    },
    async listen(channel, onMessage) {
      let set = listeners.get(channel);
      const isNew = !set;
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(onMessage);
      if (!listenClient) await connectListener();
      else if (isNew) await listenClient.query(`LISTEN ${quoteIdent(channel)}`);
      return async () => {
        set.delete(onMessage);
      };
    },
    async close() {
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      const client = listenClient;
      listenClient = null;
      if (client) {
        client.removeAllListeners();
        await client.end().catch(() => undefined);
      }
      await pool.end();
    },
  };
}

function quoteIdent(name: string): string {
  return '"' + name.replaceAll('"', '""') + '"';
}
