import { KinkyuError } from '../domain/errors.ts';
import { checkText, type TextRule } from '../web/schema/text.ts';
import { checkMarkdown } from './markdown.ts';

/**
 * What staff type into the notice and terms forms, checked. Text is hostile and legal text is published under
 * the exchange's name, so markup is refused outright (it would only ever be shown as text) rather than
 * silently escaped: staff see at once that their text was not what they meant.
 */

export const NOTICE_TITLE_MAX = 200;
export const NOTICE_TEXT_MAX = 5000;
export const TERMS_BODY_MAX = 100_000;
export const TERMS_SUMMARY_MAX = 5000;
export const TERMS_LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

export interface NoticeInput {
  titleJa: string;
  titleEn: string | null;
  changesJa: string;
  changesEn: string | null;
  actionJa: string;
  actionEn: string | null;
  effectiveFrom: string;
  deadline: string | null;
}

export interface TermsInput {
  label: string;
  effectiveFrom: string;
  bodyJa: string;
  bodyEn: string | null;
  summaryJa: string;
  summaryEn: string | null;
  ackRequired: boolean;
  ackDeadline: string | null;
}

type Body = Record<string, unknown>;

// A tag, a comment or a CDATA section, however it is spaced: "< script>", "</p >", "<!-- -->".
const MARKUP = /<\s*\/?\s*[A-Za-z][^<>]*>|<\s*\/?\s*(script|style|iframe|object|embed|svg|math|img|link|meta|form|input|body|html|base)\b|<!--|<!\[CDATA\[|<\?/i;

/** Refuses text that carries HTML markup. */
export function refuseMarkup(text: string | null, field: string): void {
  if (text !== null && MARKUP.test(text)) throw new KinkyuError('VALIDATION', { field, rule: 'notices_markup' });
}

/**
 * The text rules of each field, one definition for the route schemas (src/notices/schemas.ts, which refuse a
 * body before the handler) and for the parsers below (which clean the values the schema accepted, and refuse
 * markup).
 */
export const NOTICE_TEXT = {
  titleJa: { max: NOTICE_TITLE_MAX, required: true },
  titleEn: { max: NOTICE_TITLE_MAX },
  changesJa: { max: NOTICE_TEXT_MAX, required: true, multiline: true },
  changesEn: { max: NOTICE_TEXT_MAX, multiline: true },
  actionJa: { max: NOTICE_TEXT_MAX, required: true, multiline: true },
  actionEn: { max: NOTICE_TEXT_MAX, multiline: true },
} satisfies Record<string, TextRule>;

export const TERMS_TEXT = {
  bodyJa: { max: TERMS_BODY_MAX, required: true, multiline: true },
  bodyEn: { max: TERMS_BODY_MAX, multiline: true },
  summaryJa: { max: TERMS_SUMMARY_MAX, required: true, multiline: true },
  summaryEn: { max: TERMS_SUMMARY_MAX, multiline: true },
} satisfies Record<string, TextRule>;

export const WITHDRAW_REASON: TextRule = { max: 1000, multiline: true };

function text(body: Body, field: string, rule: TextRule): string | null {
  const value = checkText(body[field], field, rule);
  refuseMarkup(value, field);
  return value;
}

/**
 * A calendar date "2026-12-01" (what <input type="date"> sends): a real day, in a sane range. The day is in
 * the exchange's time zone; it is kept as text, never turned into an instant by accident.
 */
export function parseDay(value: unknown, field: string, required: boolean): string | null {
  if (value === undefined || value === null || value === '') {
    if (required) throw new KinkyuError('VALIDATION', { field, rule: 'required' });
    return null;
  }
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value.trim())) throw new KinkyuError('VALIDATION', { field, rule: 'notices_day' });
  const day = value.trim();
  const date = new Date(`${day}T00:00:00Z`);
  const year = Number(day.slice(0, 4));
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== day || year < 2000 || year > 2099) {
    throw new KinkyuError('VALIDATION', { field, rule: 'notices_day' });
  }
  return day;
}

function checkDeadline(effectiveFrom: string, deadline: string | null, field: string): void {
  if (deadline !== null && deadline < effectiveFrom) throw new KinkyuError('VALIDATION', { field, rule: 'notices_deadline_before_effective' });
}

export function parseNoticeInput(body: Body): NoticeInput {
  const input: NoticeInput = {
    titleJa: text(body, 'titleJa', NOTICE_TEXT.titleJa) as string,
    titleEn: text(body, 'titleEn', NOTICE_TEXT.titleEn),
    changesJa: text(body, 'changesJa', NOTICE_TEXT.changesJa) as string,
    changesEn: text(body, 'changesEn', NOTICE_TEXT.changesEn),
    actionJa: text(body, 'actionJa', NOTICE_TEXT.actionJa) as string,
    actionEn: text(body, 'actionEn', NOTICE_TEXT.actionEn),
    effectiveFrom: parseDay(body.effectiveFrom, 'effectiveFrom', true) as string,
    deadline: parseDay(body.deadline, 'deadline', false),
  };
  checkDeadline(input.effectiveFrom, input.deadline, 'deadline');
  return input;
}

const checked = (v: unknown) => v === true || v === 'on' || v === 'true' || v === '1';

export function parseTermsInput(body: Body): TermsInput {
  const rawLabel = typeof body.label === 'string' ? body.label.trim() : body.label;
  if (rawLabel === undefined || rawLabel === null || rawLabel === '') throw new KinkyuError('VALIDATION', { field: 'label', rule: 'required' });
  // "new" would collide with the console's /staff/terms/new.
  if (typeof rawLabel !== 'string' || !TERMS_LABEL.test(rawLabel) || rawLabel.toLowerCase() === 'new') throw new KinkyuError('VALIDATION', { field: 'label', rule: 'notices_label' });
  const bodyJa = text(body, 'bodyJa', TERMS_TEXT.bodyJa) as string;
  const bodyEn = text(body, 'bodyEn', TERMS_TEXT.bodyEn);
  checkMarkdown(bodyJa, 'bodyJa');
  if (bodyEn !== null) checkMarkdown(bodyEn, 'bodyEn');
  const input: TermsInput = {
    label: rawLabel,
    effectiveFrom: parseDay(body.effectiveFrom, 'effectiveFrom', true) as string,
    bodyJa,
    bodyEn,
    summaryJa: text(body, 'summaryJa', TERMS_TEXT.summaryJa) as string,
    summaryEn: text(body, 'summaryEn', TERMS_TEXT.summaryEn),
    ackRequired: checked(body.ackRequired),
    ackDeadline: parseDay(body.ackDeadline, 'ackDeadline', false),
  };
  checkDeadline(input.effectiveFrom, input.ackDeadline, 'ackDeadline');
  if (input.ackDeadline !== null && !input.ackRequired) throw new KinkyuError('VALIDATION', { field: 'ackDeadline', rule: 'notices_deadline_without_ack' });
  return input;
}

/** The optional reason given when a notice is withdrawn. */
export function parseWithdrawReason(body: Body): string | null {
  return text(body, 'reason', WITHDRAW_REASON);
}
