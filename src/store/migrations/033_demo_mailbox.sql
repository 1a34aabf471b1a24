-- The demo's built-in mailbox (`kinkyu start --demo` without SMTP_URL): every mail the outbox worker or the
-- fan-out's email channel sends is composed by nodemailer as for SMTP and kept here, one row per recipient, to be
-- read at /staff/mailbox and, for a user's own address, in the security center. Nothing writes here outside the
-- demo. `raw` is the message exactly as composed (what an SMTP server would have received).
CREATE TABLE demo_mailbox (
  id bigserial PRIMARY KEY,
  message_id text NOT NULL,
  to_address text NOT NULL,
  from_header text NOT NULL,
  subject text NOT NULL,
  -- [[name, value], …] in the message's order, unfolded and RFC 2047 decoded.
  headers jsonb NOT NULL,
  text_body text NOT NULL,
  raw bytea NOT NULL,
  received_at timestamptz NOT NULL,
  -- A copy sent again after a crash (same Message-ID) is the same message: kept once.
  UNIQUE (message_id, to_address)
)
--;
CREATE INDEX demo_mailbox_recipient ON demo_mailbox (lower(to_address), id DESC)
