-- Monitors (PRODUCT.md §2.7): synthetic HTTP/TCP checks and the exchange-status adapter, bound to components.
-- monitor_state holds the damped current state and the schedule; a runner claims a due monitor by moving
-- next_run_at forward under FOR UPDATE SKIP LOCKED, so across processes each monitor runs once per interval.
CREATE TABLE monitors (
  id text PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind text NOT NULL CHECK (kind IN ('http','tcp','bitbank')),
  config jsonb NOT NULL DEFAULT '{}'::jsonb,
  interval_s integer NOT NULL CHECK (interval_s BETWEEN 1 AND 86400),
  timeout_ms integer NOT NULL CHECK (timeout_ms BETWEEN 100 AND 120000),
  fail_threshold integer NOT NULL DEFAULT 3 CHECK (fail_threshold BETWEEN 1 AND 100),
  recover_threshold integer NOT NULL DEFAULT 3 CHECK (recover_threshold BETWEEN 1 AND 100),
  component_ids text[] NOT NULL DEFAULT '{}',
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
)
--;
CREATE TABLE monitor_state (
  monitor_id text PRIMARY KEY REFERENCES monitors(id) ON DELETE CASCADE,
  health text NOT NULL DEFAULT 'up' CHECK (health IN ('up','degraded','maintenance','down')),
  -- Non-operational statuses this monitor currently holds, {"componentId": "major_outage"}.
  component_statuses jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- Results in a row that disagree with the state above (flap damping).
  consecutive integer NOT NULL DEFAULT 0,
  changed_at timestamptz,
  last_checked_at timestamptz,
  next_run_at timestamptz NOT NULL,
  lease_owner text,
  lease_until timestamptz
)
--;
CREATE INDEX monitor_state_due ON monitor_state (next_run_at)
--;
CREATE TABLE monitor_results (
  id bigserial PRIMARY KEY,
  monitor_id text NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  ok boolean NOT NULL,
  health text NOT NULL,
  latency_ms integer NOT NULL,
  detail text NOT NULL,
  -- Which runner took the check, for tracing a double run.
  runner text NOT NULL
)
--;
CREATE INDEX monitor_results_by_monitor ON monitor_results (monitor_id, at)
