-- kinkyu foundation: components, incidents and maintenances, staff, the audit chain.
-- Statements are separated by lines holding only "--;".

CREATE TABLE page_state (
  id smallint PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL DEFAULT 0,
  changed_at timestamptz NOT NULL DEFAULT now()
)
--;
INSERT INTO page_state (id) VALUES (1)
--;
CREATE TABLE components (
  id text PRIMARY KEY,
  group_id text REFERENCES components(id),
  is_group boolean NOT NULL DEFAULT false,
  name_ja text NOT NULL CHECK (length(name_ja) BETWEEN 1 AND 200),
  name_en text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
  description_ja text,
  description_en text,
  position integer NOT NULL DEFAULT 0,
  status text NOT NULL DEFAULT 'operational'
    CHECK (status IN ('operational','degraded_performance','partial_outage','major_outage','under_maintenance')),
  showcase boolean NOT NULL DEFAULT true,
  only_show_if_degraded boolean NOT NULL DEFAULT false,
  start_date date,
  -- Exchange-specific keys a monitor maps onto this component, e.g. trading pairs {"pairs":["btc_jpy"]}.
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
)
--;
CREATE TABLE component_status_history (
  id bigserial PRIMARY KEY,
  component_id text NOT NULL REFERENCES components(id),
  status text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  incident_id text
)
--;
CREATE INDEX component_status_history_by_component ON component_status_history (component_id, at)
--;
CREATE TABLE staff (
  id text PRIMARY KEY,
  email text NOT NULL,
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin','incident_commander','agent','security','viewer')),
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz
)
--;
CREATE UNIQUE INDEX staff_email ON staff (lower(email))
--;
CREATE TABLE staff_sessions (
  token_hash text PRIMARY KEY,
  staff_id text NOT NULL REFERENCES staff(id),
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  ip text,
  user_agent text
)
--;
CREATE TABLE incidents (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('incident','maintenance')),
  type text NOT NULL CHECK (type IN ('outage','security','trading','regulatory','other')),
  severity text NOT NULL CHECK (severity IN ('SEV1','SEV2','SEV3','SEV4')),
  name_ja text NOT NULL CHECK (length(name_ja) BETWEEN 1 AND 200),
  name_en text CHECK (length(name_en) <= 200),
  status text NOT NULL CHECK (status IN ('investigating','identified','monitoring','resolved','postmortem',
                                         'scheduled','in_progress','verifying','completed')),
  impact text NOT NULL CHECK (impact IN ('none','minor','major','critical','maintenance')),
  commander_id text REFERENCES staff(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz NOT NULL DEFAULT now(),
  monitoring_at timestamptz,
  resolved_at timestamptz,
  scheduled_for timestamptz,
  scheduled_until timestamptz,
  auto_transition boolean NOT NULL DEFAULT true,
  CHECK (kind = 'incident' OR (scheduled_for IS NOT NULL AND scheduled_until IS NOT NULL AND scheduled_until > scheduled_for))
)
--;
CREATE INDEX incidents_by_kind_status ON incidents (kind, status, created_at DESC)
--;
CREATE TABLE incident_components (
  incident_id text NOT NULL REFERENCES incidents(id),
  component_id text NOT NULL REFERENCES components(id),
  PRIMARY KEY (incident_id, component_id)
)
--;
CREATE TABLE incident_updates (
  id text PRIMARY KEY,
  incident_id text NOT NULL REFERENCES incidents(id),
  status text NOT NULL,
  visibility text NOT NULL CHECK (visibility IN ('public','internal')),
  body_ja text NOT NULL CHECK (length(body_ja) BETWEEN 1 AND 20000),
  body_en text CHECK (length(body_en) <= 20000),
  affected_components jsonb NOT NULL DEFAULT '[]'::jsonb,
  deliver_notifications boolean NOT NULL DEFAULT true,
  author_id text REFERENCES staff(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  display_at timestamptz NOT NULL DEFAULT now()
)
--;
CREATE INDEX incident_updates_by_incident ON incident_updates (incident_id, created_at)
--;
-- Every public-facing change bumps one version and tells every process listening, after commit.
CREATE FUNCTION kinkyu_page_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE v bigint;
BEGIN
  UPDATE page_state SET version = version + 1, changed_at = now() WHERE id = 1 RETURNING version INTO v;
  PERFORM pg_notify('kinkyu_page', v::text);
  RETURN NULL;
END $$
--;
CREATE TRIGGER components_changed AFTER INSERT OR UPDATE OR DELETE ON components
  FOR EACH STATEMENT EXECUTE FUNCTION kinkyu_page_changed()
--;
CREATE TRIGGER incidents_changed AFTER INSERT OR UPDATE OR DELETE ON incidents
  FOR EACH STATEMENT EXECUTE FUNCTION kinkyu_page_changed()
--;
CREATE TRIGGER incident_updates_changed AFTER INSERT OR UPDATE OR DELETE ON incident_updates
  FOR EACH STATEMENT EXECUTE FUNCTION kinkyu_page_changed()
--;
CREATE TABLE audit_log (
  seq bigint PRIMARY KEY,
  at timestamptz NOT NULL,
  actor_type text NOT NULL,
  actor_id text,
  action text NOT NULL,
  target_type text,
  target_id text,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  ip text,
  prev_hash text NOT NULL,
  hash text NOT NULL
)
--;
-- The head of the chain: one row, locked by every append so that rows are chained in a strict order.
CREATE TABLE audit_head (
  id smallint PRIMARY KEY CHECK (id = 1),
  seq bigint NOT NULL,
  hash text NOT NULL
)
--;
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, repeat('0', 64))
--;
CREATE FUNCTION kinkyu_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END $$
--;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION kinkyu_audit_append_only()
--;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION kinkyu_audit_append_only()
