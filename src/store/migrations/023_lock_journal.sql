-- The lock journal (issue 11). A lock's intent is committed before the exchange is asked to lock — in the same
-- statement that spends a lock link — and marked effective once the exchange has locked. Recording it (lock
-- row, account event, email, urgent ticket, audit entry) happens in one transaction that sets recorded_at, so a
-- crash at any step leaves an intent that the reconciler finishes: it asks the exchange again with the same
-- lock id (idempotent) and records exactly once.
CREATE TABLE lock_intents (
  id text PRIMARY KEY,
  account_id text NOT NULL,
  source text NOT NULL CHECK (source IN ('self','email_link','help_center','detection','staff')),
  reason text NOT NULL,
  actor_type text NOT NULL,
  actor_id text,
  ip text,
  lang text NOT NULL DEFAULT 'ja',
  -- The urgent ticket's number, taken when the intent is opened so the answer can name it before the ticket
  -- row is written.
  ticket_number bigint NOT NULL DEFAULT nextval('ticket_number_seq'),
  created_at timestamptz NOT NULL,
  effective_at timestamptz,
  effects jsonb,
  recorded_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  last_error text
)
--;
CREATE INDEX lock_intents_open ON lock_intents (next_attempt_at) WHERE recorded_at IS NULL
--;
CREATE INDEX lock_intents_account ON lock_intents (account_id)
--;
-- Lock-link requests from the help center: accepted (committed) before the page says "sent", carried out after
-- the answer so that its duration tells nothing about the account. The identifier is blanked once done.
CREATE TABLE lock_link_requests (
  id text PRIMARY KEY,
  identifier text NOT NULL,
  lang text NOT NULL,
  ip text,
  created_at timestamptz NOT NULL,
  processed_at timestamptz,
  links_sent integer,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  last_error text
)
--;
CREATE INDEX lock_link_requests_open ON lock_link_requests (next_attempt_at) WHERE processed_at IS NULL
