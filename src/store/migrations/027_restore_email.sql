-- Recovery after a takeover, part two (issue 11): an email address changed while the account was in the wrong
-- hands is set back to the one before.
--
-- In the reference store, an address that a restore takes off the account (the attacker's) is kept in the
-- history but disowned: it is no longer one of the account's "previous addresses", where lock links go.
ALTER TABLE xch_email_history ADD COLUMN disowned_at timestamptz
--;
-- The unlock may keep the new address (with a reason) as it keeps an address or key, and records the restore
-- among what the recovery took away (`label`: the address replaced).
ALTER TABLE recovery_keeps DROP CONSTRAINT recovery_keeps_kind_check
--;
ALTER TABLE recovery_keeps ADD CONSTRAINT recovery_keeps_kind_check CHECK (kind IN ('withdrawal_address','api_key','email'))
--;
ALTER TABLE recovery_removals DROP CONSTRAINT recovery_removals_kind_check
--;
ALTER TABLE recovery_removals ADD CONSTRAINT recovery_removals_kind_check CHECK (kind IN ('withdrawal_address','api_key','session','email'))
