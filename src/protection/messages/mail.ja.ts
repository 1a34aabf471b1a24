/** The emails of the emergency lock and of the recovery after a takeover, in Japanese (plain text). */
export const protectionMailJa = {
  'lockMail.signature': '{exchange} サポート',
  'lockMail.source.self': 'お客様ご自身の操作',
  'lockMail.source.email_link': 'メールの「心当たりがない — アカウントをロック」リンク',
  'lockMail.source.help_center': 'ヘルプセンターから送ったロック用リンク',
  'lockMail.source.detection': '不審な操作の自動検知',
  'lockMail.source.staff': '当社スタッフ',
  'lockMail.caseRef': ' (受付番号 {number})',
  'lockMail.locked.subject': '[{exchange}] アカウントをロックしました',
  'lockMail.locked.text':
    '{at} に、{source}によりお客様のアカウントをロックしました。\n\n' +
    '・すべてのログイン中のセッションを終了し ({sessions} 件)、APIキーを無効にしました ({keys} 件)\n' +
    '・取引と出金を停止しました\n・処理待ちの出金を取り消しました ({withdrawals} 件)\n\n' +
    '今後の流れ: セキュリティ担当が緊急の案件として対応を始めています{caseRef}。ロックの解除には本人確認が必要です。' +
    '解除後、新しいパスワードと二段階認証を設定し直していただきます。\n資産の被害がある場合は、警察にも届け出てください。\n\n{signature}',
  'lockMail.link.subject': '[{exchange}] アカウントをロックするためのリンク',
  'lockMail.link.text':
    'このアカウントをロックするためのリンクの送信が依頼されました。第三者に操作されているおそれがある場合は、今すぐ開いてください:\n\n{link}\n\n' +
    'ロックすると、すべてのセッションの終了、APIキーの無効化、取引と出金の停止を行います。パスワードは不要です。' +
    'リンクは1回だけ使えます。お心当たりがない場合は、このメールは破棄してください。\n\n{signature}',
  'unlockMail.role.security': '当社セキュリティチームの担当者',
  'unlockMail.role.admin': '当社の管理責任者',
  'unlockMail.role.other': '当社の担当者',
  'unlockMail.itemAdded': ' ({when} に追加)',
  'unlockMail.removed':
    '{from} からロックした {locked} までの、第三者に操作されていたおそれのある期間に追加された次のものを削除しました:\n{list}',
  'unlockMail.removed.addresses': '出金先アドレス (削除しました):',
  'unlockMail.removed.keys': 'APIキー (無効にしました。再び使うことはできません):',
  'unlockMail.nothingRemoved': '{from} からロックした {locked} までの期間に追加された出金先アドレスとAPIキーはなかったため、削除したものはありません。',
  'unlockMail.emailRestored':
    '\n\nこの期間に、アカウントのメールアドレスが {address} に変更されていました。以前のアドレス (このメールの宛先) に戻しました。今後のお知らせはこのアドレスにお送りします。',
  'unlockMail.kept.addresses': '出金先アドレス:',
  'unlockMail.kept.keys': 'APIキー:',
  'unlockMail.kept.email': 'メールアドレス:\n  - {address}',
  'unlockMail.kept': '\n\nお客様に確認のうえ、残したもの:\n{list}',
  'unlockMail.step.resetLink': '次のリンクから新しいパスワードを設定してください ({hours}時間有効・1回限り。以前のパスワードは使えません):\n   {link}',
  'unlockMail.step.reset': '新しいパスワードを設定してください (以前のパスワードは使えません)。',
  'unlockMail.step.twoFactor': '新しいパスワードでログインし、二段階認証を設定し直してください。以前の認証アプリの登録とリカバリーコードは使えなくなっています。',
  'unlockMail.step.check': 'セキュリティセンターで、出金先アドレス・APIキー・ログイン中の端末を確認してください。',
  'unlockMail.subject': '[{exchange}] アカウントのロックを解除しました',
  'unlockMail.lead':
    '{when} に、{role}がお客様のアカウントのロックを解除しました。解除の前に、別の担当者がお客様の本人確認を行っています。すべての端末はログアウトした状態です。\n\n',
  'unlockMail.next': '\n\n次にしていただくこと:\n',
  'unlockMail.relock': 'このロック解除にお心当たりがない場合は、今すぐ次のリンクからアカウントをロックしてください (パスワード不要・1回限り有効):\n{link}\n\n',
  'emailReplacedMail.subject': '[{exchange}] このメールアドレスをアカウントから外しました',
  'emailReplacedMail.text':
    '{when} に、当社セキュリティチームが、このメールアドレスが登録されていた {exchange} のアカウントのメールアドレスを、以前のアドレスに戻しました。アカウントの持ち主の本人確認を行ったうえで、このアドレスへの変更は持ち主によるものではないと判断したためです。\n\n' +
    'このアドレスには、今後このアカウントのお知らせは届きません。このメールについて操作していただくことはありません。\n\n' +
    'ご自身で変更されたものである場合は、{exchange} サポートにお問い合わせください。\n\n{signature}',
  'emailRestoredMail.subject': '[{exchange}] メールアドレスを元に戻しました',
  'emailRestoredMail.text':
    '{when} に、当社セキュリティチームが、お客様のアカウントのメールアドレスをこのアドレスに戻しました。第三者に操作されていたおそれのある期間に、{replaced} に変更されていたためです。今後のお知らせはこのアドレスにお送りします。\n\n' +
    'お心当たりがない場合は、{exchange} サポートにお問い合わせください。\n\n{signature}',
  'lockTicket.body': '[自動] アカウントの緊急ロック ({source})\n理由: {reason}\nセッション・APIキーを無効化し、取引と出金を停止しました (処理待ちの出金 {withdrawals} 件を取り消し)。本人確認のうえ対応してください。',
  'detectionTicket.body': '[自動] 不審な操作を検知しました (スコア {score})\n検知ルール: {reasons}\nアラート: /staff/security/alerts/{alertId}\n本人確認のうえ対応してください。',
  'alertMail.subject': '[{exchange}] お客様のアカウントで普段と異なる操作がありました',
  'alertMail.text':
    '{at} に、お客様のアカウントで普段と異なる操作を検知しました ({reasons}、{where})。\n\n' +
    'お客様ご自身の操作であれば、このメールは破棄してください。お心当たりがない場合は、今すぐ次のリンクからアカウントをロックしてください (パスワードは不要です):\n\n{link}\n\n' +
    'ロックすると、すべてのセッションの終了、APIキーの無効化、取引と出金の停止を行います。リンクは1回だけ使えます。\n\n{signature}',
  'lockTicket.source.self': '本人 (ログイン中)',
  'lockTicket.source.email_link': 'メールのロックリンク',
  'lockTicket.source.help_center': 'ヘルプセンター',
  'lockTicket.source.detection': '不審な操作の検知',
  'lockTicket.source.staff': 'スタッフ',
} as const;
