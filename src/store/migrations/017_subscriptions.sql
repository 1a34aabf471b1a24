-- Subscribers to status updates (PRODUCT.md §2.6): email (double opt-in), webhook, Slack incoming webhook, and
-- the exchange's own X account (one row with target 'config' when X credentials are configured).
-- A subscriber is active when confirmed_at IS NOT NULL AND unsubscribed_at IS NULL AND disabled_at IS NULL.
CREATE TABLE subscribers (
  id text PRIMARY KEY,
  channel text NOT NULL CHECK (channel IN ('email', 'webhook', 'slack', 'x')),
  -- email: the address as given (display) ; target_key: lower-cased address or the URL, for uniqueness
  target text NOT NULL CHECK (length(target) BETWEEN 1 AND 2048),
  target_key text NOT NULL,
  lang text NOT NULL DEFAULT 'ja' CHECK (lang IN ('ja', 'en')),
  -- Component ids to hear about; NULL = everything. An incident update matches when it affects one of them
  -- (or affects no component at all: page-wide news reaches everyone).
  components jsonb CHECK (components IS NULL OR jsonb_typeof(components) = 'array'),
  -- Webhook signing secret (HMAC-SHA256); shown to the subscriber once. Needed in clear to sign.
  secret text,
  -- Whom to tell when a webhook or Slack endpoint is disabled after repeated failure.
  owner_email text,
  confirm_token_hash text UNIQUE,
  confirm_expires_at timestamptz,
  confirmed_at timestamptz,
  unsubscribed_at timestamptz,
  disabled_at timestamptz,
  disabled_reason text,
  consecutive_failures integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_ip text
)
--;
-- One live subscription per channel and target; an unsubscribed or disabled one may subscribe again.
CREATE UNIQUE INDEX subscribers_live_target ON subscribers (channel, target_key)
  WHERE unsubscribed_at IS NULL AND disabled_at IS NULL
--;
CREATE INDEX subscribers_active ON subscribers (channel) WHERE confirmed_at IS NOT NULL AND unsubscribed_at IS NULL AND disabled_at IS NULL
