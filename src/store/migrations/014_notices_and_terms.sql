-- Regulatory notices and terms of service (PRODUCT.md §2.8): notices staff publish to the status page and the
-- feeds, versioned terms, per-user acknowledgements, one-time acknowledgement links and reminder records.
CREATE TABLE notices (
  id text PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('draft', 'published', 'withdrawn')),
  title_ja text NOT NULL CHECK (length(title_ja) BETWEEN 1 AND 200),
  title_en text CHECK (length(title_en) BETWEEN 1 AND 200),
  changes_ja text NOT NULL CHECK (length(changes_ja) BETWEEN 1 AND 5000),
  changes_en text CHECK (length(changes_en) BETWEEN 1 AND 5000),
  action_ja text NOT NULL CHECK (length(action_ja) BETWEEN 1 AND 5000),
  action_en text CHECK (length(action_en) BETWEEN 1 AND 5000),
  effective_from date NOT NULL,
  deadline date CHECK (deadline IS NULL OR deadline >= effective_from),
  revision integer NOT NULL DEFAULT 1,
  created_by text REFERENCES staff(id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  published_at timestamptz,
  withdrawn_at timestamptz,
  withdrawn_reason text CHECK (length(withdrawn_reason) <= 1000)
)
--;
CREATE INDEX notices_published ON notices (published_at DESC) WHERE status = 'published'
--;
-- Every earlier text of a notice, kept when it is edited: what users read before is never lost.
CREATE TABLE notice_revisions (
  notice_id text NOT NULL REFERENCES notices(id),
  revision integer NOT NULL,
  content jsonb NOT NULL,
  replaced_by text REFERENCES staff(id),
  replaced_at timestamptz NOT NULL,
  PRIMARY KEY (notice_id, revision)
)
--;
-- Published and withdrawn notices are on the public page: a change to one reloads every process's snapshot.
-- Drafts are not, so editing a draft does not rebuild the page.
CREATE TRIGGER notices_published_insert AFTER INSERT ON notices
  FOR EACH ROW WHEN (NEW.status <> 'draft') EXECUTE FUNCTION kinkyu_page_changed()
--;
CREATE TRIGGER notices_published_update AFTER UPDATE ON notices
  FOR EACH ROW WHEN (OLD.status <> 'draft' OR NEW.status <> 'draft') EXECUTE FUNCTION kinkyu_page_changed()
--;
CREATE TABLE terms_versions (
  id text PRIMARY KEY,
  label text NOT NULL UNIQUE CHECK (label ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$'),
  status text NOT NULL CHECK (status IN ('draft', 'published')),
  -- Publication order (1, 2, …): "the previous version" of a diff, and "this version or a later one" for
  -- acknowledgements. Set when published; a published version's text never changes.
  seq integer UNIQUE,
  effective_from date NOT NULL,
  body_ja text NOT NULL CHECK (length(body_ja) BETWEEN 1 AND 100000),
  body_en text CHECK (length(body_en) BETWEEN 1 AND 100000),
  summary_ja text NOT NULL CHECK (length(summary_ja) BETWEEN 1 AND 5000),
  summary_en text CHECK (length(summary_en) BETWEEN 1 AND 5000),
  ack_required boolean NOT NULL,
  ack_deadline date CHECK (ack_deadline IS NULL OR ack_deadline >= effective_from),
  created_by text REFERENCES staff(id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  published_at timestamptz,
  CHECK ((status = 'published') = (seq IS NOT NULL AND published_at IS NOT NULL))
)
--;
CREATE TABLE terms_acknowledgements (
  account_id text NOT NULL,
  version_id text NOT NULL REFERENCES terms_versions(id),
  acknowledged_at timestamptz NOT NULL,
  via text NOT NULL CHECK (via IN ('sign_in', 'link')),
  ip text,
  PRIMARY KEY (account_id, version_id)
)
--;
CREATE INDEX terms_acknowledgements_by_version ON terms_acknowledgements (version_id)
--;
-- One-time acknowledgement links from reminder emails, kept as hashes.
CREATE TABLE terms_ack_tokens (
  token_hash text PRIMARY KEY,
  account_id text NOT NULL,
  version_id text NOT NULL REFERENCES terms_versions(id),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz
)
--;
-- One reminder per user, version and stage, whatever the number of processes running the scheduler: the
-- primary key decides which one sends it.
CREATE TABLE terms_reminders (
  account_id text NOT NULL,
  version_id text NOT NULL REFERENCES terms_versions(id),
  stage text NOT NULL CHECK (stage IN ('7d', '1d')),
  queued_at timestamptz NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('queued', 'no_address')),
  PRIMARY KEY (account_id, version_id, stage)
)
