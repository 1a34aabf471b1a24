-- The language a mail is written in: the sender's display name follows it ("デモ取引所" / "Demo Exchange"), so an
-- English mail no longer arrives under the Japanese name. NULL for mail queued before this column (sent under the
-- default language's name).
ALTER TABLE mail_outbox ADD COLUMN lang text CHECK (lang IN ('ja', 'en'))
