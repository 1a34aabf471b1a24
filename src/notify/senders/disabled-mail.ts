import { t, type Lang } from '../../web/i18n.ts';

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
  const what = t(c.lang, `disabledMail.what.${c.channel}`);
  const why = c.gone ? t(c.lang, 'disabledMail.why.gone') : t(c.lang, 'disabledMail.why.failures', { failures: c.failures });
  const exchange = c.exchangeName;
  return {
    subject: t(c.lang, 'disabledMail.subject', { exchange, what, target }),
    text: t(c.lang, 'disabledMail.text', {
      exchange, what, target, why, error: c.lastError || t(c.lang, 'disabledMail.unknownError'), subscribeUrl: c.subscribeUrl,
    }),
  };
}
