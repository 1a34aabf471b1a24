import { KinkyuError } from '../domain/errors.ts';
import { hasMessage, t, type Lang } from './i18n.ts';

/**
 * The message a user reads for a refusal, in their language, with field names translated. A module with its own
 * catalogue section names it as `scope` (`kb`, `notices`): its `<scope>.field.*` and `<scope>.error.*` messages
 * are tried first, then the application's `field.*` and `error.*`.
 */
export function errorMessage(lang: Lang, err: KinkyuError, scope?: string): string {
  const params: Record<string, string> = { ...err.params };
  if (params.field) {
    const fieldKey = [scope ? `${scope}.field.${params.field}` : '', `field.${params.field}`].find((k) => hasMessage(k));
    if (fieldKey && hasMessage(fieldKey)) params.field = t(lang, fieldKey);
  }
  const candidates = [
    scope && params.rule ? `${scope}.error.${params.rule}` : '',
    scope && params.what ? `${scope}.error.${err.code}.${params.what}` : '',
    params.rule ? `error.${err.code}.${params.rule}` : '',
    `error.${err.code}`,
  ];
  const key = candidates.find((k) => hasMessage(k));
  return key && hasMessage(key) ? t(lang, key, params) : t(lang, 'error.INTERNAL');
}
