/** The staff home's own read: four-eyes approvals waiting for someone else. */
import type { Queryable } from '../store/db.ts';

export interface PendingUnlock {
  id: string;
  accountId: string;
  requesterName: string;
  requestedAt: Date;
  note: string;
}

/** Unlock requests another staff member made that are waiting for a second person's decision. */
export async function pendingUnlocksFor(q: Queryable, staffId: string): Promise<PendingUnlock[]> {
  const rows = await q.query<{ id: string; account_id: string; name: string; requested_at: Date; note: string }>(
    `SELECT r.id, r.account_id, s.name, r.requested_at, r.note
       FROM unlock_requests r JOIN staff s ON s.id = r.requested_by
      WHERE r.decision IS NULL AND r.requested_by <> $1
      ORDER BY r.requested_at LIMIT 50`,
    [staffId],
  );
  return rows.map((r) => ({ id: r.id, accountId: r.account_id, requesterName: r.name, requestedAt: new Date(r.requested_at), note: r.note }));
}
