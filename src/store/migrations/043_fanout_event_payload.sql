-- A new notification event NOTIFYs with the payload 'event': it wakes the sweepers (to expand it) but not the
-- channel workers, who are woken by the expansion's own NOTIFY (payload 'deliveries') only when it made deliveries.
-- Before, each of an update's events (the update and every component change) also made the fan-out look for
-- due deliveries, three or more looks per update that found nothing new.
CREATE OR REPLACE FUNCTION kinkyu_update_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO notification_events (kind, incident_id, update_id, created_at, drill_id)
    VALUES ('incident_update', NEW.incident_id, NEW.id, NEW.created_at,
            (SELECT drill_id FROM incidents WHERE id = NEW.incident_id));
  PERFORM pg_notify('kinkyu_fanout', 'event');
  RETURN NULL;
END $$
--;
CREATE OR REPLACE FUNCTION kinkyu_component_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE previous text;
BEGIN
  SELECT status INTO previous FROM component_status_history
   WHERE component_id = NEW.component_id AND id < NEW.id ORDER BY id DESC LIMIT 1;
  IF previous IS NULL OR previous = NEW.status THEN
    RETURN NULL;
  END IF;
  INSERT INTO notification_events (kind, component_id, old_status, new_status, incident_id, created_at)
    VALUES ('component_update', NEW.component_id, previous, NEW.status, NEW.incident_id, NEW.at);
  PERFORM pg_notify('kinkyu_fanout', 'event');
  RETURN NULL;
END $$
