import { t, type Lang } from '../../web/i18n.ts';

/**
 * The mails of subscribing, plain text in the subscriber's language. Nothing the form's sender typed is quoted
 * in them (anyone can type any address), except — for a webhook owner — the endpoint's host, which the owner
 * needs to recognise what they are confirming.
 */
export interface MailText {
  subject: string;
  text: string;
}

export interface SubscriptionMailContext {
  lang: Lang;
  exchangeName: string;
  statusUrl: string;
}

const signature = (c: SubscriptionMailContext) => t(c.lang, 'subMail.signature', { exchange: c.exchangeName, statusUrl: c.statusUrl });

export function confirmEmailMail(c: SubscriptionMailContext, link: string, hours: number): MailText {
  const exchange = c.exchangeName;
  return {
    subject: t(c.lang, 'subMail.confirmEmail.subject', { exchange }),
    text: t(c.lang, 'subMail.confirmEmail.text', { exchange, hours, link, signature: signature(c) }),
  };
}

export function alreadySubscribedMail(c: SubscriptionMailContext, links: { manage: string; unsubscribe: string }): MailText {
  const exchange = c.exchangeName;
  return {
    subject: t(c.lang, 'subMail.already.subject', { exchange }),
    text: t(c.lang, 'subMail.already.text', { exchange, manage: links.manage, unsubscribe: links.unsubscribe, signature: signature(c) }),
  };
}

export function confirmEndpointMail(
  c: SubscriptionMailContext,
  input: { kind: 'webhook' | 'slack'; host: string; link: string; hours: number; manage: string },
): MailText {
  const exchange = c.exchangeName;
  const what = input.kind === 'slack' ? 'Slack' : 'Webhook';
  return {
    subject: t(c.lang, 'subMail.endpoint.subject', { exchange, what }),
    text: t(c.lang, 'subMail.endpoint.text', { exchange, what, host: input.host, hours: input.hours, link: input.link, manage: input.manage, signature: signature(c) }),
  };
}

/**
 * To a status-mail subscriber's address: confirm the anti-phishing code change asked for on the manage page (anyone
 * holding a forwarded manage link could ask; only the mailbox decides). The new code is not quoted.
 */
export function antiPhishingConfirmMail(c: SubscriptionMailContext, input: { link: string; hours: number; remove: boolean }): MailText {
  return {
    subject: t(c.lang, 'notify.ap.mail.subject', { exchange: c.exchangeName }),
    text: `${t(c.lang, input.remove ? 'notify.ap.mail.remove' : 'notify.ap.mail.set', { link: input.link, hours: input.hours })}\n\n` +
      t(c.lang, 'notify.ap.mail.signature', { exchange: c.exchangeName, statusUrl: c.statusUrl }),
  };
}
