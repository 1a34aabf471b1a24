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
-- An exchange core's account: its addresses replaced in the last 30 days, as the core last said (at sign-in) or as
-- changed here. Lock links go to them ("a hijacker changes the email first"), so the code does too.
CREATE TABLE anti_phishing_previous (
  account_id text NOT NULL,
  email_key text NOT NULL,
  replaced_at timestamptz NOT NULL,
  PRIMARY KEY (account_id, email_key)
)
--;
CREATE INDEX anti_phishing_previous_by_email ON anti_phishing_previous (email_key)
--;
-- The account code for an address: the account whose address it is, else (when `at` is given) the account that had it
-- until less than 30 days before `at` and has not disowned it (a restore after a takeover disowns the intruder's), as
-- long as no other account has it now.
-- The reference store's accounts are read from xch_accounts (always current); an exchange core's from the copies above.
CREATE FUNCTION kinkyu_account_anti_phishing_code(address_key text, at timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT code FROM (
    SELECT c.code, 1 AS rank FROM xch_accounts a JOIN anti_phishing_codes c ON c.account_id = a.id WHERE a.email_key = address_key
    UNION ALL
    SELECT c.code, 2 FROM anti_phishing_codes c
     WHERE c.email_key = address_key AND NOT EXISTS (SELECT 1 FROM xch_accounts a WHERE a.id = c.account_id)
    UNION ALL
    SELECT c.code, 3 FROM xch_email_history h JOIN anti_phishing_codes c ON c.account_id = h.account_id
     WHERE at IS NOT NULL AND h.email_key = address_key AND h.replaced_at >= at - interval '30 days' AND h.disowned_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM xch_accounts a WHERE a.email_key = address_key)
    UNION ALL
    SELECT c.code, 4 FROM anti_phishing_previous p JOIN anti_phishing_codes c ON c.account_id = p.account_id
     WHERE at IS NOT NULL AND p.email_key = address_key AND p.replaced_at >= at - interval '30 days'
       AND NOT EXISTS (SELECT 1 FROM xch_accounts a WHERE a.id = p.account_id)
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
