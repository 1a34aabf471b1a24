import { KinkyuError } from './errors.ts';

/**
 * The anti-phishing code: a short phrase the user chooses, shown at the top of every genuine email, so a mail
 * without it is recognisably not ours. One rule for accounts (security center) and status-mail subscribers.
 *
 * The code is taken in NFKC form (full-width Latin letters and digits become plain ones, half-width katakana
 * full-width), trimmed, inner runs of spaces made one. It must then be 4–20 characters (code points) long, hold no
 * control or invisible format character (line breaks, tabs, bidirectional overrides, zero-width joiners: they
 * could hide or reorder text in a mail) and none of the characters that mean something in HTML (< > & " ' `),
 * which are refused rather than escaped so the code reads the same in every mail client.
 */
export const ANTI_PHISHING_MIN = 4;
export const ANTI_PHISHING_MAX = 20;
/** What a form may send at most before normalising (NFKC can shorten, never by this much). */
const RAW_MAX = 200;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\u2028\u2029]/u;
const HTML_SIGNIFICANT = /[<>&"'`]/;

/** The rule a refused code broke (the message key `error.VALIDATION.<rule>`). */
export type AntiPhishingRule = 'anti_phishing_length' | 'anti_phishing_control' | 'anti_phishing_html';

/** The code to store, or throws VALIDATION with `field` and the rule broken; nothing else happens on refusal. */
export function parseAntiPhishingCode(value: unknown, field = 'antiPhishingCode'): string {
  const refuse = (rule: AntiPhishingRule) => new KinkyuError('VALIDATION', { field, rule, min: String(ANTI_PHISHING_MIN), max: String(ANTI_PHISHING_MAX) });
  if (typeof value !== 'string' || value.length > RAW_MAX) throw refuse('anti_phishing_length');
  // Checked before and after normalising: NFKC never makes a control character, but the raw text is what was sent.
  if (CONTROL.test(value)) throw refuse('anti_phishing_control');
  const code = value.normalize('NFKC').trim().replace(/\s+/gu, ' ');
  if (CONTROL.test(code)) throw refuse('anti_phishing_control');
  if (HTML_SIGNIFICANT.test(value) || HTML_SIGNIFICANT.test(code)) throw refuse('anti_phishing_html');
  const length = [...code].length;
  if (length < ANTI_PHISHING_MIN || length > ANTI_PHISHING_MAX) throw refuse('anti_phishing_length');
  return code;
}
