import type { TicketType } from '../domain/ticket.ts';

/**
 * Ready answers per emergency type, drawn from the seed's playbooks (§3). Staff pick one, adjust it and send.
 * `{exchange}` is replaced by the exchange's name in the ticket's language.
 */
export interface CannedReply {
  id: string;
  type: TicketType;
  titleJa: string;
  titleEn: string;
  bodyJa: string;
  bodyEn: string;
}

export const CANNED_REPLIES: readonly CannedReply[] = [
  {
    id: 'outage-known',
    type: 'outage',
    titleJa: '障害を把握済み・復旧作業中',
    titleEn: 'Known outage, being fixed',
    bodyJa:
      'お問い合わせありがとうございます。現在発生している障害は当社でも把握しており、復旧に向けて対応しています。\n復旧するまでは新しい注文や入出金をお控えください。最新の状況はステータスページと公式Xアカウントでお知らせします。\n障害による損失が生じた可能性がある場合は、このチケットに注文IDと発生日時をお知らせください。',
    bodyEn:
      'Thank you for contacting us. We are aware of the current outage and are working to restore service.\nPlease avoid placing new orders or moving funds until it is fixed. The status page and our official X account carry the latest news.\nIf you think the outage caused you a loss, please reply with the order ID and the time it happened.',
  },
  {
    id: 'outage-recovered',
    type: 'outage',
    titleJa: '復旧のお知らせ',
    titleEn: 'Service restored',
    bodyJa:
      'ご不便をおかけしました。障害は復旧し、現在はすべての機能を通常どおりご利用いただけます。\n障害中に出した注文の状態は取引履歴でご確認ください。履歴と残高が合わない場合は、このチケットにご返信ください。',
    bodyEn:
      'We are sorry for the trouble. The outage is over and every function works normally again.\nPlease check the orders you placed during the outage in your trade history. If your history and balance do not match, reply to this ticket.',
  },
  {
    id: 'security-first-steps',
    type: 'security',
    titleJa: '不正アクセスの疑い・まず行うこと',
    titleEn: 'Suspected account takeover: first steps',
    bodyJa:
      'ご連絡ありがとうございます。お客様のアカウントを保護するため、以下をすぐに行ってください。\n1. パスワードを変更してください (他のサービスと同じパスワードは使わないでください)。\n2. 二段階認証を設定し直してください。\n3. 身に覚えのない出金や送付先アドレスの登録がないか確認してください。\n4. 資産の被害がある場合は、最寄りの警察署にご相談ください。\n当社でもアカウントの状況を確認しています。最後に確実にご自身でログインした日時を、このチケットにお知らせください。',
    bodyEn:
      'Thank you for telling us. To protect your account, please do the following now:\n1. Change your password (do not reuse one from another service).\n2. Set up two-factor authentication again.\n3. Check for withdrawals or withdrawal addresses you do not recognise.\n4. If assets were taken, report it to the police.\nWe are reviewing your account as well. Please reply with the last time you are sure you signed in yourself.',
  },
  {
    id: 'security-phishing',
    type: 'security',
    titleJa: 'フィッシングサイトに入力してしまった場合',
    titleEn: 'Credentials entered on a phishing site',
    bodyJa:
      '偽サイトにログイン情報を入力された場合、第三者に知られている前提で対応する必要があります。\n直ちにパスワードを変更し、二段階認証を再設定してください。同じパスワードを使っている他のサービスも変更してください。\n当社からメールやSMSでパスワードや認証コードを尋ねることはありません。',
    bodyEn:
      'If you entered your sign-in details on a fake site, assume someone else knows them.\nChange your password now and set up two-factor authentication again. Change the password of any other service where you used the same one.\nWe never ask for your password or authentication codes by email or text message.',
  },
  {
    id: 'trading-need-info',
    type: 'trading',
    titleJa: '調査に必要な情報のお願い',
    titleEn: 'Information we need to investigate',
    bodyJa:
      'お問い合わせありがとうございます。調査のため、次の情報をお知らせください。\n・注文ID、または入出金のトランザクションID\n・通貨と数量\n・発生日時\nまずは取引履歴・入出金履歴で状況をご確認いただけますと、より早くご案内できます。',
    bodyEn:
      'Thank you for contacting us. To investigate, please send us:\n- the order ID, or the transaction ID of the deposit or withdrawal\n- the asset and amount\n- when it happened\nChecking your trade and deposit/withdrawal history first helps us answer faster.',
  },
  {
    id: 'trading-withdrawal-delay',
    type: 'trading',
    titleJa: '出金の遅延について',
    titleEn: 'Delayed withdrawal',
    bodyJa:
      '出金は、ネットワークの混雑や当社の確認手続きにより、反映まで時間がかかる場合があります。\n出金履歴の状態と、トランザクションIDが表示されている場合はそのIDをお知らせください。こちらで処理状況を確認します。',
    bodyEn:
      'Withdrawals can take longer when the network is congested or while we run our checks.\nPlease tell us the status shown in your withdrawal history and the transaction ID if one is shown. We will check where it is.',
  },
  {
    id: 'regulatory-notice',
    type: 'regulatory',
    titleJa: '規約・制度変更のご案内',
    titleEn: 'Rule or terms change',
    bodyJa:
      'お問い合わせありがとうございます。今回の変更の内容と、お客様に必要な手続き・期限はお知らせページに掲載しています。\n変更後の利用規約をご確認のうえ、必要な手続きを期限までに行ってください。ご不明な点はこのチケットにご返信ください。',
    bodyEn:
      'Thank you for asking. What changes, what you need to do and by when are on our notices page.\nPlease read the updated terms and complete any required step before the deadline. Reply to this ticket if anything is unclear.',
  },
  {
    id: 'other-general',
    type: 'other',
    titleJa: '一般的なご案内',
    titleEn: 'General answer',
    bodyJa: 'お問い合わせありがとうございます。よくあるご質問 (FAQ) にも手順を掲載していますので、あわせてご覧ください。',
    bodyEn: 'Thank you for contacting us. Our FAQ also explains the steps; please have a look.',
  },
];

export function cannedRepliesFor(type: TicketType): CannedReply[] {
  return CANNED_REPLIES.filter((r) => r.type === type).concat(CANNED_REPLIES.filter((r) => r.type !== type));
}

export function findCannedReply(id: unknown): CannedReply | undefined {
  return typeof id === 'string' ? CANNED_REPLIES.find((r) => r.id === id) : undefined;
}
