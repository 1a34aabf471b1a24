-- Durable fan-out (issue 6 §2). A public incident or maintenance update that asks for notifications becomes a
-- notification_events row in the same transaction as the update (a trigger: it exists iff the update committed);
-- a component status change becomes a component_update event (webhooks only). A sweeper expands each event into
-- one deliveries row per matching active subscriber (idempotent: primary key event × subscriber), and
-- per-channel workers send due rows under a lease.
CREATE TABLE notification_events (
  id text PRIMARY KEY DEFAULT substr(md5(random()::text || clock_timestamp()::text), 1, 16),
  kind text NOT NULL CHECK (kind IN ('incident_update', 'component_update')),
  incident_id text,
  update_id text,
  component_id text,
  old_status text,
  new_status text,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Expansion goes in chunks of subscribers by id (each its own short transaction): the last id done so far,
  -- and expanded_at once every deliveries row of the event exists.
  expanded_through text,
  expanded_at timestamptz,
  CHECK (kind <> 'incident_update' OR (incident_id IS NOT NULL AND update_id IS NOT NULL)),
  CHECK (kind <> 'component_update' OR component_id IS NOT NULL)
)
--;
CREATE INDEX notification_events_unexpanded ON notification_events (created_at) WHERE expanded_at IS NULL
--;
CREATE INDEX notification_events_by_update ON notification_events (update_id) WHERE update_id IS NOT NULL
--;
CREATE TABLE deliveries (
  event_id text NOT NULL REFERENCES notification_events(id),
  subscriber_id text NOT NULL REFERENCES subscribers(id),
  channel text NOT NULL CHECK (channel IN ('email', 'webhook', 'slack', 'x')),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
  attempts integer NOT NULL DEFAULT 0,
  -- A claimed row's next_attempt_at is its lease end too: a row whose worker died is due again when it runs out.
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  lease_owner text,
  sent_at timestamptz,
  last_error text CHECK (length(last_error) <= 300),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, subscriber_id)
)
--;
CREATE INDEX deliveries_due ON deliveries (channel, next_attempt_at) WHERE status = 'pending'
--;
CREATE INDEX deliveries_progress ON deliveries (event_id, channel, status)
--;
CREATE FUNCTION kinkyu_update_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO notification_events (kind, incident_id, update_id, created_at)
    VALUES ('incident_update', NEW.incident_id, NEW.id, NEW.created_at);
  PERFORM pg_notify('kinkyu_fanout', '');
  RETURN NULL;
END $$
--;
CREATE TRIGGER incident_updates_notify AFTER INSERT ON incident_updates
  FOR EACH ROW WHEN (NEW.visibility = 'public' AND NEW.deliver_notifications)
  EXECUTE FUNCTION kinkyu_update_event()
--;
-- The previous history row holds the old status; a component's first row (its creation) is no change.
CREATE FUNCTION kinkyu_component_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE previous text;
BEGIN
  SELECT status INTO previous FROM component_status_history
   WHERE component_id = NEW.component_id AND id < NEW.id ORDER BY id DESC LIMIT 1;
  IF previous IS NULL OR previous = NEW.status THEN
    RETURN NULL;
  END IF;
  INSERT INTO notification_events (kind, component_id, old_status, new_status, incident_id, created_at)
    VALUES ('component_update', NEW.component_id, previous, NEW.status, NEW.incident_id, NEW.at);
  PERFORM pg_notify('kinkyu_fanout', '');
  RETURN NULL;
END $$
--;
CREATE TRIGGER component_status_notify AFTER INSERT ON component_status_history
  FOR EACH ROW EXECUTE FUNCTION kinkyu_component_event()
