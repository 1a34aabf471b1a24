-- The staff queue as a workspace (src/support/queue.ts): with thousands of open tickets a page must not sort them
-- all. The queue's order over open tickets — urgent security reports, then tickets that need a human, then
-- priority, the nearest due date, the oldest — as an index: a page reads its first rows from it.
CREATE INDEX tickets_open_queue ON tickets (
  ((type = 'security' AND priority = 'urgent')) DESC,
  needs_human DESC,
  (array_position(ARRAY['urgent','high','normal','low'], priority)),
  (CASE WHEN first_responded_at IS NULL THEN first_response_due_at ELSE resolution_due_at END),
  created_at,
  number
) WHERE status IN ('new','open','pending_user')
--;
-- An incident's row in the queue stands for its open linked tickets (not security reports, not those that need a
-- human): its most pressing one is the first entry here for the incident.
CREATE INDEX tickets_open_by_incident ON tickets (
  incident_id,
  (array_position(ARRAY['urgent','high','normal','low'], priority)),
  (CASE WHEN first_responded_at IS NULL THEN first_response_due_at ELSE resolution_due_at END),
  created_at,
  number
) WHERE incident_id IS NOT NULL AND type <> 'security' AND NOT needs_human AND status IN ('new','open','pending_user')
--;
-- What the queue's tabs count (mine, unassigned, urgent security, needs a human, incidents) and what a grouped page
-- counts, readable from the index alone: counting 10,000 open tickets does not read the table and its closed history.
CREATE INDEX tickets_open_tabs ON tickets (assignee_id) INCLUDE (incident_id, type, priority, needs_human)
  WHERE status IN ('new','open','pending_user')
