import type { MailText } from '../protection/emails.ts';
import { formatDateTime } from '../web/i18n.ts';

export type SecurityNotice = 'new_sign_in' | 'password_changed' | 'totp_changed' | 'email_changed' | 'withdrawal_address_added' | 'withdrawal_requested' | 'emergency_contact_changed' | 'recovery_codes_regenerated'
  | 'passkey_added' | 'passkey_removed' | 'anti_phishing_changed' | 'settings_locked';

const WHAT = {
  ja: {
    new_sign_in: '新しい端末または国からのログイン',
    password_changed: 'パスワードの変更',
    totp_changed: '二段階認証の設定変更',
    email_changed: 'メールアドレスの変更',
    withdrawal_address_added: '出金先アドレスの追加',
    withdrawal_requested: '出金の申請',
    emergency_contact_changed: '緊急連絡先の変更',
    recovery_codes_regenerated: 'リカバリーコードの再発行',
    passkey_added: 'パスキーの追加',
    passkey_removed: 'パスキーの削除',
    anti_phishing_changed: 'アンチフィッシングコードの変更',
    settings_locked: '設定ロックの開始',
  },
  en: {
    new_sign_in: 'A sign-in from a new device or country',
    password_changed: 'Password changed',
    totp_changed: 'Two-factor authentication changed',
    email_changed: 'Email address changed',
    withdrawal_address_added: 'New withdrawal address',
    withdrawal_requested: 'Withdrawal requested',
    emergency_contact_changed: 'Emergency contact changed',
    recovery_codes_regenerated: 'Recovery codes issued again',
    passkey_added: 'Passkey added',
    passkey_removed: 'Passkey removed',
    anti_phishing_changed: 'Anti-phishing code changed',
    settings_locked: 'Settings lock turned on',
  },
} as const;

/**
 * A security notice: what happened, when and from where, and the one-time "this wasn't me — lock my account"
 * link, which works without signing in and without the password.
 */
export function securityNoticeMail(c: {
  lang: 'ja' | 'en';
  exchangeName: string;
  kind: SecurityNotice;
  at: Date;
  /** The exchange's time zone: times read "2026年12月7日 02:39 JST" / "Dec 7, 2026, 02:39 JST". */
  timeZone: string;
  details: Array<[string, string]>;
  lockLink: string;
  holdUntil?: Date | null;
}): MailText {
  const lines = c.details.map(([k, v]) => `  ${k}: ${v}`).join('\n');
  const at = formatDateTime(c.lang, c.at, c.timeZone);
  const holdUntil = c.holdUntil ? formatDateTime(c.lang, c.holdUntil, c.timeZone) : null;
  if (c.lang === 'en') {
    return {
      subject: `[${c.exchangeName}] ${WHAT.en[c.kind]}`,
      text: `${WHAT.en[c.kind]} on your account at ${at}.\n${lines}\n\n` +
        (holdUntil ? `For your protection, withdrawals are on hold until ${holdUntil}.\n\n` : '') +
        `If this was you, there is nothing to do.\n\n` +
        `If this wasn't you — lock your account now (no password needed, works once):\n${c.lockLink}\n\n` +
        `Locking signs out every session, revokes API keys, stops trading and withdrawals and alerts our security team.\n\n${c.exchangeName} Support`,
    };
  }
  return {
    subject: `[${c.exchangeName}] ${WHAT.ja[c.kind]}のお知らせ`,
    text: `${at} に、お客様のアカウントで${WHAT.ja[c.kind]}がありました。\n${lines}\n\n` +
      (holdUntil ? `安全のため、${holdUntil} まで出金を保留します。\n\n` : '') +
      `お客様ご自身の操作であれば、対応は不要です。\n\n` +
      `心当たりがない場合は、今すぐアカウントをロックしてください (パスワード不要・1回限り有効):\n${c.lockLink}\n\n` +
      `ロックすると、すべてのセッションの終了、APIキーの無効化、取引と出金の停止を行い、セキュリティ担当に通知します。\n\n${c.exchangeName} サポート`,
  };
}

/** The code that verifies an emergency contact address. */
export function contactVerificationMail(c: { lang: 'ja' | 'en'; exchangeName: string; code: string; account: string }): MailText {
  if (c.lang === 'en') {
    return {
      subject: `[${c.exchangeName}] Confirm your emergency contact`,
      text: `The account ${c.account} wants to register this address as its emergency contact. If you agree, enter this code in the security center:\n\n  ${c.code}\n\n` +
        `The code works for 24 hours. Once confirmed, this address receives the "lock my account" links when the account holder asks for them.\n\n${c.exchangeName} Support`,
    };
  }
  return {
    subject: `[${c.exchangeName}] 緊急連絡先の確認`,
    text: `アカウント ${c.account} が、このアドレスを緊急連絡先として登録しようとしています。よろしければ、セキュリティセンターで次のコードを入力してください:\n\n  ${c.code}\n\n` +
      `コードの有効期限は24時間です。確認後、このアドレスにもアカウントをロックするためのリンクが届くようになります。\n\n${c.exchangeName} サポート`,
  };
}

/** The "forgot my password" link, with the lock link for whoever did not ask for it. */
export function passwordResetMail(c: { lang: 'ja' | 'en'; exchangeName: string; resetLink: string; lockLink: string; minutes: number }): MailText {
  if (c.lang === 'en') {
    return {
      subject: `[${c.exchangeName}] Reset your password`,
      text: `Someone asked to reset the password of this account. To set a new one, open this link within ${c.minutes} minutes (it works once):\n\n${c.resetLink}\n\n` +
        `If you have two-factor authentication, you will need a code from your app as well. Withdrawals are held for a while after a reset.\n\n` +
        `If this was not you, your email address may be known to someone else. If you think your account is in danger, lock it now (no password needed):\n${c.lockLink}\n\n${c.exchangeName} Support`,
    };
  }
  return {
    subject: `[${c.exchangeName}] パスワードの再設定`,
    text: `このアカウントのパスワード再設定が依頼されました。新しいパスワードを設定するには、${c.minutes}分以内に次のリンクを開いてください (1回だけ使えます):\n\n${c.resetLink}\n\n` +
      `二段階認証を設定している場合は、認証アプリのコードも必要です。再設定の後は、一定時間出金が保留されます。\n\n` +
      `お心当たりがない場合、第三者がメールアドレスを知っている可能性があります。アカウントが危険だと思われる場合は、今すぐロックしてください (パスワードは不要です):\n${c.lockLink}\n\n${c.exchangeName} サポート`,
  };
}

/** The one-time code asked for at sign-in when detection saw something unusual and there is no authenticator. */
export function stepUpCodeMail(c: { lang: 'ja' | 'en'; exchangeName: string; code: string }): MailText {
  if (c.lang === 'en') {
    return {
      subject: `[${c.exchangeName}] Your sign-in code`,
      text: `We noticed something unusual on your account, so signing in needs one more step. Your code: ${c.code}\n\n` +
        `If you are not signing in right now, someone else knows your password: change it, or lock your account from the help center.\n\n${c.exchangeName} Support`,
    };
  }
  return {
    subject: `[${c.exchangeName}] ログイン確認コード`,
    text: `お客様のアカウントでいつもと異なる操作が見られたため、ログインに確認コードが必要です。確認コード: ${c.code}\n\n` +
      `いまログインしようとしていない場合は、第三者がパスワードを知っています。パスワードを変更するか、ヘルプセンターからアカウントをロックしてください。\n\n${c.exchangeName} サポート`,
  };
}

/** A sensitive change in the security center needs one more check, and the account has no authenticator. */
export function actionCodeMail(c: { lang: 'ja' | 'en'; exchangeName: string; code: string; minutes: number; lockLink: string }): MailText {
  if (c.lang === 'en') {
    return {
      subject: `[${c.exchangeName}] Your confirmation code`,
      text: `A change that needs extra care was started in your security center (withdrawals, email address, two-factor settings or recovery codes). To go on, enter this code within ${c.minutes} minutes: ${c.code}\n\n` +
        `If you did not start it, someone is signed in to your account. Lock it now (no password needed, works once):\n${c.lockLink}\n\n${c.exchangeName} Support`,
    };
  }
  return {
    subject: `[${c.exchangeName}] 操作の確認コード`,
    text: `セキュリティセンターで、確認が必要な操作 (出金、メールアドレス、二段階認証、リカバリーコードに関するもの) が始まりました。続けるには、${c.minutes}分以内に次のコードを入力してください。確認コード: ${c.code}\n\n` +
      `お心当たりがない場合は、第三者がお客様のアカウントにログインしています。今すぐロックしてください (パスワード不要・1回限り有効):\n${c.lockLink}\n\n${c.exchangeName} サポート`,
  };
}

/** To the new address of an email change: the link that confirms it. */
export function emailChangeConfirmMail(c: { lang: 'ja' | 'en'; exchangeName: string; link: string; minutes: number }): MailText {
  if (c.lang === 'en') {
    return {
      subject: `[${c.exchangeName}] Confirm your new email address`,
      text: `You asked to use this address for your ${c.exchangeName} account. The change happens only when you open this link and press the button, within ${c.minutes} minutes (the link works once):\n\n${c.link}\n\n` +
        `After the change, withdrawals are held for a while and your previous address is told about it.\n\n` +
        `If you did not ask for this, ignore this email: nothing changes.\n\n${c.exchangeName} Support`,
    };
  }
  return {
    subject: `[${c.exchangeName}] 新しいメールアドレスの確認`,
    text: `${c.exchangeName} のアカウントで、このアドレスへの変更が依頼されました。次のリンクを${c.minutes}分以内に開き、ボタンを押すと変更が完了します (リンクは1回だけ使えます):\n\n${c.link}\n\n` +
      `変更後はしばらく出金が保留され、これまでのアドレスにもお知らせが届きます。\n\n` +
      `お心当たりがない場合は、このメールを破棄してください。何も変更されません。\n\n${c.exchangeName} サポート`,
  };
}

/** To an address that already belongs to an account, when another account asked to move to it. Nothing changes. */
export function emailChangeTakenMail(c: { lang: 'ja' | 'en'; exchangeName: string }): MailText {
  if (c.lang === 'en') {
    return {
      subject: `[${c.exchangeName}] Someone tried to use this address`,
      text: `Someone tried to use this email address for another ${c.exchangeName} account. Nothing changed: your account and this address stay as they are, and you do not need to do anything.\n\n` +
        `If you were trying to move another account of yours to this address: an address can belong to one account only.\n\n${c.exchangeName} Support`,
    };
  }
  return {
    subject: `[${c.exchangeName}] このメールアドレスの利用が試みられました`,
    text: `このメールアドレスを、${c.exchangeName} の別のアカウントで使おうとする操作がありました。何も変更されていません。お客様のアカウントとこのアドレスはそのままで、対応は不要です。\n\n` +
      `ご自身の別のアカウントをこのアドレスに移そうとした場合: 1つのメールアドレスは1つのアカウントでしか使えません。\n\n${c.exchangeName} サポート`,
  };
}
