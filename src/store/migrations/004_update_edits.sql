-- Published updates can be corrected; the previous text is kept in the audit log.
ALTER TABLE incident_updates ADD COLUMN edited_at timestamptz
