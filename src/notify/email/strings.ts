import type { Lang } from '../../web/i18n.ts';

/** The update email's fixed wording. Kept here (not in the page messages): mail has its own tone and layout. */
export const EMAIL_STRINGS: Record<Lang, {
  subject: (exchange: string, incident: string, status: string) => string;
  heading: (exchange: string) => string;
  status: string;
  components: string;
  listSeparator: string;
  updatedAt: string;
  details: string;
  footer: (exchange: string) => string;
  manage: string;
  unsubscribe: string;
}> = {
  ja: {
    subject: (exchange, incident, status) => `【${exchange}】${incident}（${status}）`,
    heading: (exchange) => `${exchange} ステータス情報`,
    status: '状況',
    components: '影響のあるサービス',
    listSeparator: '、',
    updatedAt: '更新日時',
    details: '詳細と最新の状況',
    footer: (exchange) => `このメールは ${exchange} の障害・メンテナンス情報の配信をお申し込みいただいた方にお送りしています。`,
    manage: '配信内容の変更',
    unsubscribe: '配信の停止',
  },
  en: {
    subject: (exchange, incident, status) => `[${exchange}] ${incident} (${status})`,
    heading: (exchange) => `${exchange} status`,
    status: 'Status',
    components: 'Affected services',
    listSeparator: ', ',
    updatedAt: 'Updated',
    details: 'Details and the latest status',
    footer: (exchange) => `You receive this email because you subscribed to incident and maintenance updates from ${exchange}.`,
    manage: 'Change what you receive',
    unsubscribe: 'Unsubscribe',
  },
};
