import { KinkyuError } from '../domain/errors.ts';
import { hasMessage, t, type Lang } from './i18n.ts';

/** The message a user reads for a refusal, in their language, with field names translated. */
export function errorMessage(lang: Lang, err: KinkyuError): string {
  const params: Record<string, string> = { ...err.params };
  if (params.field) {
    const fieldKey = `field.${params.field}`;
    if (hasMessage(fieldKey)) params.field = t(lang, fieldKey);
  }
  const specific = `error.${err.code}.${params.rule ?? ''}`;
  if (params.rule && hasMessage(specific)) return t(lang, specific, params);
  const general = `error.${err.code}`;
  return hasMessage(general) ? t(lang, general, params) : t(lang, 'error.INTERNAL');
}
