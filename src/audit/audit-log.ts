import { createHash } from 'node:crypto';
import type { Queryable } from '../store/db.ts';
import { AuditKeyError, configuredAuditKey, requireAuditKey, type AuditKey } from './audit-key.ts';

export interface AuditEntry {
  actorType: 'staff' | 'user' | 'system';
  actorId: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  data?: Record<string, unknown>;
  ip?: string | null;
}

export interface AuditRow {
  seq: number;
  at: Date;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  data: unknown;
  ip: string | null;
  prev_hash: string;
  hash: string;
  /** 'sha256': written before keyed hashes (migration 024); 'hmac-sha256': keyed with the audit key `key_id`. */
  alg: string;
  key_id: string | null;
}

export const GENESIS = '0'.repeat(64);
const KEYED = 'hmac-sha256';
const UNKEYED = 'sha256';

/** JSON with object keys sorted at every depth, so a row hashes the same after a round trip through jsonb. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return '{' + entries.map(([k, v]) => JSON.stringify(k) + ':' + canonicalJson(v)).join(',') + '}';
}

type RowContent = Omit<AuditRow, 'hash'>;

function hashedFields(row: RowContent): Record<string, unknown> {
  return {
    seq: row.seq,
    at: row.at.toISOString(),
    actor_type: row.actor_type,
    actor_id: row.actor_id,
    action: row.action,
    target_type: row.target_type,
    target_id: row.target_id,
    data: row.data,
    ip: row.ip,
    prev_hash: row.prev_hash,
  };
}

/** How rows were hashed before keyed hashes: anyone can recompute it, so it only shows accidental damage. */
function unkeyedHash(row: RowContent): string {
  return createHash('sha256').update(canonicalJson(hashedFields(row))).digest('hex');
}

/** The algorithm and key id are inside the MAC: a row cannot be relabelled without the key. */
function keyedHash(row: RowContent, key: AuditKey): string {
  return key.rowMac(canonicalJson({ ...hashedFields(row), alg: KEYED, key_id: key.id }));
}

/** A row's hash as kinkyu computes it: keyed with `key`, or (null) as entries were hashed before keyed hashes. */
export function auditRowHash(row: RowContent, key: AuditKey | null): string {
  return key ? keyedHash(row, key) : unkeyedHash(row);
}

/**
 * Appends one entry to the hash chain. Call it inside the transaction that makes the change, so the change
 * and its record commit together or not at all. Locking the head row orders concurrent appends. The entry is
 * keyed with this process's audit key; a log whose head was written with another key is refused, never
 * continued with a second key or without one.
 */
export async function appendAudit(tx: Queryable, entry: AuditEntry, at = new Date()): Promise<number> {
  return appendKeyed(tx, entry, at, requireAuditKey(), false);
}

async function appendKeyed(tx: Queryable, entry: AuditEntry, at: Date, key: AuditKey, rotating: boolean): Promise<number> {
  const [head] = await tx.query<{ seq: number; hash: string; key_id: string | null }>(
    'SELECT seq, hash, key_id FROM audit_head WHERE id = 1 FOR UPDATE',
  );
  if (!head) throw new Error('audit_head row is missing');
  if (!rotating && head.key_id !== null && head.key_id !== key.id) {
    throw new AuditKeyError('mismatch', { logKeyId: head.key_id, givenKeyId: key.id });
  }
  const row: RowContent = {
    seq: head.seq + 1,
    // Millisecond precision: what JavaScript dates can carry, so the stored value hashes the same on read.
    at: new Date(Math.floor(at.getTime())),
    actor_type: entry.actorType,
    actor_id: entry.actorId,
    action: entry.action,
    target_type: entry.targetType ?? null,
    target_id: entry.targetId ?? null,
    data: JSON.parse(canonicalJson(entry.data ?? {})),
    ip: entry.ip ?? null,
    prev_hash: head.hash,
    alg: KEYED,
    key_id: key.id,
  };
  const hash = keyedHash(row, key);
  // The entry and the head it becomes, in one statement.
  await tx.query(
    `WITH head AS (UPDATE audit_head SET seq = $1, hash = $11, key_id = $13 WHERE id = 1)
     INSERT INTO audit_log (seq, at, actor_type, actor_id, action, target_type, target_id, data, ip, prev_hash, hash, alg, key_id)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
    [row.seq, row.at, row.actor_type, row.actor_id, row.action, row.target_type, row.target_id,
      JSON.stringify(row.data), row.ip, row.prev_hash, hash, row.alg, key.id],
  );
  return row.seq;
}

/** The key id the log's newest entry was written with (null: none yet, or only entries from before keyed hashes). */
export async function auditHeadKeyId(db: Queryable): Promise<string | null> {
  const [head] = await db.query<{ key_id: string | null }>('SELECT key_id FROM audit_head WHERE id = 1');
  return head?.key_id ?? null;
}

/** Start-up check: refuses a key other than the one the log is being written with, before anything is appended. */
export async function assertAuditKeyMatches(db: Queryable, key: AuditKey): Promise<void> {
  const logKeyId = await auditHeadKeyId(db);
  if (logKeyId !== null && logKeyId !== key.id) throw new AuditKeyError('mismatch', { logKeyId, givenKeyId: key.id });
}

/**
 * Switches the log to a new key: one entry, keyed with the new key, that names the old and new key ids and
 * chains on from the current head. Entries before it keep verifying with the old key, entries after it with the
 * new one. `oldKey` null: the old key was lost (the entry says so; the old entries can then no longer be checked).
 */
export async function rotateAuditKey(tx: Queryable, newKey: AuditKey, oldKey: AuditKey | null, at = new Date()): Promise<number> {
  const [head] = await tx.query<{ key_id: string | null }>('SELECT key_id FROM audit_head WHERE id = 1 FOR UPDATE');
  const current = head?.key_id ?? null;
  if (current === newKey.id) throw new AuditKeyError('same_key', { keyId: newKey.id });
  if (oldKey && current !== null && oldKey.id !== current) {
    throw new AuditKeyError('mismatch', { logKeyId: current, givenKeyId: oldKey.id });
  }
  return appendKeyed(tx, {
    actorType: 'system',
    actorId: null,
    action: ROTATE_ACTION,
    data: { from_key_id: current, to_key_id: newKey.id, old_key_given: oldKey !== null },
  }, at, newKey, true);
}

export type AuditProblemKind =
  | 'modified'
  | 'missing'
  | 'relinked'
  | 'head_mismatch'
  /** An unkeyed entry after a keyed one: someone re-hashed the tail without the key. */
  | 'downgraded'
  /** A keyed entry with another key than the one before it, and no rotation entry between: not ours. */
  | 'key_switched'
  /** The checkpoint names this entry, and it is gone: the log was cut back. */
  | 'removed_since_checkpoint'
  /** The checkpoint names this entry with another hash: it (or an entry before it) was rewritten. */
  | 'differs_from_checkpoint';

export interface AuditProblem {
  seq: number;
  problem: AuditProblemKind;
}

/** Entries written with a key that was not given: their content could not be checked. */
export interface UnverifiedRange {
  keyId: string;
  firstSeq: number;
  lastSeq: number;
  rows: number;
  /** The rotation entry (checked with the new key) that declared this key lost; then the range does not fail verification. */
  declaredLost?: number;
}

export interface AuditVerification {
  /** Nothing wrong, and every entry checked (except those written with a key that a rotation declared lost). */
  ok: boolean;
  rows: number;
  /** Entries with a keyed hash (the rest were written before keyed hashes). */
  keyedRows: number;
  problems: AuditProblem[];
  unverified: UnverifiedRange[];
}

export interface VerifyOptions {
  /** The keys to check keyed entries with (current and former ones); default: this process's key. */
  keys?: readonly AuditKey[];
  batchSize?: number;
}

function keyring(keys: readonly AuditKey[] | undefined): Map<string, AuditKey> {
  const list = keys ?? [configuredAuditKey()].filter((k): k is AuditKey => k !== null);
  return new Map(list.map((k) => [k.id, k]));
}

/** The latest entries for the staff audit page (no IPs, no hashes). */
export function listRecentEntries(db: Queryable, limit = 200): Promise<Omit<AuditRow, 'ip' | 'prev_hash' | 'hash'>[]> {
  return db.query<Omit<AuditRow, 'ip' | 'prev_hash' | 'hash'>>(`SELECT seq, at, actor_type, actor_id, action, target_type, target_id, data FROM audit_log ORDER BY seq DESC LIMIT $1`, [limit]);
}

/**
 * Walks the whole chain. A changed row no longer matches its own hash; a deleted row leaves a gap in the
 * sequence and a prev_hash that points at nothing; a deleted tail no longer reaches the head. A rewrite that
 * re-hashes every later row passes only for unkeyed rows: keyed ones cannot be re-hashed without the key, and
 * an unkeyed row after a keyed one is a downgrade. Only a checkpoint kept elsewhere shows a cut-back tail.
 */
export async function verifyAudit(db: Queryable, opts: VerifyOptions = {}): Promise<AuditVerification> {
  const keys = keyring(opts.keys);
  const batchSize = opts.batchSize ?? 5000;
  const problems: AuditProblem[] = [];
  const unverified: UnverifiedRange[] = [];
  let expectedSeq = 1;
  let prevHash = GENESIS;
  let rows = 0;
  let keyedRows = 0;
  let lastKeyId: string | null = null;
  for (;;) {
    const batch = await db.query<AuditRow>(
      'SELECT * FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2',
      [expectedSeq, batchSize],
    );
    if (batch.length === 0) break;
    for (const row of batch) {
      rows++;
      if (row.seq !== expectedSeq) {
        for (let s = expectedSeq; s < row.seq; s++) problems.push({ seq: s, problem: 'missing' });
      }
      const { hash, ...rest } = row;
      const content: RowContent = { ...rest, at: new Date(row.at) };
      let intact: boolean;
      if (row.alg === UNKEYED && row.key_id === null) {
        if (lastKeyId !== null) {
          problems.push({ seq: row.seq, problem: 'downgraded' });
          intact = true;
        } else {
          intact = unkeyedHash(content) === hash;
        }
      } else if (row.alg === KEYED && row.key_id !== null) {
        keyedRows++;
        const key = keys.get(row.key_id);
        if (key) intact = keyedHash(content, key) === hash;
        else {
          noteUnverified(unverified, row.key_id, row.seq);
          intact = true;
        }
        const rotation = rotationOf(row);
        if (lastKeyId !== null && row.key_id !== lastKeyId && !(rotation && rotation.from === lastKeyId && rotation.to === row.key_id)) {
          problems.push({ seq: row.seq, problem: 'key_switched' });
        }
        // A rotation that declares the old key lost, itself checked with the new key, accounts for the
        // unchecked entries before it: they are reported, not failed.
        const open = unverified[unverified.length - 1];
        if (key && intact && rotation && !rotation.oldKeyGiven && open && open.keyId === rotation.from && open.lastSeq === row.seq - 1) {
          open.declaredLost = row.seq;
        }
        lastKeyId = row.key_id;
      } else {
        intact = false;
      }
      if (!intact) problems.push({ seq: row.seq, problem: 'modified' });
      else if (row.prev_hash !== prevHash && row.seq === expectedSeq) {
        problems.push({ seq: row.seq, problem: 'relinked' });
      }
      prevHash = hash;
      expectedSeq = row.seq + 1;
    }
  }
  const [head] = await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1');
  if (head && (head.seq !== expectedSeq - 1 || (head.seq > 0 && head.hash !== prevHash))) {
    problems.push({ seq: head.seq, problem: 'head_mismatch' });
  }
  const ok = problems.length === 0 && unverified.every((r) => r.declaredLost !== undefined);
  return { ok, rows, keyedRows, problems, unverified };
}

const ROTATE_ACTION = 'audit.key_rotate';

function rotationOf(row: AuditRow): { from: string | null; to: string; oldKeyGiven: boolean } | null {
  if (row.action !== ROTATE_ACTION || row.actor_type !== 'system') return null;
  const data = row.data as { from_key_id?: unknown; to_key_id?: unknown; old_key_given?: unknown } | null;
  if (typeof data?.to_key_id !== 'string') return null;
  return { from: typeof data.from_key_id === 'string' ? data.from_key_id : null, to: data.to_key_id, oldKeyGiven: data.old_key_given === true };
}

function noteUnverified(ranges: UnverifiedRange[], keyId: string, seq: number): void {
  const last = ranges[ranges.length - 1];
  if (last && last.keyId === keyId) {
    last.lastSeq = seq;
    last.rows++;
  } else {
    ranges.push({ keyId, firstSeq: seq, lastSeq: seq, rows: 1 });
  }
}
