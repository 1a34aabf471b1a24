/**
 * Named prepared statements for the embedded database. PGlite's `query()` sends every statement as PostgreSQL's
 * unnamed statement, so each call parses, analyses and plans it again; the application sends the same few hundred
 * statement texts over and over. Here a text seen twice is prepared once under a name (Parse + Describe) and then
 * only bound and executed (Bind, Describe, Execute, Sync), as a PostgreSQL driver with named statements does.
 * Measured on the embedded database: the page's incident query 550 → 238 µs of CPU; an incident update (~20
 * statements, with its fan-out) 18 → 11.6 ms.
 *
 * Used on whichever thread PGlite runs (pglite-worker.ts, or pglite.ts with `thread: 'main'`); `enabled: false`
 * sends every statement unprepared, to measure the difference (`npm run bench:update`).
 *
 * It uses PGlite's public protocol API (`protocol.serialize`, `parse.parseResults`, `execProtocolStream`) and its
 * two locks the way `query()` does (`_runExclusiveTransaction` outside a transaction, `_runExclusiveQuery` inside).
 * After a schema change a prepared `SELECT *` could fail ("cached plan must not change result type"), so any DDL
 * forgets every prepared statement; the names already used are never reused.
 */
import { parse, protocol, type PGlite, type Transaction } from '@electric-sql/pglite';

type Row = Record<string, unknown>;

/** Statements kept prepared at most (texts built with a varying number of placeholders are not worth more). */
const MAX_PREPARED = 500;
/** Texts counted at most while waiting for their second use. */
const MAX_COUNTED = 5_000;
/** A statement that may change a table's shape: every prepared statement is forgotten after it. */
const SCHEMA_CHANGE = /^\s*(?:create|alter|drop|comment|truncate|grant|revoke|reindex)\b/i;

interface Prepared {
  name: string;
  /** Parameter type OIDs, for PGlite's serializers. */
  types: number[];
}

export class PreparedStatements {
  readonly #pg: PGlite;
  readonly #enabled: boolean;
  readonly #prepared = new Map<string, Prepared>();
  readonly #seen = new Set<string>();
  #next = 0;

  constructor(pg: PGlite, options: { enabled?: boolean } = {}) {
    this.#pg = pg;
    this.#enabled = options.enabled ?? true;
  }

  /** A statement on its own (its own implicit transaction). */
  async query(sql: string, params: unknown[] | undefined): Promise<Row[]> {
    const statement = this.#lookUp(sql);
    if (!statement) return this.#plain(this.#pg, sql, params);
    return this.#pg._runExclusiveTransaction(() => this.#pg._runExclusiveQuery(() => this.#run(sql, statement, params ?? [], false)));
  }

  /** A statement in the open transaction `tx` (which holds the transaction lock). */
  async queryIn(tx: Transaction, sql: string, params: unknown[] | undefined): Promise<Row[]> {
    const statement = this.#lookUp(sql);
    if (!statement) return this.#plain(tx, sql, params);
    return this.#pg._runExclusiveQuery(() => this.#run(sql, statement, params ?? [], true));
  }

  /** After `exec` (several statements, migrations): the schema may have changed. */
  forgetAll(): void {
    this.#prepared.clear();
    this.#seen.clear();
  }

  async #plain(on: PGlite | Transaction, sql: string, params: unknown[] | undefined): Promise<Row[]> {
    const result = await on.query<Row>(sql, params);
    if (SCHEMA_CHANGE.test(sql)) this.forgetAll();
    return result.rows;
  }

  /**
   * The prepared statement for `sql`, 'prepare' from its second use on (never a schema change), or null: send it
   * unprepared.
   */
  #lookUp(sql: string): Prepared | 'prepare' | null {
    if (!this.#enabled) return null;
    const prepared = this.#prepared.get(sql);
    if (prepared) return prepared;
    if (this.#prepared.size >= MAX_PREPARED || SCHEMA_CHANGE.test(sql)) return null;
    if (this.#seen.has(sql)) return 'prepare';
    if (this.#seen.size >= MAX_COUNTED) this.#seen.clear();
    this.#seen.add(sql);
    return null;
  }

  async #run(sql: string, found: Prepared | 'prepare', params: unknown[], inTransaction: boolean): Promise<Row[]> {
    const pg = this.#pg;
    const { serialize } = protocol;
    // The messages of one step go to the backend in one buffer, ending with Sync: it answers them all in one pass
    // (a failed step throws after the backend has processed its Sync, so the session is ready for the next).
    const exec = (...messages: Uint8Array[]) => pg.execProtocolStream(concat(messages), { syncToFs: false });
    let statement = found === 'prepare' ? this.#prepared.get(sql) : found;
    if (!statement) {
      const name = `kinkyu_${++this.#next}`;
      const described = await exec(serialize.parse({ name, text: sql }), serialize.describe({ type: 'S', name }), serialize.sync());
      statement = { name, types: parse.parseDescribeStatementResults(described) };
      this.#prepared.set(sql, statement);
      this.#seen.delete(sql);
    }
    const types = statement.types;
    const values = params.map((value, i) => {
      if (value === null || value === undefined) return null;
      const serializer = pg.serializers[types[i]!];
      return serializer ? serializer(value) : String(value);
    });
    const messages = await exec(
      serialize.bind({ statement: statement.name, values }),
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.sync(),
    );
    if (!inTransaction) await pg.syncToFs();
    return (parse.parseResults(messages, pg.parsers)[0]?.rows ?? []) as Row[];
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
