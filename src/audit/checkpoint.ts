import type { Queryable } from '../store/db.ts';
import { sameSecret } from '../domain/secrets.ts';
import { canonicalJson, GENESIS, verifyAudit, type AuditProblem, type AuditVerification } from './audit-log.ts';
import type { AuditKey } from './audit-key.ts';

/**
 * The chain's head, signed with the audit key, kept OUTSIDE the database (a file, a log shipped off-host, the
 * static export). Someone who rewrites the database can make every row consistent again, and can cut rows off
 * the end, but cannot make an older checkpoint disagree with neither.
 */
export interface AuditCheckpoint {
  kind: 'kinkyu-audit-checkpoint';
  v: 1;
  /** The head entry's sequence number (0: the log was empty). */
  seq: number;
  hash: string;
  /** When the checkpoint was taken. */
  at: string;
  key_id: string;
  sig: string;
}

type Unsigned = Omit<AuditCheckpoint, 'sig'>;

function signedContent(c: Unsigned): string {
  return canonicalJson({ kind: c.kind, v: c.v, seq: c.seq, hash: c.hash, at: c.at, key_id: c.key_id });
}

/** Reads the head as committed now and signs it. One query; no lock. */
export async function takeCheckpoint(db: Queryable, key: AuditKey, at: Date): Promise<AuditCheckpoint> {
  const [head] = await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1');
  const unsigned: Unsigned = {
    kind: 'kinkyu-audit-checkpoint',
    v: 1,
    seq: head?.seq ?? 0,
    hash: head?.hash ?? GENESIS,
    at: at.toISOString(),
    key_id: key.id,
  };
  return { ...unsigned, sig: key.checkpointMac(signedContent(unsigned)) };
}

export function checkpointSignatureValid(checkpoint: AuditCheckpoint, key: AuditKey): boolean {
  return sameSecret(checkpoint.sig, key.checkpointMac(signedContent(checkpoint)));
}

/** A checkpoint file that cannot be read or is none: a usage problem, not a verdict on the log. */
export class CheckpointFormatError extends Error {
  constructor(
    message: string,
    readonly messageJa: string,
  ) {
    super(message);
    this.name = 'CheckpointFormatError';
  }
}

function isCheckpoint(value: unknown): value is AuditCheckpoint {
  const c = value as Record<string, unknown> | null;
  return typeof c === 'object' && c !== null && c.kind === 'kinkyu-audit-checkpoint' && c.v === 1
    && Number.isSafeInteger(c.seq) && (c.seq as number) >= 0
    && typeof c.hash === 'string' && /^[0-9a-f]{64}$/.test(c.hash)
    && typeof c.at === 'string' && typeof c.key_id === 'string' && typeof c.sig === 'string';
}

/**
 * A checkpoint file as `kinkyu audit checkpoint` writes it, or a server log (JSON lines): then the newest
 * line carrying an `auditCheckpoint` is used.
 */
export function parseCheckpoint(text: string): AuditCheckpoint {
  const candidates: unknown[] = [];
  try {
    candidates.push(JSON.parse(text));
  } catch {
    for (const line of text.split('\n').reverse()) {
      if (!line.includes('auditCheckpoint')) continue;
      try {
        candidates.push(JSON.parse(line));
        break;
      } catch {
        /* not a JSON line */
      }
    }
  }
  for (const candidate of candidates) {
    const value = (candidate as { auditCheckpoint?: unknown } | null)?.auditCheckpoint ?? candidate;
    if (isCheckpoint(value)) return value;
  }
  throw new CheckpointFormatError(
    'not a kinkyu audit checkpoint (expected the JSON that `kinkyu audit checkpoint` writes, or a server log line with "auditCheckpoint")',
    '監査ログのチェックポイントではありません (`kinkyu audit checkpoint` が書く JSON か、"auditCheckpoint" を含むサーバーのログ行を指定してください)',
  );
}

/**
 * The whole chain from genesis, and the checkpoint's entry still there with exactly the checkpoint's hash.
 * The caller has checked the signature (`checkpointSignatureValid`).
 */
export async function verifyAgainstCheckpoint(db: Queryable, checkpoint: AuditCheckpoint, keys: readonly AuditKey[]): Promise<AuditVerification> {
  const result = await verifyAudit(db, { keys });
  if (checkpoint.seq === 0) return result;
  const [row] = await db.query<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = $1', [checkpoint.seq]);
  const found: AuditProblem | null = !row
    ? { seq: checkpoint.seq, problem: 'removed_since_checkpoint' }
    : row.hash !== checkpoint.hash
    ? { seq: checkpoint.seq, problem: 'differs_from_checkpoint' }
    : null;
  if (!found) return result;
  const problems = [...result.problems, found];
  return { ...result, ok: false, problems };
}
