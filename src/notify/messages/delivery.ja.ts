/** Fan-out delivery progress on the staff incident page (src/notify/delivery-views.ts), in Japanese. */
export const deliveryJa = {
  'delivery.title': '配信状況',
  'delivery.channel': 'チャネル',
  'delivery.channel.email': 'メール',
  'delivery.channel.webhook': 'Webhook',
  'delivery.channel.slack': 'Slack',
  'delivery.channel.x': 'X',
  'delivery.sent': '送信済み',
  'delivery.pending': '送信待ち',
  'delivery.failed': '失敗',
  'delivery.skipped': '対象外',
  'delivery.notNotified': '通知なしで投稿された更新です。',
  'delivery.expanding': '配信先を準備しています。しばらくして再読み込みしてください。',
  'delivery.none': 'この更新の配信先はありません。',
};
