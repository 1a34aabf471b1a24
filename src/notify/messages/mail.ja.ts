/** The mails of subscribing and of stopped endpoints, in Japanese (plain text). */
export const notifyMailJa = {
  'subMail.signature': '\n\nこのメールには返信できません。\n{exchange}\n{statusUrl}',
  'subMail.confirmEmail.subject': '[{exchange}] ステータス更新のメール通知: 登録の確認',
  'subMail.confirmEmail.text':
    '{exchange} のステータスページで、このメールアドレスへの更新通知の登録が申し込まれました。\n\n登録を完了するには、{hours} 時間以内に次のリンクを開き、「登録を確定する」ボタンを押してください:\n{link}\n\nお申し込みに心当たりがない場合は、このメールを無視してください。確認されない限り、通知は届きません。{signature}',
  'subMail.already.subject': '[{exchange}] ステータス更新のメール通知: すでに登録済みです',
  'subMail.already.text':
    'このメールアドレスで更新通知の登録が再度申し込まれましたが、このアドレスはすでに登録されています。新たな手続きは不要です。\n\n通知を受け取るサービスや言語は次のページで変更できます:\n{manage}\n\n通知が不要な場合は、次のリンクから解除できます:\n{unsubscribe}\n\nお申し込みに心当たりがない場合は、このメールを無視してください。登録内容は変わっていません。{signature}',
  'subMail.endpoint.subject': '[{exchange}] {what} 通知の登録の確認',
  'subMail.endpoint.text':
    '{exchange} のステータスページで、{host} への {what} 通知が登録され、このメールアドレスが管理者として指定されました。送信に繰り返し失敗して停止した場合は、このアドレスにお知らせします。\n\n通知を開始するには、{hours} 時間以内に次のリンクを開き、「登録を確定する」ボタンを押してください:\n{link}\n\n登録内容の変更・解除:\n{manage}\n\nお申し込みに心当たりがない場合は、このメールを無視してください。確認されない限り、通知は送られません。{signature}',
  'disabledMail.what.webhook': 'Webhook',
  'disabledMail.what.slack': 'Slack通知',
  'disabledMail.why.gone': '配信先から「存在しない」(HTTP 410) との応答があったか、アドレスが使用できない形式でした。',
  'disabledMail.why.failures': '直近 {failures} 回の配信が続けて失敗しました。',
  'disabledMail.unknownError': '不明',
  'disabledMail.subject': '[{exchange}] ステータス{what}の配信を停止しました: {target}',
  'disabledMail.text':
    '次の{what}へのステータス情報の配信を停止しました。\n\n{target}\n\n' +
    '理由: {why}\n最後のエラー: {error}\n\n' +
    '配信できなかったお知らせは再送されません。配信先が 2xx で応答できる状態に戻りましたら、次のページから改めて登録してください。\n{subscribeUrl}\n\n' +
    'このメールは、登録時に管理者として入力されたアドレスにお送りしています。\n\n{exchange}',
  'updateMail.subject': '【{exchange}】{incident}（{status}）',
  'updateMail.status': '状況',
  'updateMail.components': '影響のあるサービス',
  'updateMail.updatedAt': '更新日時',
  'updateMail.details': '詳細と最新の状況',
  'updateMail.footer': 'このメールは {exchange} の障害・メンテナンス情報の配信をお申し込みいただいた方にお送りしています。',
  'updateMail.manage': '配信内容の変更',
  'updateMail.unsubscribe': '配信の停止',
  'slack.status': '状況',
  'slack.open': '詳細を見る',
} as const;
