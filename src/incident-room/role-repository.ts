/** Staff as the room needs them, and who holds which role in an incident. */
import type { Queryable } from '../store/db.ts';
import type { Role } from '../staff/permissions.ts';
import { date } from './repository-rows.ts';

// ---------------------------------------------------------------------------------------------------------
// Staff

export interface StaffRow {
  id: string;
  name: string;
  email: string;
  role: Role;
  disabledAt: Date | null;
}

export async function staffById(q: Queryable, id: string): Promise<StaffRow | null> {
  const [r] = await q.query<{ id: string; name: string; email: string; role: Role; disabled_at: Date | null }>(
    'SELECT id, name, email, role, disabled_at FROM staff WHERE id = $1', [id],
  );
  return r ? { id: r.id, name: r.name, email: r.email, role: r.role, disabledAt: date(r.disabled_at) } : null;
}

export async function activeStaff(q: Queryable): Promise<StaffRow[]> {
  const rows = await q.query<{ id: string; name: string; email: string; role: Role }>(
    'SELECT id, name, email, role FROM staff WHERE disabled_at IS NULL ORDER BY name, id',
  );
  return rows.map((r) => ({ ...r, disabledAt: null }));
}

// ---------------------------------------------------------------------------------------------------------
// Roles

export interface Assignment {
  id: string;
  incidentId: string;
  role: string;
  staffId: string;
  staffName: string;
  staffEmail: string;
  staffRole: Role;
  assignedAt: Date;
}

export async function activeAssignments(q: Queryable, incidentIds: readonly string[]): Promise<Assignment[]> {
  if (incidentIds.length === 0) return [];
  const rows = await q.query<{ id: string; incident_id: string; role: string; staff_id: string; name: string; email: string; staff_role: Role; assigned_at: Date }>(
    `SELECT a.id, a.incident_id, a.role, a.staff_id, s.name, s.email, s.role AS staff_role, a.assigned_at
       FROM incident_role_assignments a JOIN staff s ON s.id = a.staff_id
      WHERE a.incident_id = ANY($1::text[]) AND a.released_at IS NULL
      ORDER BY a.assigned_at, a.id`,
    [incidentIds],
  );
  return rows.map((r) => ({
    id: r.id, incidentId: r.incident_id, role: r.role, staffId: r.staff_id, staffName: r.name, staffEmail: r.email,
    staffRole: r.staff_role, assignedAt: new Date(r.assigned_at),
  }));
}

export async function insertAssignment(
  tx: Queryable,
  a: { id: string; incidentId: string; role: string; staffId: string; assignedBy: string | null; at: Date },
): Promise<void> {
  await tx.query(
    `INSERT INTO incident_role_assignments (id, incident_id, role, staff_id, assigned_by, assigned_at) VALUES ($1,$2,$3,$4,$5,$6)`,
    [a.id, a.incidentId, a.role, a.staffId, a.assignedBy, a.at],
  );
}

export async function releaseAssignment(tx: Queryable, id: string, at: Date, by: string | null): Promise<void> {
  await tx.query('UPDATE incident_role_assignments SET released_at = $2, released_by = $3 WHERE id = $1 AND released_at IS NULL', [id, at, by]);
}
