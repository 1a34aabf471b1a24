/** An incident's tasks, and the open ones of a staff member across open incidents. */
import type { Queryable } from '../store/db.ts';
import type { Severity } from '../domain/incident.ts';
import { date } from './repository-rows.ts';

// ---------------------------------------------------------------------------------------------------------
// Tasks

export interface Task {
  id: string;
  incidentId: string;
  position: number;
  checklistKey: string | null;
  titleJa: string;
  titleEn: string | null;
  ownerId: string | null;
  ownerName: string | null;
  ownerRole: string | null;
  dueAt: Date | null;
  doneAt: Date | null;
  doneBy: string | null;
  doneByName: string | null;
  createdAt: Date;
}

interface TaskRow {
  id: string; incident_id: string; position: number; checklist_key: string | null; title_ja: string; title_en: string | null;
  owner_id: string | null; owner_name: string | null; owner_role: string | null; due_at: Date | null; done_at: Date | null;
  done_by: string | null; done_by_name: string | null; created_at: Date;
}

const TASK_SELECT = `SELECT t.*, o.name AS owner_name, d.name AS done_by_name
  FROM incident_tasks t LEFT JOIN staff o ON o.id = t.owner_id LEFT JOIN staff d ON d.id = t.done_by`;

const toTask = (r: TaskRow): Task => ({
  id: r.id, incidentId: r.incident_id, position: r.position, checklistKey: r.checklist_key, titleJa: r.title_ja, titleEn: r.title_en,
  ownerId: r.owner_id, ownerName: r.owner_name, ownerRole: r.owner_role, dueAt: date(r.due_at), doneAt: date(r.done_at),
  doneBy: r.done_by, doneByName: r.done_by_name, createdAt: new Date(r.created_at),
});

export async function tasksOf(q: Queryable, incidentId: string): Promise<Task[]> {
  const rows = await q.query<TaskRow>(`${TASK_SELECT} WHERE t.incident_id = $1 ORDER BY t.position, t.created_at, t.id`, [incidentId]);
  return rows.map(toTask);
}

export async function findTask(q: Queryable, incidentId: string, taskId: string): Promise<Task | null> {
  const [row] = await q.query<TaskRow>(`${TASK_SELECT} WHERE t.incident_id = $1 AND t.id = $2`, [incidentId, taskId]);
  return row ? toTask(row) : null;
}

export async function nextTaskPosition(tx: Queryable, incidentId: string): Promise<number> {
  const [row] = await tx.query<{ n: number }>('SELECT COALESCE(max(position), 0)::int + 1 AS n FROM incident_tasks WHERE incident_id = $1', [incidentId]);
  return row?.n ?? 1;
}

export async function insertTask(
  tx: Queryable,
  t: {
    id: string; incidentId: string; position: number; checklistKey: string | null; titleJa: string; titleEn: string | null;
    ownerId: string | null; ownerRole: string | null; dueAt: Date | null; createdBy: string | null; at: Date;
  },
): Promise<void> {
  await tx.query(
    `INSERT INTO incident_tasks (id, incident_id, position, checklist_key, title_ja, title_en, owner_id, owner_role, due_at,
       created_at, created_by, updated_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$10)`,
    [t.id, t.incidentId, t.position, t.checklistKey, t.titleJa, t.titleEn, t.ownerId, t.ownerRole, t.dueAt, t.at, t.createdBy],
  );
}

export async function updateTask(
  tx: Queryable,
  id: string,
  t: { titleJa: string; titleEn: string | null; ownerId: string | null; ownerRole: string | null; dueAt: Date | null; at: Date },
): Promise<void> {
  await tx.query(
    `UPDATE incident_tasks SET title_ja = $2, title_en = $3, owner_id = $4, owner_role = $5, due_at = $6, updated_at = $7 WHERE id = $1`,
    [id, t.titleJa, t.titleEn, t.ownerId, t.ownerRole, t.dueAt, t.at],
  );
}

/** Ticks (`done`) or unticks a task at `at`. */
export async function setTaskDone(tx: Queryable, id: string, done: boolean, at: Date, by: string | null): Promise<void> {
  await tx.query('UPDATE incident_tasks SET done_at = $2, done_by = $3, updated_at = $4 WHERE id = $1', [id, done ? at : null, done ? by : null, at]);
}

/** Open tasks of a staff member in open incidents: theirs by name, or by a role they hold in that incident. */
export interface MyTask extends Task {
  incidentNameJa: string;
  incidentNameEn: string | null;
  severity: Severity;
}

export async function openTasksOf(q: Queryable, staffId: string): Promise<MyTask[]> {
  const rows = await q.query<TaskRow & { incident_name_ja: string; incident_name_en: string | null; severity: Severity }>(
    `SELECT t.*, o.name AS owner_name, NULL::text AS done_by_name, i.name_ja AS incident_name_ja, i.name_en AS incident_name_en, i.severity
       FROM incident_tasks t JOIN incidents i ON i.id = t.incident_id LEFT JOIN staff o ON o.id = t.owner_id
      WHERE t.done_at IS NULL AND i.status IN ('investigating','identified','monitoring')
        AND (t.owner_id = $1 OR (t.owner_id IS NULL AND t.owner_role IS NOT NULL AND EXISTS (
              SELECT 1 FROM incident_role_assignments a
               WHERE a.incident_id = t.incident_id AND a.role = t.owner_role AND a.staff_id = $1 AND a.released_at IS NULL)))
      ORDER BY t.due_at NULLS LAST, i.severity, t.position
      LIMIT 200`,
    [staffId],
  );
  return rows.map((r) => ({ ...toTask(r), incidentNameJa: r.incident_name_ja, incidentNameEn: r.incident_name_en, severity: r.severity }));
}
