-- An email change waits for the new address to confirm it: a single-use link, stored as a hash, short-lived.
-- old_email: the change applies only while the account still has the address it was asked from.
CREATE TABLE email_change_tokens (
  token_hash text PRIMARY KEY,
  account_id text NOT NULL,
  old_email text NOT NULL,
  new_email text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
)
--;
CREATE INDEX email_change_tokens_open ON email_change_tokens (account_id) WHERE used_at IS NULL
--;
-- Step-up after sign-in: when this session last passed a second factor, a one-use allowance for the next
-- sensitive action (so a window of 0 still lets the action through once), and the emailed code's expiry.
ALTER TABLE user_sessions ADD COLUMN stepped_up_at timestamptz
--;
ALTER TABLE user_sessions ADD COLUMN step_up_grant_until timestamptz
--;
ALTER TABLE user_sessions ADD COLUMN step_up_code_expires_at timestamptz
