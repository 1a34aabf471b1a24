import { KinkyuError } from '../domain/errors.ts';
import { cleanText } from '../domain/text.ts';
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

function text(body: Body, field: string, max: number, opts: { required: boolean; multiline: boolean }): string | null {
  const value = cleanText(body[field], field, { max, required: opts.required, multiline: opts.multiline });
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
  const multi = { required: true, multiline: true };
  const optionalMulti = { required: false, multiline: true };
  const input: NoticeInput = {
    titleJa: text(body, 'titleJa', NOTICE_TITLE_MAX, { required: true, multiline: false }) as string,
    titleEn: text(body, 'titleEn', NOTICE_TITLE_MAX, { required: false, multiline: false }),
    changesJa: text(body, 'changesJa', NOTICE_TEXT_MAX, multi) as string,
    changesEn: text(body, 'changesEn', NOTICE_TEXT_MAX, optionalMulti),
    actionJa: text(body, 'actionJa', NOTICE_TEXT_MAX, multi) as string,
    actionEn: text(body, 'actionEn', NOTICE_TEXT_MAX, optionalMulti),
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
  const bodyJa = text(body, 'bodyJa', TERMS_BODY_MAX, { required: true, multiline: true }) as string;
  const bodyEn = text(body, 'bodyEn', TERMS_BODY_MAX, { required: false, multiline: true });
  checkMarkdown(bodyJa, 'bodyJa');
  if (bodyEn !== null) checkMarkdown(bodyEn, 'bodyEn');
  const input: TermsInput = {
    label: rawLabel,
    effectiveFrom: parseDay(body.effectiveFrom, 'effectiveFrom', true) as string,
    bodyJa,
    bodyEn,
    summaryJa: text(body, 'summaryJa', TERMS_SUMMARY_MAX, { required: true, multiline: true }) as string,
    summaryEn: text(body, 'summaryEn', TERMS_SUMMARY_MAX, { required: false, multiline: true }),
    ackRequired: checked(body.ackRequired),
    ackDeadline: parseDay(body.ackDeadline, 'ackDeadline', false),
  };
  checkDeadline(input.effectiveFrom, input.ackDeadline, 'ackDeadline');
  if (input.ackDeadline !== null && !input.ackRequired) throw new KinkyuError('VALIDATION', { field: 'ackDeadline', rule: 'notices_deadline_without_ack' });
  return input;
}

/** The optional reason given when a notice is withdrawn. */
export function parseWithdrawReason(body: Body): string | null {
  return text(body, 'reason', 1000, { required: false, multiline: true });
}
