import type { notifyMailJa } from './mail.ja.ts';

/** The mails of subscribing and of stopped endpoints, in English (plain text). */
export const notifyMailEn: Record<keyof typeof notifyMailJa, string> = {
  'subMail.signature': '\n\nReplies to this email are not read.\n{exchange}\n{statusUrl}',
  'subMail.confirmEmail.subject': '[{exchange}] Status update emails: please confirm',
  'subMail.confirmEmail.text':
    'Someone asked the {exchange} status page to email updates to this address.\n\nTo start receiving them, open this link within {hours} hours and press "Confirm subscription":\n{link}\n\nIf this was not you, ignore this email. Nothing is sent unless the address is confirmed.{signature}',
  'subMail.already.subject': '[{exchange}] Status update emails: you are already subscribed',
  'subMail.already.text':
    'Someone asked to subscribe this address again, but it already receives status updates. There is nothing more to do.\n\nChoose the services and language of your updates here:\n{manage}\n\nTo stop them, use this link:\n{unsubscribe}\n\nIf this was not you, ignore this email: nothing was changed.{signature}',
  'subMail.endpoint.subject': '[{exchange}] Please confirm your {what} notifications',
  'subMail.endpoint.text':
    'Someone set up {what} notifications to {host} on the {exchange} status page and named this address as its owner. If sending keeps failing and we stop, we will tell this address.\n\nTo start the notifications, open this link within {hours} hours and press "Confirm subscription":\n{link}\n\nChange or remove the subscription:\n{manage}\n\nIf this was not you, ignore this email. Nothing is sent unless it is confirmed.{signature}',
  'disabledMail.what.webhook': 'webhook',
  'disabledMail.what.slack': 'Slack notification',
  'disabledMail.why.gone': 'The endpoint answered that it no longer exists (HTTP 410), or its address cannot be used.',
  'disabledMail.why.failures': 'The last {failures} delivery attempts in a row failed.',
  'disabledMail.unknownError': 'unknown',
  'disabledMail.subject': '[{exchange}] Status {what} stopped: {target}',
  'disabledMail.text':
    'We have stopped sending status updates to this {what}:\n\n{target}\n\n' +
    '{why}\nLast error: {error}\n\n' +
    'Updates that could not be delivered will not be sent again. Once the endpoint answers with a 2xx status ' +
    'again, subscribe it anew here:\n{subscribeUrl}\n\n' +
    'You receive this mail because this address was given as the owner of the subscription.\n\n{exchange}',
  'updateMail.subject': '[{exchange}] {incident} ({status})',
  'updateMail.status': 'Status',
  'updateMail.components': 'Affected services',
  'updateMail.updatedAt': 'Updated',
  'updateMail.details': 'Details and the latest status',
  'updateMail.footer': 'You receive this email because you subscribed to incident and maintenance updates from {exchange}.',
  'updateMail.manage': 'Change what you receive',
  'updateMail.unsubscribe': 'Unsubscribe',
  'slack.status': 'Status',
  'slack.open': 'View incident',
};
