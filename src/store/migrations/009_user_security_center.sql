-- The user security center (src/user): a sign-in waiting for its second factor, the user's language for
-- security emails, a 2FA secret being enrolled, and the emergency contact's verification code.
ALTER TABLE user_sessions ADD COLUMN pending_2fa boolean NOT NULL DEFAULT false
--;
ALTER TABLE user_credentials ADD COLUMN lang text NOT NULL DEFAULT 'ja'
--;
ALTER TABLE user_credentials ADD COLUMN totp_pending_secret text
--;
ALTER TABLE user_credentials ADD COLUMN emergency_contact_code_hash text
--;
ALTER TABLE user_credentials ADD COLUMN emergency_contact_code_expires_at timestamptz
