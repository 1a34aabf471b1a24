-- Knowledge base: help-center articles, every version of every language kept, feedback per version.

CREATE TABLE kb_articles (
  id text PRIMARY KEY,
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 100),
  category text NOT NULL,
  -- Imported from content/help/articles and never touched by staff since: a later start may refresh it.
  -- Any staff change (edit, draft, republish, withdraw) sets this for good.
  edited_by_staff boolean NOT NULL DEFAULT false,
  withdrawn_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
)
--;
-- Versions are never updated or deleted: an edit is a new row, a republish copies an old one.
CREATE TABLE kb_versions (
  id bigserial PRIMARY KEY,
  article_id text NOT NULL REFERENCES kb_articles(id),
  lang text NOT NULL CHECK (lang IN ('ja','en')),
  version integer NOT NULL CHECK (version >= 1),
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  keywords jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(keywords) = 'array' AND jsonb_array_length(keywords) <= 30),
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 50000),
  category text NOT NULL,
  state text NOT NULL CHECK (state IN ('draft','published')),
  -- Null for versions the system imported from the starter set.
  author_staff_id text REFERENCES staff(id),
  -- A republished old version names the version it copies.
  restored_from integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (article_id, lang, version)
)
--;
-- What the public sees: at most one published version per article and language.
CREATE TABLE kb_current (
  article_id text NOT NULL REFERENCES kb_articles(id),
  lang text NOT NULL CHECK (lang IN ('ja','en')),
  version_id bigint NOT NULL REFERENCES kb_versions(id),
  published_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (article_id, lang)
)
--;
-- "Did this help?": no personal data (no address, no account), only the answer and an optional comment.
CREATE TABLE kb_feedback (
  id bigserial PRIMARY KEY,
  article_id text NOT NULL REFERENCES kb_articles(id),
  lang text NOT NULL CHECK (lang IN ('ja','en')),
  version integer NOT NULL,
  helpful boolean NOT NULL,
  comment text CHECK (length(comment) BETWEEN 1 AND 1000),
  created_at timestamptz NOT NULL DEFAULT now()
)
--;
CREATE INDEX kb_feedback_article ON kb_feedback (article_id, lang)
--;
-- Bumped with every change to what is published: other processes compare it to know their copy is current.
CREATE TABLE kb_state (
  id integer PRIMARY KEY CHECK (id = 1),
  version bigint NOT NULL
)
--;
INSERT INTO kb_state (id, version) VALUES (1, 0)
