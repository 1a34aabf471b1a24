import type { KinkyuError } from '../../domain/errors.ts';
import { errorMessage } from '../../web/errors.ts';
import { hasMessage, t, type Lang } from '../../web/i18n.ts';

/**
 * The message for a knowledge-base refusal. Its errors carry `kb: 'true'` and name their field and rule by
 * the `kb.field.*` / `kb.error.*` messages; anything else reads as the rest of the app's errors do.
 */
export function kbErrorMessage(lang: Lang, err: KinkyuError): string {
  if (err.params.kb !== 'true') return errorMessage(lang, err);
  const params: Record<string, string> = { ...err.params };
  if (params.field) {
    const fieldKey = `kb.field.${params.field}`;
    if (hasMessage(fieldKey)) params.field = t(lang, fieldKey);
  }
  for (const key of [`kb.error.${params.rule ?? ''}`, `kb.error.${err.code}.${params.what ?? ''}`]) {
    if (hasMessage(key)) return t(lang, key, params);
  }
  return errorMessage(lang, err);
}
