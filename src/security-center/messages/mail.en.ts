import type { securityMailJa } from './mail.ja.ts';

/** The security center's emails, in English (plain text). */
export const securityMailEn: Record<keyof typeof securityMailJa, string> = {
  'securityMail.what.new_sign_in': 'A sign-in from a new device or country',
  'securityMail.what.password_changed': 'Password changed',
  'securityMail.what.totp_changed': 'Two-factor authentication changed',
  'securityMail.what.email_changed': 'Email address changed',
  'securityMail.what.withdrawal_address_added': 'New withdrawal address',
  'securityMail.what.withdrawal_requested': 'Withdrawal requested',
  'securityMail.what.emergency_contact_changed': 'Emergency contact changed',
  'securityMail.what.recovery_codes_regenerated': 'Recovery codes issued again',
  'securityMail.what.passkey_added': 'Passkey added',
  'securityMail.what.passkey_removed': 'Passkey removed',
  'securityMail.what.anti_phishing_changed': 'Anti-phishing code changed',
  'securityMail.what.settings_locked': 'Settings lock turned on',
  'securityMail.notice.subject': '[{exchange}] {what}',
  'securityMail.notice.hold': 'For your protection, withdrawals are on hold until {holdUntil}.\n\n',
  'securityMail.notice.text':
    '{what} on your account at {at}.\n{details}\n\n' +
    '{hold}If this was you, there is nothing to do.\n\n' +
    'If this wasn\'t you — lock your account now (no password needed, works once):\n{lockLink}\n\n' +
    'Locking signs out every session, revokes API keys, stops trading and withdrawals and alerts our security team.\n\n{signature}',
  'securityMail.contact.subject': '[{exchange}] Confirm your emergency contact',
  'securityMail.contact.text':
    'The account {account} wants to register this address as its emergency contact. If you agree, enter this code in the security center:\n\n  {code}\n\n' +
    'The code works for 24 hours. Once confirmed, this address receives the "lock my account" links when the account holder asks for them.\n\n{signature}',
  'securityMail.reset.subject': '[{exchange}] Reset your password',
  'securityMail.reset.text':
    'Someone asked to reset the password of this account. To set a new one, open this link within {minutes} minutes (it works once):\n\n{resetLink}\n\n' +
    'If you have two-factor authentication, you will need a code from your app as well. Withdrawals are held for a while after a reset.\n\n' +
    'If this was not you, your email address may be known to someone else. If you think your account is in danger, lock it now (no password needed):\n{lockLink}\n\n{signature}',
  'securityMail.stepUp.subject': '[{exchange}] Your sign-in code',
  'securityMail.stepUp.text':
    'We noticed something unusual on your account, so signing in needs one more step. Your code: {code}\n\n' +
    'If you are not signing in right now, someone else knows your password: change it, or lock your account from the help center.\n\n{signature}',
  'securityMail.actionCode.subject': '[{exchange}] Your confirmation code',
  'securityMail.actionCode.text':
    'A change that needs extra care was started in your security center (withdrawals, email address, two-factor settings or recovery codes). To go on, enter this code within {minutes} minutes: {code}\n\n' +
    'If you did not start it, someone is signed in to your account. Lock it now (no password needed, works once):\n{lockLink}\n\n{signature}',
  'securityMail.emailConfirm.subject': '[{exchange}] Confirm your new email address',
  'securityMail.emailConfirm.text':
    'You asked to use this address for your {exchange} account. The change happens only when you open this link and press the button, within {minutes} minutes (the link works once):\n\n{link}\n\n' +
    'After the change, withdrawals are held for a while and your previous address is told about it.\n\n' +
    'If you did not ask for this, ignore this email: nothing changes.\n\n{signature}',
  'securityMail.emailTaken.subject': '[{exchange}] Someone tried to use this address',
  'securityMail.emailTaken.text':
    'Someone tried to use this email address for another {exchange} account. Nothing changed: your account and this address stay as they are, and you do not need to do anything.\n\n' +
    'If you were trying to move another account of yours to this address: an address can belong to one account only.\n\n{signature}',
};
