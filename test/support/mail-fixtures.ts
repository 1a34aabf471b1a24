/**
 * Every kind of email kinkyu composes, rendered from fixtures (shared by test/mail-times.test.ts, which checks their
 * times, and test/anti-phishing.test.ts, which sends each one through the outbox to a real SMTP server).
 */
import assert from 'node:assert/strict';

import * as userEmails from '../../src/security-center/emails.ts';
import * as lockEmails from '../../src/protection/emails.ts';
import * as recoveryEmails from '../../src/protection/recovery-email.ts';
import * as detection from '../../src/protection/detection.ts';
import * as noticeEmails from '../../src/notices/emails.ts';
import * as deskEmails from '../../src/desk/emails.ts';
import * as subscriptionEmails from '../../src/notify/subscriptions/emails.ts';
import * as disabledMail from '../../src/notify/senders/disabled-mail.ts';
import * as settingsLockEmails from '../../src/security-center/settings-lock-emails.ts';
import { personalize, renderUpdateEmail } from '../../src/notify/email/render.ts';
import { buildSnapshot } from '../../src/status/page/snapshot.ts';
import type { Lang } from '../../src/web/i18n.ts';

export const TZ = 'Asia/Tokyo';
// 2026-12-07 02:39:03 in Tokyo: the UTC date is the day before, so a UTC or ISO leak shows.
export const AT = new Date('2026-12-06T17:39:03.482Z');
export const HOLD = new Date('2026-12-07T17:42:00Z');
export const EARLIER = new Date('2026-12-05T23:05:00Z');
export const JA = { at: '2026年12月7日 02:39 JST', hold: '2026年12月8日 02:42 JST', earlier: '2026年12月6日 08:05 JST' };
export const EN = { at: 'Dec 7, 2026, 02:39 JST', hold: 'Dec 8, 2026, 02:42 JST', earlier: 'Dec 6, 2026, 08:05 JST' };
export const ISO = /\d{4}-\d\d-\d\dT/;
export const JA_TIME = /\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2} JST/g;

export type Mail = { subject: string; text: string };
export interface Kind {
  /** The exported function that composes it. */
  name: string;
  render: (lang: Lang) => Mail;
  /** The times it must show, by what they stand for. */
  times: Array<keyof typeof JA>;
}

export const exchange = (lang: Lang) => (lang === 'ja' ? 'デモ取引所' : 'Demo Exchange');
export const LINK = 'https://status.example.jp/lock/abc';

function updateSnapshot() {
  return buildSnapshot({
    version: 1, changedAt: AT, loadedAt: AT,
    page: { id: 'kinkyu', nameJa: 'デモ取引所', nameEn: 'Demo Exchange', url: 'https://status.example.jp', timeZone: TZ },
    components: [{
      id: 'spot', groupId: null, isGroup: false, nameJa: '現物取引', nameEn: 'Spot trading', descriptionJa: null, descriptionEn: null,
      position: 1, status: 'partial_outage', showcase: true, onlyShowIfDegraded: false, startDate: null, createdAt: EARLIER, updatedAt: AT,
    }],
    incidents: [{
      id: 'inc1', kind: 'incident', type: 'outage', severity: 'SEV2', nameJa: '現物取引の遅延', nameEn: 'Spot trading delays',
      status: 'investigating', impact: 'major', componentIds: ['spot'], createdAt: AT, updatedAt: AT, startedAt: AT,
      monitoringAt: null, resolvedAt: null, scheduledFor: null, scheduledUntil: null, autoTransition: false,
      updates: [{
        id: 'upd1', incidentId: 'inc1', status: 'investigating', visibility: 'public', bodyJa: '原因を調査中です。', bodyEn: 'We are investigating.',
        affectedComponents: [], deliverNotifications: true, authorId: null, createdAt: AT, displayAt: AT, editedAt: null,
      }],
    }],
    history: new Map(),
  });
}

export const SECURITY_KINDS: userEmails.SecurityNotice[] = [
  'new_sign_in', 'password_changed', 'totp_changed', 'email_changed', 'withdrawal_address_added', 'withdrawal_requested',
  'emergency_contact_changed', 'recovery_codes_regenerated', 'passkey_added', 'passkey_removed', 'anti_phishing_changed', 'settings_locked',
];

/** Every module that exports mail composers (functions named …Mail): each one needs a fixture in KINDS. */
export const COMPOSER_MODULES = [userEmails, lockEmails, recoveryEmails, detection, noticeEmails, deskEmails, subscriptionEmails, disabledMail, settingsLockEmails];

export const KINDS: Kind[] = [
  ...SECURITY_KINDS.map((kind): Kind => ({
    name: 'securityNoticeMail',
    render: (lang) => userEmails.securityNoticeMail({
      lang, exchangeName: exchange(lang), kind, at: AT, timeZone: TZ, details: [['IP', '203.0.113.7']], lockLink: LINK,
      holdUntil: kind === 'new_sign_in' || kind === 'passkey_removed' ? null : HOLD,
    }),
    times: kind === 'new_sign_in' || kind === 'passkey_removed' ? ['at'] : ['at', 'hold'],
  })),
  { name: 'contactVerificationMail', render: (lang) => userEmails.contactVerificationMail({ lang, exchangeName: exchange(lang), code: '123456', account: 'user@example.jp' }), times: [] },
  { name: 'passwordResetMail', render: (lang) => userEmails.passwordResetMail({ lang, exchangeName: exchange(lang), resetLink: LINK, lockLink: LINK, minutes: 30 }), times: [] },
  { name: 'stepUpCodeMail', render: (lang) => userEmails.stepUpCodeMail({ lang, exchangeName: exchange(lang), code: '123456' }), times: [] },
  { name: 'actionCodeMail', render: (lang) => userEmails.actionCodeMail({ lang, exchangeName: exchange(lang), code: '123456', minutes: 10, lockLink: LINK }), times: [] },
  { name: 'emailChangeConfirmMail', render: (lang) => userEmails.emailChangeConfirmMail({ lang, exchangeName: exchange(lang), link: LINK, minutes: 30 }), times: [] },
  { name: 'emailChangeTakenMail', render: (lang) => userEmails.emailChangeTakenMail({ lang, exchangeName: exchange(lang) }), times: [] },
  {
    name: 'lockedMail',
    render: (lang) => lockEmails.lockedMail({
      lang, exchangeName: exchange(lang), at: AT, timeZone: TZ, source: 'email_link', ticketNumber: 100234,
      effects: { newlyLocked: true, sessionsRevoked: 2, apiKeysRevoked: 1, withdrawalsCancelled: 1 },
    }),
    times: ['at'],
  },
  { name: 'lockLinkMail', render: (lang) => lockEmails.lockLinkMail({ lang, exchangeName: exchange(lang), link: LINK, reason: 'help_center' }), times: [] },
  {
    name: 'unlockMail',
    render: (lang) => recoveryEmails.unlockMail({
      lang, exchangeName: exchange(lang), timeZone: TZ, unlockedAt: HOLD, approverRole: 'security', windowStartsAt: EARLIER, lockedAt: AT,
      removed: [{ kind: 'withdrawal_address', label: 'bc1qexample', createdAt: AT }], kept: [],
      emailRestoredFrom: null, emailKept: null, resetLink: LINK, resetHours: 72, lockLink: LINK,
    }),
    times: ['at', 'hold', 'earlier'],
  },
  { name: 'emailReplacedMail', render: (lang) => recoveryEmails.emailReplacedMail({ lang, exchangeName: exchange(lang), timeZone: TZ, at: AT }), times: ['at'] },
  { name: 'emailRestoredMail', render: (lang) => recoveryEmails.emailRestoredMail({ lang, exchangeName: exchange(lang), timeZone: TZ, at: AT, replaced: 'evil@example.net' }), times: ['at'] },
  {
    name: 'alertMail',
    render: (lang) => detection.alertMail({ lang, exchangeName: exchange(lang), link: LINK, reasons: 'new country', at: AT, timeZone: TZ, ip: '203.0.113.7', country: 'NL', device: 'Firefox' }),
    times: ['at'],
  },
  {
    name: 'termsReminderMail',
    render: (lang) => noticeEmails.termsReminderMail({
      lang, exchangeName: exchange(lang), label: '2026-12', effectiveFrom: '2026-12-20', deadline: '2026-12-10', summary: '- 手数料', diffUrl: LINK,
      ackUrl: LINK, loginUrl: LINK, linkExpires: HOLD, timeZone: TZ,
    }),
    times: ['hold'],
  },
  {
    name: 'confirmationMail',
    render: (lang) => deskEmails.confirmationMail({ lang, exchangeName: exchange(lang), number: '100234', link: LINK }, { type: 'security', phone: '03-0000-0000', phoneHours: '平日 9:00〜18:00' }, '現物取引の遅延\n原因を調査中です。'),
    times: [],
  },
  { name: 'replyMail', render: (lang) => deskEmails.replyMail({ lang, exchangeName: exchange(lang), number: '100234', link: LINK }, '回答です。'), times: [] },
  { name: 'solvedMail', render: (lang) => deskEmails.solvedMail({ lang, exchangeName: exchange(lang), number: '100234', link: LINK }, '解決しました。'), times: [] },
  { name: 'confirmEmailMail', render: (lang) => subscriptionEmails.confirmEmailMail({ lang, exchangeName: exchange(lang), statusUrl: LINK }, LINK, 24), times: [] },
  { name: 'alreadySubscribedMail', render: (lang) => subscriptionEmails.alreadySubscribedMail({ lang, exchangeName: exchange(lang), statusUrl: LINK }, { manage: LINK, unsubscribe: LINK }), times: [] },
  {
    name: 'confirmEndpointMail',
    render: (lang) => subscriptionEmails.confirmEndpointMail({ lang, exchangeName: exchange(lang), statusUrl: LINK }, { kind: 'webhook', host: 'hooks.example.net', link: LINK, hours: 24, manage: LINK }),
    times: [],
  },
  {
    name: 'endpointDisabledMail',
    render: (lang) => disabledMail.endpointDisabledMail({ lang, exchangeName: exchange(lang), channel: 'webhook', target: 'https://hooks.example.net/x', failures: 15, lastError: 'HTTP 500', gone: false, subscribeUrl: LINK }),
    times: [],
  },
  {
    name: 'antiPhishingConfirmMail',
    render: (lang) => subscriptionEmails.antiPhishingConfirmMail({ lang, exchangeName: exchange(lang), statusUrl: LINK }, { link: LINK, hours: 24, remove: false }),
    times: [],
  },
  {
    name: 'settingsLockLiftMail',
    render: (lang) => settingsLockEmails.settingsLockLiftMail({
      lang, exchangeName: exchange(lang), at: AT, liftAt: HOLD, hours: 72, timeZone: TZ, device: 'Firefox / Linux', ip: '203.0.113.7', lockLink: LINK,
    }),
    times: ['at', 'hold'],
  },
  {
    name: 'renderUpdateEmail',
    render: (lang) => {
      const rendered = renderUpdateEmail(updateSnapshot(), 'inc1', 'upd1', lang, exchange(lang));
      assert.ok(rendered);
      const mail = personalize(rendered, { manageUrl: LINK, unsubscribeUrl: LINK }, lang, exchange(lang));
      return { subject: mail.subject, text: `${mail.text}\n${mail.html}` };
    },
    times: ['at'],
  },
];
