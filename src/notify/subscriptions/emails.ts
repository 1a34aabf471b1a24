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

const signature = (c: SubscriptionMailContext) =>
  c.lang === 'ja'
    ? `\n\nこのメールには返信できません。\n${c.exchangeName}\n${c.statusUrl}`
    : `\n\nReplies to this email are not read.\n${c.exchangeName}\n${c.statusUrl}`;

export function confirmEmailMail(c: SubscriptionMailContext, link: string, hours: number): MailText {
  return c.lang === 'ja'
    ? {
        subject: `[${c.exchangeName}] ステータス更新のメール通知: 登録の確認`,
        text: `${c.exchangeName} のステータスページで、このメールアドレスへの更新通知の登録が申し込まれました。\n\n登録を完了するには、${hours} 時間以内に次のリンクを開き、「登録を確定する」ボタンを押してください:\n${link}\n\nお申し込みに心当たりがない場合は、このメールを無視してください。確認されない限り、通知は届きません。${signature(c)}`,
      }
    : {
        subject: `[${c.exchangeName}] Status update emails: please confirm`,
        text: `Someone asked the ${c.exchangeName} status page to email updates to this address.\n\nTo start receiving them, open this link within ${hours} hours and press "Confirm subscription":\n${link}\n\nIf this was not you, ignore this email. Nothing is sent unless the address is confirmed.${signature(c)}`,
      };
}

export function alreadySubscribedMail(c: SubscriptionMailContext, links: { manage: string; unsubscribe: string }): MailText {
  return c.lang === 'ja'
    ? {
        subject: `[${c.exchangeName}] ステータス更新のメール通知: すでに登録済みです`,
        text: `このメールアドレスで更新通知の登録が再度申し込まれましたが、このアドレスはすでに登録されています。新たな手続きは不要です。\n\n通知を受け取るサービスや言語は次のページで変更できます:\n${links.manage}\n\n通知が不要な場合は、次のリンクから解除できます:\n${links.unsubscribe}\n\nお申し込みに心当たりがない場合は、このメールを無視してください。登録内容は変わっていません。${signature(c)}`,
      }
    : {
        subject: `[${c.exchangeName}] Status update emails: you are already subscribed`,
        text: `Someone asked to subscribe this address again, but it already receives status updates. There is nothing more to do.\n\nChoose the services and language of your updates here:\n${links.manage}\n\nTo stop them, use this link:\n${links.unsubscribe}\n\nIf this was not you, ignore this email: nothing was changed.${signature(c)}`,
      };
}

export function confirmEndpointMail(
  c: SubscriptionMailContext,
  input: { kind: 'webhook' | 'slack'; host: string; link: string; hours: number; manage: string },
): MailText {
  const what = input.kind === 'slack' ? 'Slack' : 'Webhook';
  return c.lang === 'ja'
    ? {
        subject: `[${c.exchangeName}] ${what} 通知の登録の確認`,
        text: `${c.exchangeName} のステータスページで、${input.host} への ${what} 通知が登録され、このメールアドレスが管理者として指定されました。送信に繰り返し失敗して停止した場合は、このアドレスにお知らせします。\n\n通知を開始するには、${input.hours} 時間以内に次のリンクを開き、「登録を確定する」ボタンを押してください:\n${input.link}\n\n登録内容の変更・解除:\n${input.manage}\n\nお申し込みに心当たりがない場合は、このメールを無視してください。確認されない限り、通知は送られません。${signature(c)}`,
      }
    : {
        subject: `[${c.exchangeName}] Please confirm your ${what} notifications`,
        text: `Someone set up ${what} notifications to ${input.host} on the ${c.exchangeName} status page and named this address as its owner. If sending keeps failing and we stop, we will tell this address.\n\nTo start the notifications, open this link within ${input.hours} hours and press "Confirm subscription":\n${input.link}\n\nChange or remove the subscription:\n${input.manage}\n\nIf this was not you, ignore this email. Nothing is sent unless it is confirmed.${signature(c)}`,
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
