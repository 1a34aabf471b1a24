-- Triage with a learned model beside the rules (src/support/triage-combined.ts): each ticket says which model
-- took part and whether staff should check it; retrained models live here so every process uses the same one.

-- A message the system is unsure about, or a possible security incident filed as another type: shown at the
-- top of the staff queue until someone corrects (or confirms) the triage.
ALTER TABLE tickets ADD COLUMN needs_human boolean NOT NULL DEFAULT false
--;
-- The learned model's version (NULL: tickets filed before the model, or filed by kinkyu itself, e.g. a lock).
ALTER TABLE tickets ADD COLUMN triage_model_version text
--;
CREATE INDEX tickets_needs_human ON tickets (created_at) WHERE needs_human AND status IN ('new','open','pending_user')
--;
-- Models made by `kinkyu triage retrain` from the corpus and staff corrections. At most one is active; with none,
-- the model committed with the code (src/support/triage-model.json) is used.
CREATE TABLE triage_models (
  version text PRIMARY KEY,
  -- The model file exactly as serialised (byte-identical for the same training data).
  model text NOT NULL,
  -- Test-split figures of the previous model and of this one, as shown when it was accepted.
  figures jsonb NOT NULL,
  corrections integer NOT NULL,
  active boolean NOT NULL DEFAULT false,
  created_by text REFERENCES staff(id),
  created_at timestamptz NOT NULL DEFAULT now()
)
--;
CREATE UNIQUE INDEX triage_models_one_active ON triage_models (active) WHERE active
