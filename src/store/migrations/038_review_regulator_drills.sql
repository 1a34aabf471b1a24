-- Issue 13 §7–9: the post-incident review and public postmortem, the regulator's clock, and drills.

-- ---------------------------------------------------------------------------------------------------------------
-- Drills (src/drills). A drill is a real incident row with drill_id set: every public read (page, API, feeds,
-- month archive, static export) leaves such rows out, a drill never changes a real component (its statuses live
-- in drill_component_history), and its notifications reach only subscribers marked as drill recipients.
CREATE TABLE drills (
  id text PRIMARY KEY,
  scenario text NOT NULL CHECK (scenario IN ('outage','takeover','withdrawal-delay','regulatory')),
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running','finished')),
  -- What was asked for: {"surge": 300, "takeovers": 3, "monitors": true, "scripted": true}
  options jsonb NOT NULL DEFAULT '{}'::jsonb,
  incident_id text,
  started_at timestamptz NOT NULL,
  started_by text REFERENCES staff(id),
  started_via text NOT NULL CHECK (started_via IN ('cli','console')),
  finished_at timestamptz,
  -- The report as it was when the drill finished: kept as evidence, never recomputed.
  report jsonb
)
--;
CREATE INDEX drills_recent ON drills (started_at DESC)
--;
ALTER TABLE incidents ADD COLUMN drill_id text REFERENCES drills(id)
--;
CREATE UNIQUE INDEX incidents_one_per_drill ON incidents (drill_id) WHERE drill_id IS NOT NULL
--;
ALTER TABLE drills ADD CONSTRAINT drills_incident FOREIGN KEY (incident_id) REFERENCES incidents(id)
--;
-- The component statuses a drill incident set: what the real component_status_history holds for real incidents.
CREATE TABLE drill_component_history (
  id bigserial PRIMARY KEY,
  incident_id text NOT NULL REFERENCES incidents(id),
  component_id text NOT NULL REFERENCES components(id),
  status text NOT NULL CHECK (status IN ('operational','degraded_performance','partial_outage','major_outage','under_maintenance')),
  at timestamptz NOT NULL
)
--;
CREATE INDEX drill_component_history_by_incident ON drill_component_history (incident_id, component_id, at)
--;
-- Synthetic monitor failures of a drill (real monitor results feed the public uptime bars; these never do).
CREATE TABLE drill_monitor_failures (
  id bigserial PRIMARY KEY,
  drill_id text NOT NULL REFERENCES drills(id),
  component_id text NOT NULL,
  at timestamptz NOT NULL,
  detail text NOT NULL
)
--;
-- The synthetic ticket surge: triaged by the real triage, matched by the real incident matcher, ordered as the
-- real queue orders tickets — but kept out of the desk's queue, its numbers and its mail.
CREATE TABLE drill_tickets (
  drill_id text NOT NULL REFERENCES drills(id),
  seq integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('surge','takeover')),
  lang text NOT NULL CHECK (lang IN ('ja','en')),
  body text NOT NULL,
  type text NOT NULL,
  priority text NOT NULL,
  needs_human boolean NOT NULL,
  incident_linked boolean NOT NULL,
  first_response_due_at timestamptz,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (drill_id, seq)
)
--;
-- What the exchange's X account and the Slack channel would have posted for a drill update (the local stand-ins),
-- rendered by the real composers. One row per event and channel, whichever process renders it first.
CREATE TABLE drill_stand_in_posts (
  event_id text NOT NULL REFERENCES notification_events(id),
  channel text NOT NULL CHECK (channel IN ('x','slack')),
  drill_id text NOT NULL REFERENCES drills(id),
  update_id text NOT NULL,
  body jsonb NOT NULL,
  posted_at timestamptz NOT NULL,
  PRIMARY KEY (event_id, channel)
)
--;
-- Subscribers who also hear drills (staff's own addresses, a test webhook). Nobody else ever does.
ALTER TABLE subscribers ADD COLUMN drill_recipient boolean NOT NULL DEFAULT false
--;
ALTER TABLE notification_events ADD COLUMN drill_id text
--;
-- The update's event says whether it belongs to a drill, read from its incident in the same transaction.
CREATE OR REPLACE FUNCTION kinkyu_update_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO notification_events (kind, incident_id, update_id, created_at, drill_id)
    VALUES ('incident_update', NEW.incident_id, NEW.id, NEW.created_at,
            (SELECT drill_id FROM incidents WHERE id = NEW.incident_id));
  PERFORM pg_notify('kinkyu_fanout', '');
  RETURN NULL;
END $$
--;
CREATE INDEX notification_events_drill ON notification_events (drill_id) WHERE drill_id IS NOT NULL
--;

-- ---------------------------------------------------------------------------------------------------------------
-- The post-incident review (src/incident-review). The times are computed from the record every time; what people
-- write is stored here. The public postmortem itself is the incident's update with status 'postmortem'.
ALTER TABLE incidents ADD COLUMN postmortem_ignored boolean NOT NULL DEFAULT false
--;
ALTER TABLE incidents ADD COLUMN postmortem_notified_twitter boolean NOT NULL DEFAULT false
--;
CREATE TABLE incident_reviews (
  incident_id text PRIMARY KEY REFERENCES incidents(id),
  cause text NOT NULL DEFAULT '' CHECK (length(cause) <= 20000),
  went_well text NOT NULL DEFAULT '' CHECK (length(went_well) <= 20000),
  went_badly text NOT NULL DEFAULT '' CHECK (length(went_badly) <= 20000),
  -- The public postmortem being written (published as the 'postmortem' update).
  postmortem_ja text NOT NULL DEFAULT '' CHECK (length(postmortem_ja) <= 20000),
  postmortem_en text NOT NULL DEFAULT '' CHECK (length(postmortem_en) <= 20000),
  -- Optimistic concurrency: a form carries the version it was read at.
  version integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL,
  updated_by text REFERENCES staff(id)
)
--;
CREATE TABLE review_actions (
  id text PRIMARY KEY,
  incident_id text NOT NULL REFERENCES incidents(id),
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
  owner_id text REFERENCES staff(id),
  due_on date,
  done_at timestamptz,
  created_at timestamptz NOT NULL,
  created_by text REFERENCES staff(id)
)
--;
CREATE INDEX review_actions_by_incident ON review_actions (incident_id, created_at)
--;

-- ---------------------------------------------------------------------------------------------------------------
-- The regulator's clock (src/regulator). Rules live in a configuration file; what they attached to an incident is
-- stored with a copy of the rule as it was (the record stays readable if the file changes later).
CREATE TABLE regulatory_facts (
  incident_id text PRIMARY KEY REFERENCES incidents(id),
  -- When the exchange became aware: every deadline counts from here.
  aware_at timestamptz NOT NULL,
  personal_data boolean NOT NULL DEFAULT false,
  sensitive_data boolean NOT NULL DEFAULT false,
  financial_loss_risk boolean NOT NULL DEFAULT false,
  wrongful_act boolean NOT NULL DEFAULT false,
  customer_assets_lost boolean NOT NULL DEFAULT false,
  users_affected integer CHECK (users_affected >= 0),
  data_items text NOT NULL DEFAULT '' CHECK (length(data_items) <= 2000),
  updated_at timestamptz NOT NULL,
  updated_by text REFERENCES staff(id)
)
--;
CREATE TABLE regulatory_obligations (
  id text PRIMARY KEY,
  incident_id text NOT NULL REFERENCES incidents(id),
  rule_id text NOT NULL,
  -- The rule as configured when it attached (titles, authority, source, stages, draft fields).
  rule jsonb NOT NULL,
  owner_id text REFERENCES staff(id),
  -- 'withdrawn': the facts changed and the rule no longer applies (kept: it was shown to people).
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open','withdrawn')),
  created_at timestamptz NOT NULL,
  UNIQUE (incident_id, rule_id)
)
--;
CREATE TABLE regulatory_stages (
  obligation_id text NOT NULL REFERENCES regulatory_obligations(id),
  stage_id text NOT NULL,
  position integer NOT NULL,
  -- Exclusive: the report is on time when filed before this instant.
  due_at timestamptz NOT NULL,
  remind_at timestamptz NOT NULL,
  done_at timestamptz,
  done_by text REFERENCES staff(id),
  reference text CHECK (length(reference) <= 500),
  PRIMARY KEY (obligation_id, stage_id)
)
--;
CREATE INDEX regulatory_stages_due ON regulatory_stages (remind_at) WHERE done_at IS NULL
--;
-- One reminder per obligation and stage, whichever process gets there first (the primary key is the claim; the
-- mail is queued in the same transaction).
CREATE TABLE regulatory_reminders (
  obligation_id text NOT NULL,
  stage_id text NOT NULL,
  sent_at timestamptz NOT NULL,
  to_address text NOT NULL,
  message_id text NOT NULL,
  PRIMARY KEY (obligation_id, stage_id),
  FOREIGN KEY (obligation_id, stage_id) REFERENCES regulatory_stages(obligation_id, stage_id)
)
