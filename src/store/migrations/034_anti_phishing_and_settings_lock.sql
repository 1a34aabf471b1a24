-- Issue 16, points 3 and 4: the anti-phishing code and the settings lock.
--
-- An account's anti-phishing code: a short phrase the user chose, shown at the top of every mail kinkyu sends to
-- the account's address (the mail sender adds it at send time; the outbox keeps the text without it). email_key is
-- the account's address as last seen (lower-cased): with the reference store the lookup goes by xch_accounts
-- instead; with an exchange core it is refreshed when the address changes here and at every sign-in.
CREATE TABLE anti_phishing_codes (
  account_id text PRIMARY KEY,
  code text NOT NULL CHECK (length(code) BETWEEN 4 AND 20),
  email_key text NOT NULL,
  set_at timestamptz NOT NULL
)
--;
CREATE INDEX anti_phishing_codes_by_email ON anti_phishing_codes (email_key)
--;
-- The account code for an address: by the reference store's accounts first (always current), else by the address
-- kept with the code (an exchange core's accounts are not in xch_accounts).
CREATE FUNCTION kinkyu_account_anti_phishing_code(address_key text) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT code FROM (
    SELECT c.code, 1 AS rank FROM xch_accounts a JOIN anti_phishing_codes c ON c.account_id = a.id WHERE a.email_key = address_key
    UNION ALL
    SELECT c.code, 2 FROM anti_phishing_codes c
     WHERE c.email_key = address_key AND NOT EXISTS (SELECT 1 FROM xch_accounts a WHERE a.id = c.account_id)
  ) found ORDER BY rank LIMIT 1
$$
--;
-- A status-mail subscriber's own code, set from the manage link and confirmed from the mailbox: pending until the
-- link mailed to the address is used ('' pending = remove the code).
ALTER TABLE subscribers ADD COLUMN anti_phishing_code text CHECK (anti_phishing_code IS NULL OR length(anti_phishing_code) BETWEEN 4 AND 20)
--;
ALTER TABLE subscribers ADD COLUMN anti_phishing_pending text
--;
ALTER TABLE subscribers ADD COLUMN anti_phishing_token_hash text UNIQUE
--;
ALTER TABLE subscribers ADD COLUMN anti_phishing_expires_at timestamptz
--;
-- The settings lock: security settings frozen until locked_until. Lifting it early takes a waiting period:
-- lift_at is when the early lift takes effect (NULL: none asked for). Active while now < locked_until and
-- (lift_at IS NULL OR now < lift_at), computed from the application's clock, so it holds across restarts.
CREATE TABLE settings_locks (
  account_id text PRIMARY KEY,
  locked_at timestamptz NOT NULL,
  locked_until timestamptz NOT NULL,
  lift_requested_at timestamptz,
  lift_at timestamptz,
  CHECK (locked_until > locked_at),
  CHECK ((lift_at IS NULL) = (lift_requested_at IS NULL))
)
