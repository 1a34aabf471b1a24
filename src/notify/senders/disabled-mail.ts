import type { Lang } from '../../web/i18n.ts';

export interface DisabledMailInput {
  lang: Lang;
  exchangeName: string;
  channel: 'webhook' | 'slack';
  /** The endpoint as the owner gave it; for Slack only its host is shown (the path is the secret). */
  target: string;
  failures: number;
  /** Log-safe detail of the last attempt, e.g. "HTTP 500 …" or "timed out". */
  lastError: string;
  gone: boolean;
  subscribeUrl: string;
}

/** Slack webhook paths are credentials: the owner recognises the workspace's host, a reader learns nothing. */
function shownTarget(channel: DisabledMailInput['channel'], target: string): string {
  if (channel === 'webhook') return target;
  try {
    const url = new URL(target);
    return `${url.protocol}//${url.host}/…`;
  } catch {
    return '…';
  }
}

/** The mail to an endpoint's owner when repeated failure stopped deliveries to it. */
export function endpointDisabledMail(c: DisabledMailInput): { subject: string; text: string } {
  const target = shownTarget(c.channel, c.target);
  if (c.lang === 'en') {
    const what = c.channel === 'webhook' ? 'webhook' : 'Slack notification';
    const why = c.gone
      ? 'The endpoint answered that it no longer exists (HTTP 410), or its address cannot be used.'
      : `The last ${c.failures} delivery attempts in a row failed.`;
    return {
      subject: `[${c.exchangeName}] Status ${what} stopped: ${target}`,
      text:
        `We have stopped sending status updates to this ${what}:\n\n${target}\n\n` +
        `${why}\nLast error: ${c.lastError || 'unknown'}\n\n` +
        `Updates that could not be delivered will not be sent again. Once the endpoint answers with a 2xx status ` +
        `again, subscribe it anew here:\n${c.subscribeUrl}\n\n` +
        `You receive this mail because this address was given as the owner of the subscription.\n\n${c.exchangeName}`,
    };
  }
  const what = c.channel === 'webhook' ? 'Webhook' : 'Slack通知';
  const why = c.gone
    ? '配信先から「存在しない」(HTTP 410) との応答があったか、アドレスが使用できない形式でした。'
    : `直近 ${c.failures} 回の配信が続けて失敗しました。`;
  return {
    subject: `[${c.exchangeName}] ステータス${what}の配信を停止しました: ${target}`,
    text:
      `次の${what}へのステータス情報の配信を停止しました。\n\n${target}\n\n` +
      `理由: ${why}\n最後のエラー: ${c.lastError || '不明'}\n\n` +
      `配信できなかったお知らせは再送されません。配信先が 2xx で応答できる状態に戻りましたら、次のページから改めて登録してください。\n${c.subscribeUrl}\n\n` +
      `このメールは、登録時に管理者として入力されたアドレスにお送りしています。\n\n${c.exchangeName}`,
  };
}
