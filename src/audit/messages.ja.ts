/** Messages about the audit log's key (operators: the CLI and the server's start), in Japanese. */
export const auditJa = {
  'auditKey.too_short': '監査ログの鍵が {bytes} バイトしかありません。{min} バイト以上 (16進数 64 文字、または base64 44 文字) にしてください',
  'auditKey.malformed': '監査ログの鍵{where}が16進数でも base64 でもありません',
  'auditKey.both_set': 'AUDIT_KEY と AUDIT_KEY_FILE はどちらか一方だけを設定してください',
  'auditKey.file_unreadable': '監査ログの鍵ファイル {path} を読めません: {reason}',
  'auditKey.file_missing': '監査ログの鍵ファイル {path} がありません (`kinkyu audit new-key --out {path}` で作成できます)',
  'auditKey.server_needs_key': 'DATABASE_URL を使うときは監査ログの鍵が必要です。すべてのプロセスに同じ鍵を AUDIT_KEY_FILE (または AUDIT_KEY) で設定してください。鍵は `kinkyu audit new-key --out FILE` で作成できます',
  'auditKey.not_configured': 'このプロセスには監査ログの鍵が設定されていません',
  'auditKey.mismatch': 'この監査ログは鍵 ID {logKeyId} で書かれています。指定された鍵の ID は {givenKeyId} です',
  'auditKey.same_key': '監査ログは既に鍵 ID {keyId} で書かれています。新しい鍵を AUDIT_KEY/AUDIT_KEY_FILE に、古い鍵を --old-key-file で指定してください',
  'auditKey.checkpoint_key': 'このチェックポイントは鍵 ID {checkpointKeyId} で署名されています。指定された鍵の ID は {givenKeyId} です',
  'auditKey.no_key_for_log': 'この監査ログは鍵 ID {logKeyId} で書かれていますが、鍵が指定されていません。AUDIT_KEY または AUDIT_KEY_FILE を設定してください',
  'auditKey.file_exists': '{path} は既にあります。監査ログの鍵は上書きしません',
} as const;
