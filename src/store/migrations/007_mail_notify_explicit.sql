-- The outbox trigger sent a NOTIFY for every contact-form ticket: measurable database CPU in a surge.
-- Intake now wakes its own process's sender directly (other processes poll), and the other mail paths
-- notify explicitly (enqueueMail, bulk replies).
DROP TRIGGER mail_outbox_queued ON mail_outbox
--;
DROP FUNCTION kinkyu_mail_queued()
