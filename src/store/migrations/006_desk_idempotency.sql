-- A form sent twice (double tap, a retry on a flaky mobile connection) must not file two tickets or send
-- every linked user a bulk reply twice: each form carries a random key, stored once.
ALTER TABLE tickets ADD COLUMN submission_key text
--;
CREATE UNIQUE INDEX tickets_submission_key ON tickets (submission_key) WHERE submission_key IS NOT NULL
--;
CREATE TABLE ticket_bulk_replies (
  key text PRIMARY KEY,
  incident_id text NOT NULL REFERENCES incidents(id),
  staff_id text REFERENCES staff(id),
  ticket_count integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
)
