-- Monitors wired into the status page (issue 6 §3).
--
-- monitor_changes: a damped state change, written in the runner's own transaction (with the result and the new
-- state), then applied through StatusCommands — component statuses with history and audit as for a staff
-- change — and marked applied. A process that dies in between leaves the row unapplied; the next runner in
-- any process applies it (re-applying a status that is already set changes nothing).
CREATE TABLE monitor_changes (
  id bigserial PRIMARY KEY,
  monitor_id text NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  from_health text NOT NULL,
  to_health text NOT NULL,
  -- The statuses the monitor wants now ({"componentId": "major_outage"}), operational included.
  component_statuses jsonb NOT NULL,
  -- The monitor's signal after the change: the non-operational statuses it holds.
  held jsonb NOT NULL,
  detail text NOT NULL,
  lease_until timestamptz,
  applied_at timestamptz,
  -- Components left as they were, with the reason: {"componentId": "staff" | "maintenance" | "gone"}.
  skipped jsonb
)
--;
CREATE INDEX monitor_changes_pending ON monitor_changes (monitor_id, id) WHERE applied_at IS NULL
--;
-- What a monitor proposes to staff: declaring an incident (policy draft) or resolving the one it is linked to.
-- At most one open proposal per monitor.
CREATE TABLE monitor_proposals (
  id text PRIMARY KEY,
  monitor_id text REFERENCES monitors(id) ON DELETE SET NULL,
  monitor_name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('declare','resolve')),
  component_statuses jsonb NOT NULL DEFAULT '{}'::jsonb,
  incident_type text NOT NULL DEFAULT 'outage',
  severity text NOT NULL DEFAULT 'SEV3',
  title_ja text NOT NULL,
  title_en text NOT NULL,
  body_ja text NOT NULL,
  body_en text NOT NULL,
  detail text NOT NULL,
  -- declare: the incident it became; resolve: the incident to resolve.
  incident_id text REFERENCES incidents(id),
  -- Policy publish: the runner declares it itself.
  auto_publish boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open','accepted','dismissed')),
  -- Why a proposal closed without staff: 'recovered' (before anyone published it), 'relapsed' (down again
  -- before the resolve was accepted), 'incident_closed'.
  closed_reason text,
  -- A publish under way since then (a claim; an incident created after it with this title is this one's).
  publishing_since timestamptz,
  created_at timestamptz NOT NULL,
  decided_at timestamptz,
  decided_by text
)
--;
CREATE UNIQUE INDEX monitor_proposals_one_open ON monitor_proposals (monitor_id) WHERE status = 'open'
--;
CREATE INDEX monitor_proposals_by_monitor ON monitor_proposals (monitor_id, created_at)
--;
-- Checks per monitor and hour, kept by a trigger: the public page's uptime bars read 90 days of these
-- (a few thousand rows) instead of every result.
CREATE TABLE monitor_result_hours (
  monitor_id text NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
  hour timestamptz NOT NULL,
  checks integer NOT NULL,
  ok_checks integer NOT NULL,
  PRIMARY KEY (monitor_id, hour)
)
--;
CREATE FUNCTION kinkyu_monitor_result_hour() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO monitor_result_hours (monitor_id, hour, checks, ok_checks)
  VALUES (NEW.monitor_id, date_trunc('hour', NEW.at), 1, CASE WHEN NEW.ok THEN 1 ELSE 0 END)
  ON CONFLICT (monitor_id, hour) DO UPDATE
    SET checks = monitor_result_hours.checks + 1, ok_checks = monitor_result_hours.ok_checks + EXCLUDED.ok_checks;
  RETURN NULL;
END $$
--;
CREATE TRIGGER monitor_results_hourly AFTER INSERT ON monitor_results
  FOR EACH ROW EXECUTE FUNCTION kinkyu_monitor_result_hour()
--;
CREATE INDEX monitor_results_at ON monitor_results (at)
