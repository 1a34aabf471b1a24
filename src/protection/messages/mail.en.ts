import type { protectionMailJa } from './mail.ja.ts';

/** The emails of the emergency lock and of the recovery after a takeover, in English (plain text). */
export const protectionMailEn: Record<keyof typeof protectionMailJa, string> = {
  'lockMail.signature': '{exchange} Support',
  'lockMail.source.self': 'your own request',
  'lockMail.source.email_link': 'the "this wasn\'t me — lock my account" link',
  'lockMail.source.help_center': 'the lock link sent from the help center',
  'lockMail.source.detection': 'automatic detection of suspicious activity',
  'lockMail.source.staff': 'our staff',
  'lockMail.caseRef': ' (ticket {number})',
  'lockMail.locked.subject': '[{exchange}] Your account is locked',
  'lockMail.locked.text':
    'Your account was locked at {at} by {source}.\n\n' +
    '- every session was signed out ({sessions}) and every API key revoked ({keys})\n' +
    '- trading and withdrawals are blocked\n- pending withdrawals were cancelled ({withdrawals})\n\n' +
    'What happens next: our security team has opened an urgent case{caseRef}. To unlock, we will verify your identity; ' +
    'then you will set a new password and set up two-factor authentication again.\n' +
    'If assets were taken, please also report it to the police.\n\n{signature}',
  'lockMail.link.subject': '[{exchange}] Link to lock your account',
  'lockMail.link.text':
    'Someone asked us to send a link to lock this account. If your account may be in someone else\'s hands, open it now:\n\n{link}\n\n' +
    'Locking signs out every session, revokes API keys and stops trading and withdrawals. It does not need your password. ' +
    'The link works once. If you did not ask for it, you can ignore this email.\n\n{signature}',
  'unlockMail.role.security': 'a member of our security team',
  'unlockMail.role.admin': 'an administrator of our support team',
  'unlockMail.role.other': 'our staff',
  'unlockMail.itemAdded': ' (added {when})',
  'unlockMail.removed':
    'Everything below was added between {from} and the lock at {locked}, while your account may have been in someone else\'s hands. We removed it:\n{list}',
  'unlockMail.removed.addresses': 'Withdrawal addresses (removed):',
  'unlockMail.removed.keys': 'API keys (revoked, they cannot be used again):',
  'unlockMail.nothingRemoved': 'No withdrawal address or API key was added between {from} and the lock at {locked}, so there was nothing to remove.',
  'unlockMail.emailRestored':
    '\n\nIn that period the email address of your account was changed to {address}. We set it back to your previous address, the one this email is sent to, and write to you here from now on.',
  'unlockMail.kept.addresses': 'Withdrawal addresses:',
  'unlockMail.kept.keys': 'API keys:',
  'unlockMail.kept.email': 'Email address:\n  - {address}',
  'unlockMail.kept': '\n\nKept after checking with you:\n{list}',
  'unlockMail.step.resetLink': 'Set a new password with this one-time link (it works for {hours} hours; your old password no longer works):\n   {link}',
  'unlockMail.step.reset': 'Set a new password for your account (your old password no longer works).',
  'unlockMail.step.twoFactor': 'Sign in with the new password and set up two-factor authentication again: your old authenticator and recovery codes no longer work.',
  'unlockMail.step.check': 'In the security center, check your withdrawal addresses, API keys and sessions.',
  'unlockMail.subject': '[{exchange}] Your account is unlocked',
  'unlockMail.lead':
    'Your account was unlocked at {when} by {role}, after another member of our staff verified your identity. Every session was signed out.\n\n',
  'unlockMail.next': '\n\nWhat to do now:\n',
  'unlockMail.relock': 'If you did not ask us to unlock your account, lock it again now (no password needed, works once):\n{link}\n\n',
  'emailReplacedMail.subject': '[{exchange}] This address was taken off an account',
  'emailReplacedMail.text':
    'At {when} our security team set the email address of the {exchange} account that used this address back to its previous address, after verifying the identity of the account holder: the change to this address was found not to have been made by them.\n\n' +
    'This address will receive nothing more about that account, and there is nothing you need to do.\n\n' +
    'If you made that change yourself, contact {exchange} Support.\n\n{signature}',
  'emailRestoredMail.subject': '[{exchange}] Your email address was set back',
  'emailRestoredMail.text':
    'At {when} our security team set the email address of your account back to this address: while your account may have been in someone else\'s hands, it had been changed to {replaced}. We write to you here from now on.\n\n' +
    'If you do not recognise this, contact {exchange} Support.\n\n{signature}',
  'lockTicket.body': '[automatic] Emergency account lock ({source})\nReason: {reason}\nSessions and API keys revoked, trading and withdrawals stopped ({withdrawals} pending withdrawals cancelled). Verify identity before anything else.',
  'detectionTicket.body': '[automatic] Suspicious activity detected (score {score})\nRules: {reasons}\nAlert: /staff/security/alerts/{alertId}\nVerify identity before anything else.',
  'alertMail.subject': '[{exchange}] Unusual activity on your account',
  'alertMail.text':
    'We noticed unusual activity on your account ({reasons}) at {at} ({where}).\n\n' +
    'If this was you, you can ignore this email. If it was not, lock your account now — no password needed:\n\n{link}\n\n' +
    'Locking signs out every session, revokes API keys and stops trading and withdrawals. The link works once.\n\n{signature}',
  'lockTicket.source.self': 'self',
  'lockTicket.source.email_link': 'email_link',
  'lockTicket.source.help_center': 'help_center',
  'lockTicket.source.detection': 'detection',
  'lockTicket.source.staff': 'staff',
};
