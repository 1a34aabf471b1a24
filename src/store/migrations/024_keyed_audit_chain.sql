-- Keyed audit hashes (issue 11): rows written from now on are HMAC-SHA256 under a key kept outside the
-- database. Each row says how it was hashed, so the rows written before (plain SHA-256) keep verifying.
ALTER TABLE audit_log ADD COLUMN alg text NOT NULL DEFAULT 'sha256'
--;
-- Existing rows keep 'sha256'; a new row must say how it was hashed.
ALTER TABLE audit_log ALTER COLUMN alg DROP DEFAULT
--;
ALTER TABLE audit_log ADD COLUMN key_id text
--;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_alg_key CHECK (
  (alg = 'sha256' AND key_id IS NULL) OR (alg = 'hmac-sha256' AND key_id IS NOT NULL)
)
--;
-- The key id of the head entry: read under the same row lock every append already takes, so refusing a
-- different key (or no key) costs no extra query.
ALTER TABLE audit_head ADD COLUMN key_id text
