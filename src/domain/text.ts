import { KinkyuError } from './errors.ts';

/** A user's e-mail address as the contact form accepts it: no spaces or mail-header punctuation, a dotted domain. */
export const USER_EMAIL = /^[^\s@<>,;:"()[\]\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

/**
 * Cleans one free-text field from a form or API body. Text is hostile: it may be huge, carry control
 * characters, or arrive in a broken encoding (U+FFFD is what a decoder leaves for bytes that were not UTF-8).
 * Escaping happens on output; this only decides whether the text is acceptable at all.
 */
export function cleanText(
  value: unknown,
  field: string,
  opts: { max: number; required?: boolean; multiline?: boolean },
): string | null {
  if (value === undefined || value === null || value === '') {
    if (opts.required) throw new KinkyuError('VALIDATION', { field, rule: 'required' });
    return null;
  }
  if (typeof value !== 'string') throw new KinkyuError('VALIDATION', { field, rule: 'text' });
  if (!value.isWellFormed() || value.includes('\uFFFD')) {
    throw new KinkyuError('VALIDATION', { field, rule: 'encoding' });
  }
  let text = value.normalize('NFC').replace(/\r\n?/g, '\n');
  // Control characters other than tab and (in multi-line fields) newline have no place in user-visible text.
  text = opts.multiline ? text.replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, '') : text.replace(/[\u0000-\u001F\u007F]/g, ' ');
  text = text.trim();
  if (text.length === 0) {
    if (opts.required) throw new KinkyuError('VALIDATION', { field, rule: 'required' });
    return null;
  }
  if (text.length > opts.max) throw new KinkyuError('VALIDATION', { field, rule: 'max', max: String(opts.max) });
  return text;
}

export function requireText(value: unknown, field: string, max: number, multiline = false): string {
  return cleanText(value, field, { max, required: true, multiline }) as string;
}

export function parseDate(value: unknown, field: string, required = true): Date | null {
  if (value === undefined || value === null || value === '') {
    if (required) throw new KinkyuError('VALIDATION', { field, rule: 'required' });
    return null;
  }
  if (typeof value !== 'string' || value.length > 64) throw new KinkyuError('VALIDATION', { field, rule: 'date' });
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new KinkyuError('VALIDATION', { field, rule: 'date' });
  return date;
}
