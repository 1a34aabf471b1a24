-- Channel senders (issue 6): what a webhook/Slack endpoint's failures were, and the X threads posted so far.
-- Permanent failures (3xx, 4xx other than 408/429) in a row disable an endpoint sooner than failures of any kind.
ALTER TABLE subscribers ADD COLUMN consecutive_permanent_failures integer NOT NULL DEFAULT 0
--;
-- One row per part of the X thread for one event, written before the first post so that every retry posts the
-- same text; tweet_id is set right after X accepted that part, and a retry posts only the parts without one.
CREATE TABLE x_posts (
  event_id text NOT NULL,
  part_index integer NOT NULL CHECK (part_index >= 0),
  body text NOT NULL,
  tweet_id text,
  posted_at timestamptz,
  PRIMARY KEY (event_id, part_index)
)
