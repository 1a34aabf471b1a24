import type { TicketType } from '../domain/ticket.ts';

/** The emails the desk sends, in the ticket's language. Plain text: no markup from user text can run anywhere. */
export interface MailText {
  subject: string;
  text: string;
}

export interface MailContext {
  lang: 'ja' | 'en';
  exchangeName: string;
  /** The ticket number, or the placeholder the intake statement fills in. */
  number: string;
  link: string;
}

const footer = (c: MailContext) =>
  c.lang === 'ja'
    ? `\n\nこのお問い合わせの内容の確認・返信は、次のリンクから行えます (このリンクは他の人に教えないでください):\n${c.link}\n\nこのメールには返信できません。\n${c.exchangeName} サポート`
    : `\n\nYou can read and answer this request at the link below (keep it to yourself: anyone with it can read the ticket):\n${c.link}\n\nReplies to this email are not read.\n${c.exchangeName} Support`;

const SECURITY_STEPS = {
  ja: '・今すぐパスワードを変更してください。\n・二段階認証を設定 (または再設定) してください。\n・緊急連絡用電話番号にお電話ください。\n・資産の被害がある場合は、警察に届け出てください。',
  en: '- Change your password now.\n- Set up (or reset) two-factor authentication.\n- Call our emergency phone line.\n- If assets were stolen, report it to the police.',
};

export function confirmationMail(
  c: MailContext,
  ticket: { type: TicketType; phone: string; phoneHours: string },
  incidentUpdate: string | null,
): MailText {
  const ja = c.lang === 'ja';
  const subject = ja
    ? `[${c.exchangeName}] お問い合わせを受け付けました (受付番号 ${c.number})`
    : `[${c.exchangeName}] We received your request (ticket ${c.number})`;
  const lines: string[] = [
    ja ? `お問い合わせを受け付けました。受付番号は ${c.number} です。` : `We received your request. Your ticket number is ${c.number}.`,
  ];
  if (ticket.type === 'security') {
    lines.push(
      ja
        ? `\nアカウントへの不正アクセスや資産の盗難が疑われる内容として、最優先で対応します。担当者からの連絡を待たずに、次のことを行ってください:\n${SECURITY_STEPS.ja}\n緊急連絡用電話番号: ${ticket.phone} (${ticket.phoneHours})`
        : `\nWe are treating this as a possible account takeover or theft, with top priority. Do not wait for us; please do this now:\n${SECURITY_STEPS.en}\nEmergency phone line: ${ticket.phone} (${ticket.phoneHours})`,
    );
  }
  if (incidentUpdate) {
    lines.push(
      ja
        ? `\n現在発生中の障害に関するお問い合わせとして受け付けました。最新の状況は次のとおりです:\n\n${incidentUpdate}\n\n障害中は取引をお控えください。復旧しましたら、このお問い合わせにもお知らせします。`
        : `\nThis looks related to the incident in progress. The latest update:\n\n${incidentUpdate}\n\nPlease avoid trading until it is fixed. We will tell you here when it is over.`,
    );
  }
  // The user's own text is not quoted: anyone can type any address into the form, and this mail must not
  // carry a stranger's words (a phishing link) under the exchange's name. It is on the ticket page.
  lines.push(ja ? '\nお問い合わせの内容は下のリンクから確認できます。' : '\nYour message is on the page linked below.');
  return { subject, text: lines.join('\n') + footer(c) };
}

export function replyMail(c: MailContext, body: string): MailText {
  return {
    subject: c.lang === 'ja' ? `[${c.exchangeName}] お問い合わせへの回答 (受付番号 ${c.number})` : `[${c.exchangeName}] Reply to your request (ticket ${c.number})`,
    text: body + footer(c),
  };
}

export function solvedMail(c: MailContext, body: string): MailText {
  return {
    subject: c.lang === 'ja' ? `[${c.exchangeName}] お問い合わせは解決済みになりました (受付番号 ${c.number})` : `[${c.exchangeName}] Your request is solved (ticket ${c.number})`,
    text:
      body +
      (c.lang === 'ja'
        ? '\n\nまだ解決していない場合は、下のリンクから返信してください。お問い合わせを再開します。'
        : '\n\nIf this did not solve it, reply at the link below and we will reopen your request.') +
      footer(c),
  };
}
