-- Staff passkeys (issue 16): a passkey is a staff_factors row of kind 'passkey', as 036 planned. Several per member,
-- each named; the COSE public key as @simplewebauthn/server returned it (base64url); the signature counter only goes
-- up — one that goes backwards means a copied authenticator, and the passkey is turned off (disabled_at) rather
-- than used. Staff credentials live here and users' in user_passkeys: a lookup of one never finds the other.
ALTER TABLE staff_factors DROP CONSTRAINT staff_factors_kind
--;
ALTER TABLE staff_factors ADD CONSTRAINT staff_factors_kind CHECK (kind IN ('totp', 'passkey'))
--;
ALTER TABLE staff_factors
  ADD COLUMN name text,
  ADD COLUMN credential_id text,
  ADD COLUMN public_key text,
  ADD COLUMN sign_counter bigint,
  ADD COLUMN transports jsonb,
  ADD COLUMN device_type text,
  ADD COLUMN backed_up boolean,
  ADD COLUMN disabled_at timestamptz,
  ADD COLUMN disabled_reason text
--;
ALTER TABLE staff_factors ADD CONSTRAINT staff_factors_passkey CHECK (
  kind <> 'passkey' OR (credential_id IS NOT NULL AND public_key IS NOT NULL AND name IS NOT NULL AND sign_counter IS NOT NULL AND sign_counter >= 0)
)
--;
CREATE UNIQUE INDEX staff_factors_credential ON staff_factors (credential_id) WHERE credential_id IS NOT NULL
--;
-- The member's WebAuthn user handle: random, never the staff id or the email; the same for all their passkeys.
ALTER TABLE staff ADD COLUMN webauthn_user_id text UNIQUE
