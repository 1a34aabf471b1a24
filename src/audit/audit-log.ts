import { createHash } from 'node:crypto';
import type { Queryable } from '../store/db.ts';

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
}

const GENESIS = '0'.repeat(64);

/** JSON with object keys sorted at every depth, so a row hashes the same after a round trip through jsonb. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return '{' + entries.map(([k, v]) => JSON.stringify(k) + ':' + canonicalJson(v)).join(',') + '}';
}

function rowHash(row: Omit<AuditRow, 'hash'>): string {
  const content = canonicalJson({
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
  });
  return createHash('sha256').update(content).digest('hex');
}

/**
 * Appends one entry to the hash chain. Call it inside the transaction that makes the change, so the change
 * and its record commit together or not at all. Locking the head row orders concurrent appends.
 */
export async function appendAudit(tx: Queryable, entry: AuditEntry, at = new Date()): Promise<number> {
  const [head] = await tx.query<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE',
  );
  if (!head) throw new Error('audit_head row is missing');
  const row: Omit<AuditRow, 'hash'> = {
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
  };
  const hash = rowHash(row);
  await tx.query(
    `INSERT INTO audit_log (seq, at, actor_type, actor_id, action, target_type, target_id, data, ip, prev_hash, hash)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`,
    [row.seq, row.at, row.actor_type, row.actor_id, row.action, row.target_type, row.target_id,
      JSON.stringify(row.data), row.ip, row.prev_hash, hash],
  );
  await tx.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1', [row.seq, hash]);
  return row.seq;
}

export interface AuditProblem {
  seq: number;
  problem: 'modified' | 'missing' | 'relinked' | 'head_mismatch';
}

export interface AuditVerification {
  ok: boolean;
  rows: number;
  problems: AuditProblem[];
}

/**
 * Walks the whole chain. A changed row no longer matches its own hash; a deleted row leaves a gap in the
 * sequence and a prev_hash that points at nothing; a deleted tail no longer reaches the head.
 */
export async function verifyAudit(db: Queryable, batchSize = 5000): Promise<AuditVerification> {
  const problems: AuditProblem[] = [];
  let expectedSeq = 1;
  let prevHash = GENESIS;
  let rows = 0;
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
      const { hash, ...content } = row;
      if (rowHash({ ...content, at: new Date(row.at) }) !== hash) problems.push({ seq: row.seq, problem: 'modified' });
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
  return { ok: problems.length === 0, rows, problems };
}
