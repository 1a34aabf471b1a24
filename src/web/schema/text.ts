import { Type, type TUnsafe } from 'typebox';
import { cleanText, USER_EMAIL } from '../../domain/text.ts';
import { KinkyuError } from '../../domain/errors.ts';

/**
 * The Japanese text rules as schema pieces. A piece is a plain JSON Schema (`type`, a description for the
 * OpenAPI document) plus the keyword `x-kinkyu-text`, which ajv runs with `checkText` below — the very function
 * the domain parsers clean a field with (src/domain/text.ts `cleanText`: NFC, line ends, control characters,
 * trimming, the length counted after all that, optionally NFKC first so that 「１０」 is 「10」).
 *
 * A schema validates; it does not change the body. The normalised value is what the domain parser reads
 * (`parseContact`, `parseNoticeInput`, …), which calls the same `cleanText` with the same rule: the transform
 * step after validation is that parser, so the rule exists once, a value the schema accepted is always accepted
 * by the parser, and callers that are not HTTP routes (an emergency lock filing a ticket) are cleaned alike.
 */
export interface TextRule {
  /** Characters, counted after normalisation and trimming (UTF-16 units, as `cleanText` counts). */
  max: number;
  /** Empty, blank or missing is refused as "please fill in". */
  required?: boolean;
  multiline?: boolean;
  /** NFKC before the rest: full-width digits and letters become half-width, half-width kana full-width. */
  nfkc?: boolean;
  /** The name the error message uses, when it is not the property's (`body` of the contact form is `message`). */
  field?: string;
  /** A pattern the cleaned text must match (a RegExp source), refused as `patternRule` (default `format`). */
  pattern?: string;
  patternRule?: string;
}

export const TEXT_KEYWORD = 'x-kinkyu-text';

/** The field cleaned by the rule, or null when empty; a refusal is the KinkyuError users see today. */
export function checkText(value: unknown, field: string, rule: TextRule): string | null {
  const folded = rule.nfkc && typeof value === 'string' ? value.normalize('NFKC') : value;
  const text = cleanText(folded, field, { max: rule.max, required: rule.required ?? false, multiline: rule.multiline ?? false });
  if (text !== null && rule.pattern && !new RegExp(rule.pattern).test(text)) {
    throw new KinkyuError('VALIDATION', { field, rule: rule.patternRule ?? 'format' });
  }
  return text;
}

function describe(rule: TextRule): string {
  const parts = [`at most ${rule.max} characters after ${rule.nfkc ? 'NFKC' : 'NFC'} normalisation and trimming`];
  if (rule.multiline) parts.push('line breaks kept');
  if (rule.required) parts.push('required (blank is refused)');
  return parts.join('; ');
}

/**
 * A free-text field in Japanese or English. `null` and an empty string mean "not given" (refused when
 * `required`); anything else but text is refused as "must be text".
 */
export function JaText(rule: TextRule, description?: string): TUnsafe<string | null> {
  return Type.Unsafe<string | null>({ type: ['string', 'null'], description: description ?? describe(rule), [TEXT_KEYWORD]: rule });
}

/** A one-line field typed by hand (an order id, an amount): width-folded, so 「１０」 counts as 「10」. */
export function Line(max: number, extra: Omit<TextRule, 'max' | 'nfkc' | 'multiline'> = {}): TUnsafe<string | null> {
  return JaText({ max, nfkc: true, ...extra });
}

export function Email(opts: { required?: boolean } = {}): TUnsafe<string | null> {
  return JaText({ max: 254, required: opts.required ?? true, pattern: USER_EMAIL.source, patternRule: 'email' }, 'an e-mail address, at most 254 characters');
}

/** The hidden CSRF field every console form carries (JSON clients send the x-csrf-token header instead). */
export const CsrfField = Type.Optional(Type.String({ maxLength: 200, description: 'the form\'s CSRF token (or the x-csrf-token header)' }));

/** A form's language switch: `ja` or `en`; anything else is ignored (the visitor's language is used). */
export const LangField = Type.Optional(Type.Unknown({ description: '"ja" or "en" (anything else: the request\'s language)' }));
