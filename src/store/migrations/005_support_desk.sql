-- Support desk: tickets from the contact form, their threads, triage corrections, and the mail outbox.

-- Keys the app derives secrets from (secret ticket links), made once per installation unless configured.
CREATE TABLE app_secrets (
  name text PRIMARY KEY,
  value text NOT NULL
)
--;
CREATE SEQUENCE ticket_number_seq START WITH 100001
--;
CREATE TABLE tickets (
  id text PRIMARY KEY,
  -- What the user quotes on the phone: short, digits only.
  number bigint NOT NULL UNIQUE DEFAULT nextval('ticket_number_seq'),
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  lang text NOT NULL CHECK (lang IN ('ja','en')),
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
  order_id text CHECK (length(order_id) <= 100),
  transaction_id text CHECK (length(transaction_id) <= 200),
  asset text CHECK (length(asset) <= 20),
  amount text CHECK (length(amount) <= 40),
  user_category text CHECK (user_category IN ('outage','security','trading','regulatory','other')),
  type text NOT NULL CHECK (type IN ('outage','security','trading','regulatory','other')),
  priority text NOT NULL CHECK (priority IN ('urgent','high','normal','low')),
  -- What automatic triage said, kept when staff correct it.
  triage_type text NOT NULL,
  triage_priority text NOT NULL,
  triage_reasons jsonb NOT NULL DEFAULT '[]'::jsonb,
  status text NOT NULL DEFAULT 'new' CHECK (status IN ('new','open','pending_user','solved','closed')),
  assignee_id text REFERENCES staff(id),
  incident_id text REFERENCES incidents(id),
  incident_link text CHECK (incident_link IN ('auto','staff')),
  -- Information requested from the user: [{"item":"order_id","requestedAt":"…","receivedAt":null}]
  checklist jsonb NOT NULL DEFAULT '[]'::jsonb,
  first_response_due_at timestamptz,
  resolution_due_at timestamptz,
  sla_paused_at timestamptz,
  first_responded_at timestamptz,
  solved_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  ip text
)
--;
CREATE INDEX tickets_queue ON tickets (status, priority, created_at)
--;
CREATE INDEX tickets_by_incident ON tickets (incident_id) WHERE incident_id IS NOT NULL
--;
CREATE INDEX tickets_by_assignee ON tickets (assignee_id) WHERE assignee_id IS NOT NULL
--;
CREATE TABLE ticket_messages (
  id bigserial PRIMARY KEY,
  ticket_id text NOT NULL REFERENCES tickets(id),
  -- user: from the user; reply: public staff reply; note: internal; auto: sent by kinkyu (incident update).
  kind text NOT NULL CHECK (kind IN ('user','reply','note','auto')),
  author_id text REFERENCES staff(id),
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
  incident_update_id text,
  created_at timestamptz NOT NULL DEFAULT now()
)
--;
CREATE INDEX ticket_messages_by_ticket ON ticket_messages (ticket_id, id)
--;
CREATE TABLE triage_corrections (
  id bigserial PRIMARY KEY,
  ticket_id text NOT NULL REFERENCES tickets(id),
  staff_id text REFERENCES staff(id),
  from_type text NOT NULL,
  from_priority text NOT NULL,
  to_type text NOT NULL,
  to_priority text NOT NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
)
--;
-- Email is written here in the transaction that causes it and sent afterwards, with retries:
-- SMTP trouble never loses or blocks the change that produced the message.
CREATE TABLE mail_outbox (
  id bigserial PRIMARY KEY,
  message_id text NOT NULL UNIQUE,
  to_address text NOT NULL,
  subject text NOT NULL,
  text_body text NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}'::jsonb,
  ticket_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  sent_at timestamptz,
  failed_at timestamptz,
  last_error text
)
--;
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL
--;
CREATE FUNCTION kinkyu_mail_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('kinkyu_mail', '');
  RETURN NULL;
END $$
--;
CREATE TRIGGER mail_outbox_queued AFTER INSERT ON mail_outbox
  FOR EACH STATEMENT EXECUTE FUNCTION kinkyu_mail_queued()
