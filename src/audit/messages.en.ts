import type { auditJa } from './messages.ja.ts';

/** Messages about the audit log's key (operators: the CLI and the server's start), in English. */
export const auditEn: Record<keyof typeof auditJa, string> = {
  'auditKey.too_short': 'the audit key is {bytes} bytes long; it must be at least {min} bytes (64 hex characters or 44 base64 characters)',
  'auditKey.malformed': 'the audit key{where} is neither hex nor base64',
  'auditKey.both_set': 'set AUDIT_KEY or AUDIT_KEY_FILE, not both',
  'auditKey.file_unreadable': 'cannot read the audit key file {path}: {reason}',
  'auditKey.file_missing': 'the audit key file {path} does not exist (make one with `kinkyu audit new-key --out {path}`)',
  'auditKey.server_needs_key': 'with DATABASE_URL the audit key must be given: set AUDIT_KEY_FILE (or AUDIT_KEY) to the same key on every process; make one with `kinkyu audit new-key --out FILE`',
  'auditKey.not_configured': 'no audit key is configured in this process (buildApp and the kinkyu command configure it)',
  'auditKey.mismatch': 'this audit log was written with key id {logKeyId}; the key given has id {givenKeyId}',
  'auditKey.same_key': 'the audit log is already written with key id {keyId}: give the NEW key in AUDIT_KEY/AUDIT_KEY_FILE and the old one with --old-key-file',
  'auditKey.checkpoint_key': 'this checkpoint was signed with key id {checkpointKeyId}; the key given has id {givenKeyId}',
  'auditKey.no_key_for_log': 'this audit log was written with key id {logKeyId}, and no audit key was given: set AUDIT_KEY or AUDIT_KEY_FILE',
  'auditKey.file_exists': '{path} already exists; an audit key is never overwritten',
};
