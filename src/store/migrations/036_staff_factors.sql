-- Staff multi-factor sign-in (issue 16): every staff member enrols a factor before anything else.
--
-- One row per factor. The columns every kind shares come first; each kind adds its own nullable columns and a
-- CHECK that they are set for it. A passkey is added later by a migration that widens staff_factors_kind to
-- ('totp','passkey') and adds its columns (credential id, public key, sign counter, transports) with
-- CHECK (kind <> 'passkey' OR credential_id IS NOT NULL): nothing that reads factors by kind has to change.
CREATE TABLE staff_factors (
  id text PRIMARY KEY,
  staff_id text NOT NULL REFERENCES staff(id),
  kind text NOT NULL CONSTRAINT staff_factors_kind CHECK (kind IN ('totp')),
  created_at timestamptz NOT NULL,
  last_used_at timestamptz,
  -- kind 'totp': the base32 secret and the last time step accepted (a code is never accepted twice)
  totp_secret text,
  totp_last_step bigint,
  CONSTRAINT staff_factors_totp CHECK (kind <> 'totp' OR totp_secret IS NOT NULL)
)
--;
CREATE INDEX staff_factors_staff ON staff_factors (staff_id)
--;
-- One authenticator app per staff member (several passkeys will be allowed).
CREATE UNIQUE INDEX staff_factors_one_totp ON staff_factors (staff_id) WHERE kind = 'totp'
--;
-- Recovery codes: shown once, only their SHA-256 kept (each has ~60 random bits), each used once.
CREATE TABLE staff_recovery_codes (
  staff_id text NOT NULL REFERENCES staff(id),
  code_hash text NOT NULL,
  created_at timestamptz NOT NULL,
  used_at timestamptz,
  PRIMARY KEY (staff_id, code_hash)
)
--;
-- factor_at: when this session last passed a factor (sign-in, or a code entered again for a sensitive action);
-- NULL: the password only, and the session opens nothing but the factor step, the enrolment and sign-out.
ALTER TABLE staff_sessions ADD COLUMN factor_at timestamptz
--;
ALTER TABLE staff_sessions ADD COLUMN auth_method text
--;
-- The authenticator secret being enrolled on this session, until a code from it is confirmed.
ALTER TABLE staff_sessions ADD COLUMN pending_totp_secret text
--;
-- Sessions from before this migration passed no factor: they must sign in again.
DELETE FROM staff_sessions
--;
-- Sign-in through the company's OpenID Connect provider: the subject it gave, linked by an admin or by a verified
-- email at the first sign-in. Roles stay in kinkyu.
ALTER TABLE staff ADD COLUMN oidc_issuer text
--;
ALTER TABLE staff ADD COLUMN oidc_subject text
--;
CREATE UNIQUE INDEX staff_oidc_subject ON staff (oidc_issuer, oidc_subject) WHERE oidc_subject IS NOT NULL
--;
-- Authorization requests in flight: the state (hashed; the browser keeps it in a cookie too), the nonce and the
-- PKCE verifier. Used once (deleted when the answer comes back), short-lived.
CREATE TABLE staff_oidc_logins (
  state_hash text PRIMARY KEY,
  nonce text NOT NULL,
  code_verifier text NOT NULL,
  next text NOT NULL,
  expires_at timestamptz NOT NULL
)
--;
-- Resetting another member's factors takes two admins: one asks, another approves. Enforced in the command and
-- here: the requester never approves, and nobody asks for or approves their own reset.
CREATE TABLE staff_factor_resets (
  id text PRIMARY KEY,
  staff_id text NOT NULL REFERENCES staff(id),
  requested_by text NOT NULL REFERENCES staff(id),
  requested_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  reason text NOT NULL,
  approved_by text REFERENCES staff(id),
  approved_at timestamptz,
  cancelled_by text REFERENCES staff(id),
  cancelled_at timestamptz,
  CONSTRAINT staff_factor_resets_not_own CHECK (requested_by <> staff_id),
  CONSTRAINT staff_factor_resets_four_eyes CHECK (approved_by IS NULL OR (approved_by <> requested_by AND approved_by <> staff_id))
)
--;
CREATE UNIQUE INDEX staff_factor_resets_open ON staff_factor_resets (staff_id) WHERE approved_at IS NULL AND cancelled_at IS NULL
