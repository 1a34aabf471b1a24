/** The security center's emails, in Japanese (plain text): notices of sensitive changes, codes and links. */
export const securityMailJa = {
  'securityMail.what.new_sign_in': '新しい端末または国からのログイン',
  'securityMail.what.password_changed': 'パスワードの変更',
  'securityMail.what.totp_changed': '二段階認証の設定変更',
  'securityMail.what.email_changed': 'メールアドレスの変更',
  'securityMail.what.withdrawal_address_added': '出金先アドレスの追加',
  'securityMail.what.withdrawal_requested': '出金の申請',
  'securityMail.what.emergency_contact_changed': '緊急連絡先の変更',
  'securityMail.what.recovery_codes_regenerated': 'リカバリーコードの再発行',
  'securityMail.what.passkey_added': 'パスキーの追加',
  'securityMail.what.passkey_removed': 'パスキーの削除',
  'securityMail.what.anti_phishing_changed': 'アンチフィッシングコードの変更',
  'securityMail.what.settings_locked': '設定ロックの開始',
  'securityMail.notice.subject': '[{exchange}] {what}のお知らせ',
  'securityMail.notice.hold': '安全のため、{holdUntil} まで出金を保留します。\n\n',
  'securityMail.notice.text':
    '{at} に、お客様のアカウントで{what}がありました。\n{details}\n\n' +
    '{hold}お客様ご自身の操作であれば、対応は不要です。\n\n' +
    '心当たりがない場合は、今すぐアカウントをロックしてください (パスワード不要・1回限り有効):\n{lockLink}\n\n' +
    'ロックすると、すべてのセッションの終了、APIキーの無効化、取引と出金の停止を行い、セキュリティ担当に通知します。\n\n{signature}',
  'securityMail.contact.subject': '[{exchange}] 緊急連絡先の確認',
  'securityMail.contact.text':
    'アカウント {account} が、このアドレスを緊急連絡先として登録しようとしています。よろしければ、セキュリティセンターで次のコードを入力してください:\n\n  {code}\n\n' +
    'コードの有効期限は24時間です。確認後、このアドレスにもアカウントをロックするためのリンクが届くようになります。\n\n{signature}',
  'securityMail.reset.subject': '[{exchange}] パスワードの再設定',
  'securityMail.reset.text':
    'このアカウントのパスワード再設定が依頼されました。新しいパスワードを設定するには、{minutes}分以内に次のリンクを開いてください (1回だけ使えます):\n\n{resetLink}\n\n' +
    '二段階認証を設定している場合は、認証アプリのコードも必要です。再設定の後は、一定時間出金が保留されます。\n\n' +
    'お心当たりがない場合、第三者がメールアドレスを知っている可能性があります。アカウントが危険だと思われる場合は、今すぐロックしてください (パスワードは不要です):\n{lockLink}\n\n{signature}',
  'securityMail.stepUp.subject': '[{exchange}] ログイン確認コード',
  'securityMail.stepUp.text':
    'お客様のアカウントでいつもと異なる操作が見られたため、ログインに確認コードが必要です。確認コード: {code}\n\n' +
    'いまログインしようとしていない場合は、第三者がパスワードを知っています。パスワードを変更するか、ヘルプセンターからアカウントをロックしてください。\n\n{signature}',
  'securityMail.actionCode.subject': '[{exchange}] 操作の確認コード',
  'securityMail.actionCode.text':
    'セキュリティセンターで、確認が必要な操作 (出金、メールアドレス、二段階認証、リカバリーコードに関するもの) が始まりました。続けるには、{minutes}分以内に次のコードを入力してください。確認コード: {code}\n\n' +
    'お心当たりがない場合は、第三者がお客様のアカウントにログインしています。今すぐロックしてください (パスワード不要・1回限り有効):\n{lockLink}\n\n{signature}',
  'securityMail.emailConfirm.subject': '[{exchange}] 新しいメールアドレスの確認',
  'securityMail.emailConfirm.text':
    '{exchange} のアカウントで、このアドレスへの変更が依頼されました。次のリンクを{minutes}分以内に開き、ボタンを押すと変更が完了します (リンクは1回だけ使えます):\n\n{link}\n\n' +
    '変更後はしばらく出金が保留され、これまでのアドレスにもお知らせが届きます。\n\n' +
    'お心当たりがない場合は、このメールを破棄してください。何も変更されません。\n\n{signature}',
  'securityMail.emailTaken.subject': '[{exchange}] このメールアドレスの利用が試みられました',
  'securityMail.emailTaken.text':
    'このメールアドレスを、{exchange} の別のアカウントで使おうとする操作がありました。何も変更されていません。お客様のアカウントとこのアドレスはそのままで、対応は不要です。\n\n' +
    'ご自身の別のアカウントをこのアドレスに移そうとした場合: 1つのメールアドレスは1つのアカウントでしか使えません。\n\n{signature}',
} as const;
