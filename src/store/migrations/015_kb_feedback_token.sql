-- "Did this help?": one answer per page view. The article page carries a signed token; an answer stores the
-- token's hash here, and the primary key refuses the same token a second time. Tokens expire after a day,
-- so rows older than that are deleted as answers come in.
CREATE TABLE kb_feedback_tokens (
  token_hash text PRIMARY KEY CHECK (length(token_hash) BETWEEN 20 AND 100),
  used_at timestamptz NOT NULL
)
--;
CREATE INDEX kb_feedback_tokens_used ON kb_feedback_tokens (used_at)
