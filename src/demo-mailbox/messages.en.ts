import type { mailboxJa } from './messages.ja.ts';

/** The demo's built-in mailbox: /staff/mailbox and /account/mailbox (English). */
export const mailboxEn: Record<keyof typeof mailboxJa, string> = {
  'mailbox.title': 'Demo mailbox',
  'mailbox.nav': 'Demo mailbox',
  'mailbox.staffLead': 'In the demo (--demo without SMTP_URL) no mail leaves this server: it arrives here. It is sent exactly as in production (queued, retried, with its Message-ID).',
  'mailbox.userLead': 'Mail to {address}. In the demo no mail leaves this server: it arrives here.',
  'mailbox.none': 'No mail yet.',
  'mailbox.received': 'Received',
  'mailbox.to': 'To',
  'mailbox.from': 'From',
  'mailbox.subject': 'Subject',
  'mailbox.noSubject': '(no subject)',
  'mailbox.older': 'Older mail',
  'mailbox.newest': 'Back to the newest mail',
  'mailbox.body': 'Message',
  'mailbox.headers': 'Headers',
  'mailbox.headerName': 'Name',
  'mailbox.headerValue': 'Value',
  'mailbox.source': 'View the original message (MIME)',
  'mailbox.back': 'Back to the list',
  'mailbox.backToCenter': 'Back to the security center',
  'mailbox.centerNotice': 'Demo: mail to this account is not sent anywhere; it arrives in the demo mailbox.',
  'mailbox.centerLink': 'Read your mail',
  'mailbox.stepUpLink': 'See the code in the demo mailbox (opens in a new tab)',
};
