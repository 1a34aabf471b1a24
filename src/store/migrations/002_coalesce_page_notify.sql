-- One notification per transaction, not one per statement: PostgreSQL folds identical payloads sent in
-- the same transaction, so a constant payload makes every listener reload once per change.
CREATE OR REPLACE FUNCTION kinkyu_page_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE page_state SET version = version + 1, changed_at = now() WHERE id = 1;
  PERFORM pg_notify('kinkyu_page', '');
  RETURN NULL;
END $$
