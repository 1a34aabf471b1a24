-- What a retrained model was trained from (sha256 of the model code's version, the options and every example),
-- so that `kinkyu triage retrain` with nothing new answers "unchanged" without training again.
ALTER TABLE triage_models ADD COLUMN inputs_digest text
