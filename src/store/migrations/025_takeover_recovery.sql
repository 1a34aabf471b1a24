-- Recovery after a takeover (src/protection/recovery.ts): the compromise window of a lock, what unlock keeps
-- and what it (or staff, or the user) removed. Account ids without foreign keys, as in migration 010: with the
-- HTTP adapter the account lives in the exchange core.

-- A staff member's correction of a lock's compromise window (otherwise it is worked out from detection and
-- account events). One row per lock; every change is also in the audit log.
CREATE TABLE recovery_windows (
  lock_id text PRIMARY KEY,
  account_id text NOT NULL,
  starts_at timestamptz NOT NULL,
  reason text NOT NULL,
  set_by text NOT NULL REFERENCES staff(id),
  set_at timestamptz NOT NULL
)
--;
-- Items created in the window that the unlock leaves in place, chosen by the staff member who asks for the unlock.
CREATE TABLE recovery_keeps (
  request_id text NOT NULL REFERENCES unlock_requests(id),
  kind text NOT NULL CHECK (kind IN ('withdrawal_address','api_key')),
  item_id text NOT NULL,
  reason text NOT NULL,
  kept_by text NOT NULL REFERENCES staff(id),
  kept_at timestamptz NOT NULL,
  PRIMARY KEY (request_id, kind, item_id)
)
--;
-- What a recovery took away: at the unlock, or one by one by staff or the user. `label` is what a person
-- recognises the item by ("BTC bc1q…", an API key's label, a session's device); `item_created_at` when it was made.
CREATE TABLE recovery_removals (
  id bigserial PRIMARY KEY,
  account_id text NOT NULL,
  lock_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('withdrawal_address','api_key','session')),
  item_id text NOT NULL,
  label text NOT NULL,
  item_created_at timestamptz,
  removed_at timestamptz NOT NULL,
  removed_by_type text NOT NULL CHECK (removed_by_type IN ('staff','user')),
  removed_by text,
  request_id text
)
--;
CREATE INDEX recovery_removals_by_account ON recovery_removals (account_id, removed_at)
--;
CREATE INDEX recovery_removals_by_request ON recovery_removals (request_id) WHERE request_id IS NOT NULL
--;
-- The window an approved unlock acted on, kept with the request (the user's security center shows it afterwards).
ALTER TABLE unlock_requests ADD COLUMN window_starts_at timestamptz
--;
ALTER TABLE unlock_requests ADD COLUMN window_ends_at timestamptz
--;
ALTER TABLE unlock_requests ADD COLUMN window_basis text
