-- Passkeys (WebAuthn, issue 16): a user's registered authenticators, and the single-use challenges of every
-- ceremony (src/webauthn). The public key is the COSE key as @simplewebauthn/server returned it (base64url); the
-- signature counter only goes up — one that goes backwards means a copied authenticator, and the passkey is
-- turned off (disabled_at, disabled_reason) rather than used.
CREATE TABLE user_passkeys (
  id text PRIMARY KEY,
  account_id text NOT NULL,
  credential_id text NOT NULL UNIQUE,
  public_key text NOT NULL,
  counter bigint NOT NULL DEFAULT 0 CHECK (counter >= 0),
  transports jsonb NOT NULL DEFAULT '[]'::jsonb,
  device_type text NOT NULL,
  backed_up boolean NOT NULL DEFAULT false,
  name text NOT NULL,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz,
  disabled_at timestamptz,
  disabled_reason text
)
--;
CREATE INDEX user_passkeys_by_account ON user_passkeys (account_id)
--;
-- The WebAuthn user handle: random, never the account id or the email (authenticators keep it and show nothing
-- of it); the same for every passkey of the account, so one authenticator holds one passkey per account.
ALTER TABLE user_credentials ADD COLUMN webauthn_user_id text UNIQUE
--;
-- A challenge is issued to one browser (`binding`: a hash of its session or pre-sign-in token) for one ceremony
-- (`realm` user or staff, `purpose` register or authenticate, `subject` the account, or null for a sign-in with a
-- passkey alone), kept as a hash, used at most once (`used_at`) and only before it expires.
CREATE TABLE webauthn_challenges (
  challenge_hash text PRIMARY KEY,
  realm text NOT NULL CHECK (realm IN ('user', 'staff')),
  purpose text NOT NULL CHECK (purpose IN ('register', 'authenticate')),
  binding text NOT NULL,
  subject text,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
)
--;
CREATE INDEX webauthn_challenges_by_expiry ON webauthn_challenges (expires_at)
