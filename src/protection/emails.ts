import type { LockEffects } from '../exchange/adapter.ts';
import { formatDateTime } from '../web/i18n.ts';
import type { LockSource } from './lock-source.ts';

export interface MailText {
  subject: string;
  text: string;
}

const SOURCE = {
  ja: { self: 'お客様ご自身の操作', email_link: 'メールの「心当たりがない — アカウントをロック」リンク', help_center: 'ヘルプセンターから送ったロック用リンク', detection: '不審な操作の自動検知', staff: '当社スタッフ' },
  en: { self: 'your own request', email_link: 'the "this wasn\'t me — lock my account" link', help_center: 'the lock link sent from the help center', detection: 'automatic detection of suspicious activity', staff: 'our staff' },
} as const;

/** Sent to the account's address right after a lock: what happened and what comes next. */
export function lockedMail(c: { lang: 'ja' | 'en'; exchangeName: string; at: Date; timeZone: string; effects: LockEffects; source: LockSource; ticketNumber?: number | null }): MailText {
  const e = c.effects;
  const at = formatDateTime(c.lang, c.at, c.timeZone);
  const caseRef = c.ticketNumber ? (c.lang === 'ja' ? ` (受付番号 ${c.ticketNumber})` : ` (ticket ${c.ticketNumber})`) : '';
  if (c.lang === 'en') {
    return {
      subject: `[${c.exchangeName}] Your account is locked`,
      text: `Your account was locked at ${at} by ${SOURCE.en[c.source]}.\n\n` +
        `- every session was signed out (${e.sessionsRevoked}) and every API key revoked (${e.apiKeysRevoked})\n` +
        `- trading and withdrawals are blocked\n- pending withdrawals were cancelled (${e.withdrawalsCancelled})\n\n` +
        `What happens next: our security team has opened an urgent case${caseRef}. To unlock, we will verify your identity; ` +
        `then you will set a new password and set up two-factor authentication again.\n` +
        `If assets were taken, please also report it to the police.\n\n${c.exchangeName} Support`,
    };
  }
  return {
    subject: `[${c.exchangeName}] アカウントをロックしました`,
    text: `${at} に、${SOURCE.ja[c.source]}によりお客様のアカウントをロックしました。\n\n` +
      `・すべてのログイン中のセッションを終了し (${e.sessionsRevoked} 件)、APIキーを無効にしました (${e.apiKeysRevoked} 件)\n` +
      `・取引と出金を停止しました\n・処理待ちの出金を取り消しました (${e.withdrawalsCancelled} 件)\n\n` +
      `今後の流れ: セキュリティ担当が緊急の案件として対応を始めています${caseRef}。ロックの解除には本人確認が必要です。` +
      `解除後、新しいパスワードと二段階認証を設定し直していただきます。\n資産の被害がある場合は、警察にも届け出てください。\n\n${c.exchangeName} サポート`,
  };
}

/** A one-time lock link (from the help center, or in a security notice). */
export function lockLinkMail(c: { lang: 'ja' | 'en'; exchangeName: string; link: string; reason: string }): MailText {
  if (c.lang === 'en') {
    return {
      subject: `[${c.exchangeName}] Link to lock your account`,
      text: `Someone asked us to send a link to lock this account. If your account may be in someone else's hands, open it now:\n\n${c.link}\n\n` +
        `Locking signs out every session, revokes API keys and stops trading and withdrawals. It does not need your password. ` +
        `The link works once. If you did not ask for it, you can ignore this email.\n\n${c.exchangeName} Support`,
    };
  }
  return {
    subject: `[${c.exchangeName}] アカウントをロックするためのリンク`,
    text: `このアカウントをロックするためのリンクの送信が依頼されました。第三者に操作されているおそれがある場合は、今すぐ開いてください:\n\n${c.link}\n\n` +
      `ロックすると、すべてのセッションの終了、APIキーの無効化、取引と出金の停止を行います。パスワードは不要です。` +
      `リンクは1回だけ使えます。お心当たりがない場合は、このメールは破棄してください。\n\n${c.exchangeName} サポート`,
  };
}
