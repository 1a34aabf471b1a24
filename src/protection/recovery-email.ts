import { formatDateTime } from '../web/i18n.ts';
import type { MailText } from './emails.ts';

export interface RecoveredItem {
  kind: 'withdrawal_address' | 'api_key';
  label: string;
  createdAt: Date | null;
}

export interface UnlockMailInput {
  lang: 'ja' | 'en';
  exchangeName: string;
  timeZone: string;
  unlockedAt: Date;
  /** The approving staff member's role: the mail names the role, never the person. */
  approverRole: string | null;
  windowStartsAt: Date;
  lockedAt: Date;
  removed: RecoveredItem[];
  kept: RecoveredItem[];
  /** The address the unlock took off the account, setting back the one before the window (this mail's recipient). */
  emailRestoredFrom: string | null;
  /** The address given in the window that the requester kept after checking with the owner. */
  emailKept: string | null;
  /** Null when kinkyu holds no credentials for the account (the exchange's own sign-in then applies). */
  resetLink: string | null;
  resetHours: number;
  lockLink: string | null;
}

const ROLE = {
  ja: { security: '当社セキュリティチームの担当者', admin: '当社の管理責任者' } as Record<string, string>,
  en: { security: 'a member of our security team', admin: 'an administrator of our support team' } as Record<string, string>,
};

/**
 * The email after a staff unlock: that the account is open again and who opened it (by role), what the recovery
 * removed of what was added while the account was in the wrong hands, and what the owner does next — set a new
 * password from the one-time link, then set up two-factor authentication again. Times in the user's language
 * and the exchange's time zone.
 */
export function unlockMail(c: UnlockMailInput): MailText {
  const when = (d: Date) => formatDateTime(c.lang, d, c.timeZone);
  const item = (i: RecoveredItem) => {
    const created = i.createdAt ? (c.lang === 'ja' ? ` (${when(i.createdAt)} に追加)` : ` (added ${when(i.createdAt)})`) : '';
    return `  - ${i.label}${created}`;
  };
  const group = (items: RecoveredItem[], kind: RecoveredItem['kind']) => items.filter((i) => i.kind === kind).map(item);
  const listed = (items: RecoveredItem[], headings: Record<RecoveredItem['kind'], string>) =>
    (['withdrawal_address', 'api_key'] as const)
      .map((kind) => ({ heading: headings[kind], lines: group(items, kind) }))
      .filter((g) => g.lines.length)
      .map((g) => `${g.heading}\n${g.lines.join('\n')}`)
      .join('\n');

  if (c.lang === 'en') {
    const role = (c.approverRole && ROLE.en[c.approverRole]) || 'our staff';
    const removed = c.removed.length
      ? `Everything below was added between ${when(c.windowStartsAt)} and the lock at ${when(c.lockedAt)}, while your account may have been in someone else's hands. We removed it:\n` +
        listed(c.removed, { withdrawal_address: 'Withdrawal addresses (removed):', api_key: 'API keys (revoked, they cannot be used again):' })
      : `No withdrawal address or API key was added between ${when(c.windowStartsAt)} and the lock at ${when(c.lockedAt)}, so there was nothing to remove.`;
    const email = c.emailRestoredFrom
      ? `\n\nIn that period the email address of your account was changed to ${c.emailRestoredFrom}. We set it back to your previous address, the one this email is sent to, and write to you here from now on.`
      : '';
    const keptLines = [c.kept.length ? listed(c.kept, { withdrawal_address: 'Withdrawal addresses:', api_key: 'API keys:' }) : '', c.emailKept ? `Email address:\n  - ${c.emailKept}` : ''].filter(Boolean);
    const kept = keptLines.length ? `\n\nKept after checking with you:\n${keptLines.join('\n')}` : '';
    const steps = [
      c.resetLink
        ? `Set a new password with this one-time link (it works for ${c.resetHours} hours; your old password no longer works):\n   ${c.resetLink}`
        : 'Set a new password for your account (your old password no longer works).',
      'Sign in with the new password and set up two-factor authentication again: your old authenticator and recovery codes no longer work.',
      'In the security center, check your withdrawal addresses, API keys and sessions.',
    ];
    return {
      subject: `[${c.exchangeName}] Your account is unlocked`,
      text: `Your account was unlocked at ${when(c.unlockedAt)} by ${role}, after another member of our staff verified your identity. Every session was signed out.\n\n` +
        `${removed}${email}${kept}\n\nWhat to do now:\n${steps.map((s, i) => `${i + 1}. ${s}`).join('\n')}\n\n` +
        (c.lockLink ? `If you did not ask us to unlock your account, lock it again now (no password needed, works once):\n${c.lockLink}\n\n` : '') +
        `${c.exchangeName} Support`,
    };
  }
  const role = (c.approverRole && ROLE.ja[c.approverRole]) || '当社の担当者';
  const removed = c.removed.length
    ? `${when(c.windowStartsAt)} からロックした ${when(c.lockedAt)} までの、第三者に操作されていたおそれのある期間に追加された次のものを削除しました:\n` +
      listed(c.removed, { withdrawal_address: '出金先アドレス (削除しました):', api_key: 'APIキー (無効にしました。再び使うことはできません):' })
    : `${when(c.windowStartsAt)} からロックした ${when(c.lockedAt)} までの期間に追加された出金先アドレスとAPIキーはなかったため、削除したものはありません。`;
  const email = c.emailRestoredFrom
    ? `\n\nこの期間に、アカウントのメールアドレスが ${c.emailRestoredFrom} に変更されていました。以前のアドレス (このメールの宛先) に戻しました。今後のお知らせはこのアドレスにお送りします。`
    : '';
  const keptLines = [c.kept.length ? listed(c.kept, { withdrawal_address: '出金先アドレス:', api_key: 'APIキー:' }) : '', c.emailKept ? `メールアドレス:\n  - ${c.emailKept}` : ''].filter(Boolean);
  const kept = keptLines.length ? `\n\nお客様に確認のうえ、残したもの:\n${keptLines.join('\n')}` : '';
  const steps = [
    c.resetLink
      ? `次のリンクから新しいパスワードを設定してください (${c.resetHours}時間有効・1回限り。以前のパスワードは使えません):\n   ${c.resetLink}`
      : '新しいパスワードを設定してください (以前のパスワードは使えません)。',
    '新しいパスワードでログインし、二段階認証を設定し直してください。以前の認証アプリの登録とリカバリーコードは使えなくなっています。',
    'セキュリティセンターで、出金先アドレス・APIキー・ログイン中の端末を確認してください。',
  ];
  return {
    subject: `[${c.exchangeName}] アカウントのロックを解除しました`,
    text: `${when(c.unlockedAt)} に、${role}がお客様のアカウントのロックを解除しました。解除の前に、別の担当者がお客様の本人確認を行っています。すべての端末はログアウトした状態です。\n\n` +
      `${removed}${email}${kept}\n\n次にしていただくこと:\n${steps.map((s, i) => `${i + 1}. ${s}`).join('\n')}\n\n` +
      (c.lockLink ? `このロック解除にお心当たりがない場合は、今すぐ次のリンクからアカウントをロックしてください (パスワード不要・1回限り有効):\n${c.lockLink}\n\n` : '') +
      `${c.exchangeName} サポート`,
  };
}

export interface EmailRestoreMailInput {
  lang: 'ja' | 'en';
  exchangeName: string;
  timeZone: string;
  at: Date;
}

/**
 * To the address a recovery took off the account. It was most likely the attacker's: the mail carries no link
 * (no lock link, no new-password link), names neither the account nor the address restored, and only says that
 * mail about the account no longer comes here — so that an owner who did change it can still ask support.
 */
export function emailReplacedMail(c: EmailRestoreMailInput): MailText {
  const when = formatDateTime(c.lang, c.at, c.timeZone);
  if (c.lang === 'en') {
    return {
      subject: `[${c.exchangeName}] This address was taken off an account`,
      text: `At ${when} our security team set the email address of the ${c.exchangeName} account that used this address back to its previous address, after verifying the identity of the account holder: the change to this address was found not to have been made by them.\n\n` +
        `This address will receive nothing more about that account, and there is nothing you need to do.\n\n` +
        `If you made that change yourself, contact ${c.exchangeName} Support.\n\n${c.exchangeName} Support`,
    };
  }
  return {
    subject: `[${c.exchangeName}] このメールアドレスをアカウントから外しました`,
    text: `${when} に、当社セキュリティチームが、このメールアドレスが登録されていた ${c.exchangeName} のアカウントのメールアドレスを、以前のアドレスに戻しました。アカウントの持ち主の本人確認を行ったうえで、このアドレスへの変更は持ち主によるものではないと判断したためです。\n\n` +
      `このアドレスには、今後このアカウントのお知らせは届きません。このメールについて操作していただくことはありません。\n\n` +
      `ご自身で変更されたものである場合は、${c.exchangeName} サポートにお問い合わせください。\n\n${c.exchangeName} サポート`,
  };
}

/** To the address staff set back (outside the unlock, whose own email says it): mail comes here again. */
export function emailRestoredMail(c: EmailRestoreMailInput & { replaced: string }): MailText {
  const when = formatDateTime(c.lang, c.at, c.timeZone);
  if (c.lang === 'en') {
    return {
      subject: `[${c.exchangeName}] Your email address was set back`,
      text: `At ${when} our security team set the email address of your account back to this address: while your account may have been in someone else's hands, it had been changed to ${c.replaced}. We write to you here from now on.\n\n` +
        `If you do not recognise this, contact ${c.exchangeName} Support.\n\n${c.exchangeName} Support`,
    };
  }
  return {
    subject: `[${c.exchangeName}] メールアドレスを元に戻しました`,
    text: `${when} に、当社セキュリティチームが、お客様のアカウントのメールアドレスをこのアドレスに戻しました。第三者に操作されていたおそれのある期間に、${c.replaced} に変更されていたためです。今後のお知らせはこのアドレスにお送りします。\n\n` +
      `お心当たりがない場合は、${c.exchangeName} サポートにお問い合わせください。\n\n${c.exchangeName} サポート`,
  };
}
