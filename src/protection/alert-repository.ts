/** Detection alerts, the staff side: reading and acknowledging them (audited). */
import type { Db } from '../store/db.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Actor } from '../domain/actor.ts';
import { KinkyuError } from '../domain/errors.ts';
import type { RuleId } from './detection-rules.ts';
import type { AlertActions, SecurityAlert } from './detection.ts';

interface AlertRow {
  id: string;
  account_id: string | null;
  ip: string | null;
  rules: RuleId[] | string;
  score: number;
  evidence: SecurityAlert['evidence'] | string;
  actions: AlertActions | string;
  created_at: Date | string;
  acknowledged_by: string | null;
  acknowledged_by_name: string | null;
  acknowledged_at: Date | string | null;
}

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

function toAlert(r: AlertRow): SecurityAlert {
  return {
    id: r.id,
    accountId: r.account_id,
    ip: r.ip,
    rules: json(r.rules),
    score: Number(r.score),
    evidence: json(r.evidence),
    actions: json(r.actions),
    createdAt: new Date(r.created_at),
    acknowledgedBy: r.acknowledged_by,
    acknowledgedByName: r.acknowledged_by_name,
    acknowledgedAt: r.acknowledged_at ? new Date(r.acknowledged_at) : null,
  };
}

const ALERT_SELECT = `SELECT a.id, a.account_id, a.ip, a.rules, a.score, a.evidence, a.actions, a.created_at, a.acknowledged_by, s.name AS acknowledged_by_name, a.acknowledged_at
  FROM security_alerts a LEFT JOIN staff s ON s.id = a.acknowledged_by`;

export async function listAlerts(db: Db, filter: { unacknowledged?: boolean; accountId?: string; limit?: number; offset?: number } = {}): Promise<{ alerts: SecurityAlert[]; total: number }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.unacknowledged) where.push('a.acknowledged_at IS NULL');
  if (filter.accountId) {
    params.push(filter.accountId);
    where.push(`a.account_id = $${params.length}`);
  }
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const [count] = await db.query<{ n: string | number }>(`SELECT count(*) AS n FROM security_alerts a ${w}`, params);
  const limit = Math.min(Math.max(filter.limit ?? 50, 1), 500);
  const offset = Math.max(filter.offset ?? 0, 0);
  const rows = await db.query<AlertRow>(`${ALERT_SELECT} ${w} ORDER BY a.created_at DESC, a.id DESC LIMIT ${limit} OFFSET ${offset}`, params);
  return { alerts: rows.map(toAlert), total: Number(count?.n ?? 0) };
}

export async function getAlert(db: Db, id: string): Promise<SecurityAlert> {
  const rows = /^[0-9a-z]{1,40}$/i.test(id) ? await db.query<AlertRow>(`${ALERT_SELECT} WHERE a.id = $1`, [id]) : [];
  if (!rows[0]) throw new KinkyuError('NOT_FOUND', { what: 'alert' });
  return toAlert(rows[0]);
}

/** Staff have looked at the alert. Audited. Acknowledging twice is refused. */
export async function acknowledgeAlert(db: Db, actor: Actor, id: string, now = new Date()): Promise<void> {
  if (actor.type !== 'staff' || !actor.id) throw new KinkyuError('FORBIDDEN');
  await db.transaction(async (tx) => {
    const rows = /^[0-9a-z]{1,40}$/i.test(id)
      ? await tx.query<{ acknowledged_at: Date | null; account_id: string | null }>(`SELECT acknowledged_at, account_id FROM security_alerts WHERE id = $1 FOR UPDATE`, [id])
      : [];
    const row = rows[0];
    if (!row) throw new KinkyuError('NOT_FOUND', { what: 'alert' });
    if (row.acknowledged_at) throw new KinkyuError('CONFLICT', { rule: 'already_acknowledged' });
    await tx.query(`UPDATE security_alerts SET acknowledged_by = $2, acknowledged_at = $3 WHERE id = $1`, [id, actor.id, now]);
    await appendAudit(tx, { actorType: 'staff', actorId: actor.id, ip: actor.ip ?? null, action: 'security.alert_acknowledge', targetType: 'security_alert', targetId: id, data: { accountId: row.account_id } });
  });
}

/** Whether the account has an open lock (for the alert page). */
export async function openLock(db: Db, accountId: string): Promise<{ id: string; lockedAt: Date; source: string } | null> {
  const [row] = await db.query<{ id: string; locked_at: Date | string; source: string }>(
    `SELECT id, locked_at, source FROM account_locks WHERE account_id = $1 AND unlocked_at IS NULL ORDER BY locked_at DESC LIMIT 1`,
    [accountId],
  );
  return row ? { id: row.id, lockedAt: new Date(row.locked_at), source: row.source } : null;
}
