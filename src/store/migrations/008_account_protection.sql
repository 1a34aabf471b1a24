-- Account protection. Two parts:
--  * xch_*: the built-in reference exchange account store (standalone use, demos, tests). A real exchange keeps
--    its accounts in its own core and is reached through the HTTP adapter instead.
--  * everything else: kinkyu's own records (user web sessions, lock links, locks, unlock approvals, alerts).

CREATE TABLE xch_accounts (
  id text PRIMARY KEY,
  email text NOT NULL,
  email_key text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  locked_at timestamptz,
  trading_blocked boolean NOT NULL DEFAULT false,
  withdrawals_blocked boolean NOT NULL DEFAULT false,
  -- Withdrawals wait until then after a security change (password, 2FA, email, new address).
  withdrawal_hold_until timestamptz
)
--;
CREATE TABLE xch_email_history (
  account_id text NOT NULL REFERENCES xch_accounts(id),
  email text NOT NULL,
  email_key text NOT NULL,
  replaced_at timestamptz NOT NULL DEFAULT now()
)
--;
CREATE INDEX xch_email_history_by_key ON xch_email_history (email_key, replaced_at)
--;
CREATE TABLE xch_api_keys (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES xch_accounts(id),
  key_hash text NOT NULL UNIQUE,
  label text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
)
--;
CREATE TABLE xch_withdrawal_addresses (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES xch_accounts(id),
  asset text NOT NULL,
  address text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  usable_after timestamptz NOT NULL
)
--;
CREATE TABLE xch_withdrawals (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES xch_accounts(id),
  asset text NOT NULL,
  amount text NOT NULL,
  address text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending','sent','cancelled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  cancelled_reason text
)
--;
CREATE INDEX xch_withdrawals_pending ON xch_withdrawals (account_id) WHERE status = 'pending'
--;
CREATE TABLE xch_orders (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES xch_accounts(id),
  pair text NOT NULL,
  side text NOT NULL CHECK (side IN ('buy','sell')),
  amount text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
)
--;
-- kinkyu's side: the user's credentials and web sessions for the security center.
CREATE TABLE user_credentials (
  account_id text PRIMARY KEY REFERENCES xch_accounts(id),
  password_hash text NOT NULL,
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  totp_secret text,
  totp_enabled_at timestamptz,
  -- The last accepted TOTP time step: a code is never accepted twice.
  totp_last_step bigint,
  must_reset_password boolean NOT NULL DEFAULT false,
  must_reenrol_2fa boolean NOT NULL DEFAULT false,
  emergency_contact text,
  emergency_contact_verified_at timestamptz,
  allowlist_enabled boolean NOT NULL DEFAULT false,
  recovery_codes_saved_at timestamptz,
  -- Self-declared preparedness (seed §4): {"privateKeyBackup":true,"bookmarked":true,"faqRead":true}
  declarations jsonb NOT NULL DEFAULT '{}'::jsonb
)
--;
CREATE TABLE user_recovery_codes (
  account_id text NOT NULL REFERENCES xch_accounts(id),
  code_hash text NOT NULL,
  used_at timestamptz,
  PRIMARY KEY (account_id, code_hash)
)
--;
CREATE TABLE user_sessions (
  token_hash text PRIMARY KEY,
  account_id text NOT NULL REFERENCES xch_accounts(id),
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  ip text,
  country text,
  device text
)
--;
CREATE INDEX user_sessions_by_account ON user_sessions (account_id) WHERE revoked_at IS NULL
--;
-- Sign-ins, failures and security changes: the history users see and the input of detection.
CREATE TABLE account_events (
  id bigserial PRIMARY KEY,
  account_id text,
  kind text NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  ip text,
  country text,
  device text,
  data jsonb NOT NULL DEFAULT '{}'::jsonb
)
--;
CREATE INDEX account_events_by_account ON account_events (account_id, at)
--;
CREATE INDEX account_events_by_ip ON account_events (ip, at)
--;
-- One-time "this wasn't me — lock my account" links; only a hash of the token is kept.
CREATE TABLE lock_tokens (
  token_hash text PRIMARY KEY,
  account_id text NOT NULL REFERENCES xch_accounts(id),
  reason text NOT NULL,
  sent_to text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
)
--;
CREATE TABLE account_locks (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES xch_accounts(id),
  source text NOT NULL CHECK (source IN ('self','email_link','help_center','detection','staff')),
  reason text NOT NULL,
  actor_type text NOT NULL,
  actor_id text,
  ip text,
  locked_at timestamptz NOT NULL DEFAULT now(),
  sessions_revoked integer NOT NULL DEFAULT 0,
  api_keys_revoked integer NOT NULL DEFAULT 0,
  withdrawals_cancelled integer NOT NULL DEFAULT 0,
  ticket_id text,
  unlocked_at timestamptz
)
--;
CREATE INDEX account_locks_open ON account_locks (account_id) WHERE unlocked_at IS NULL
--;
CREATE TABLE unlock_requests (
  id text PRIMARY KEY,
  lock_id text NOT NULL REFERENCES account_locks(id),
  account_id text NOT NULL REFERENCES xch_accounts(id),
  requested_by text NOT NULL REFERENCES staff(id),
  checklist jsonb NOT NULL,
  note text NOT NULL DEFAULT '',
  requested_at timestamptz NOT NULL DEFAULT now(),
  decided_by text REFERENCES staff(id),
  decided_at timestamptz,
  decision text CHECK (decision IN ('approved','rejected')),
  CHECK (decided_by IS NULL OR decided_by <> requested_by)
)
--;
CREATE TABLE security_alerts (
  id text PRIMARY KEY,
  account_id text,
  ip text,
  rules jsonb NOT NULL,
  score integer NOT NULL,
  evidence jsonb NOT NULL,
  actions jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  acknowledged_by text REFERENCES staff(id),
  acknowledged_at timestamptz
)
