-- "Forgot my password": one-time reset links, stored as hashes, short-lived.
CREATE TABLE password_reset_tokens (
  token_hash text PRIMARY KEY,
  account_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
)
