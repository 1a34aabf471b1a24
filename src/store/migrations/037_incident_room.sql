-- The incident room (issue 13 points 1–6): roles per incident, tasks with owners and due times, pre-approved
-- update templates, and the room's own timeline events. Everything else on an incident's timeline (updates,
-- notes, status changes, monitor events, linked tickets, detection locks, notifications) is read from the
-- tables that already hold it.

-- A room exists once per incident: made (with the incident type's starting checklist) the first time anyone
-- looks at the incident's room or the staff home lists it. The row says that the checklist was added once.
CREATE TABLE incident_rooms (
  incident_id text PRIMARY KEY REFERENCES incidents(id),
  opened_at timestamptz NOT NULL,
  checklist_type text NOT NULL
)
--;
-- Who holds which role. A hand-over releases the previous holder and assigns the next in one transaction; a
-- released row is kept (the timeline and the audit log tell the story, this tells who held it when).
CREATE TABLE incident_role_assignments (
  id text PRIMARY KEY,
  incident_id text NOT NULL REFERENCES incidents(id),
  role text NOT NULL CHECK (role ~ '^[a-z][a-z0-9_]{0,39}$'),
  staff_id text NOT NULL REFERENCES staff(id),
  assigned_by text REFERENCES staff(id),
  assigned_at timestamptz NOT NULL,
  released_at timestamptz,
  released_by text REFERENCES staff(id)
)
--;
CREATE UNIQUE INDEX incident_role_holders ON incident_role_assignments (incident_id, role, staff_id) WHERE released_at IS NULL
--;
CREATE INDEX incident_roles_by_staff ON incident_role_assignments (staff_id) WHERE released_at IS NULL
--;
-- A task: from the starting checklist (checklist_key) or added by staff. Its owner is a person, or (owner_id
-- NULL) whoever holds owner_role at the time.
CREATE TABLE incident_tasks (
  id text PRIMARY KEY,
  incident_id text NOT NULL REFERENCES incidents(id),
  position integer NOT NULL,
  checklist_key text,
  title_ja text NOT NULL CHECK (length(title_ja) BETWEEN 1 AND 300),
  title_en text CHECK (length(title_en) <= 300),
  owner_id text REFERENCES staff(id),
  owner_role text,
  due_at timestamptz,
  done_at timestamptz,
  done_by text REFERENCES staff(id),
  created_at timestamptz NOT NULL,
  created_by text REFERENCES staff(id),
  updated_at timestamptz NOT NULL
)
--;
CREATE INDEX incident_tasks_by_incident ON incident_tasks (incident_id, position)
--;
CREATE INDEX incident_tasks_open ON incident_tasks (due_at) WHERE done_at IS NULL
--;
-- What happened in the room itself (roles, tasks, the checklist, publishing from the composer), for the timeline.
CREATE TABLE incident_room_events (
  id bigserial PRIMARY KEY,
  incident_id text NOT NULL REFERENCES incidents(id),
  at timestamptz NOT NULL,
  actor_type text NOT NULL CHECK (actor_type IN ('staff','system','user')),
  actor_id text,
  kind text NOT NULL CHECK (kind IN ('room_opened','role_assigned','role_handover','role_released',
                                     'task_added','task_edited','task_done','task_reopened','update_composed')),
  data jsonb NOT NULL DEFAULT '{}'::jsonb
)
--;
CREATE INDEX incident_room_events_by_incident ON incident_room_events (incident_id, at)
--;
-- Pre-approved update texts with {placeholders}. Built-in ones carry their key (added once; staff may edit or
-- archive them, and an archived one is never added again).
CREATE TABLE update_templates (
  id text PRIMARY KEY,
  builtin_key text UNIQUE,
  name_ja text NOT NULL CHECK (length(name_ja) BETWEEN 1 AND 200),
  name_en text CHECK (length(name_en) <= 200),
  status text CHECK (status IN ('investigating','identified','monitoring','resolved')),
  body_ja text NOT NULL CHECK (length(body_ja) BETWEEN 1 AND 20000),
  body_en text CHECK (length(body_en) <= 20000),
  position integer NOT NULL DEFAULT 100,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  updated_by text REFERENCES staff(id),
  archived_at timestamptz
)
