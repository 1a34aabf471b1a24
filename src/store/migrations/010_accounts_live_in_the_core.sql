-- With the HTTP adapter the exchange's accounts live in the exchange core, not in xch_accounts: kinkyu's own
-- records (locks, lock links, unlock approvals, the security center) refer to an account id they cannot
-- check locally. Without this a lock taken through the adapter held in the core but left no record here.
ALTER TABLE account_locks DROP CONSTRAINT IF EXISTS account_locks_account_id_fkey
--;
ALTER TABLE lock_tokens DROP CONSTRAINT IF EXISTS lock_tokens_account_id_fkey
--;
ALTER TABLE unlock_requests DROP CONSTRAINT IF EXISTS unlock_requests_account_id_fkey
--;
ALTER TABLE user_sessions DROP CONSTRAINT IF EXISTS user_sessions_account_id_fkey
--;
ALTER TABLE user_credentials DROP CONSTRAINT IF EXISTS user_credentials_account_id_fkey
--;
ALTER TABLE user_recovery_codes DROP CONSTRAINT IF EXISTS user_recovery_codes_account_id_fkey
