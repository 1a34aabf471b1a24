import type { FastifyReply, FastifyRequest } from 'fastify';
import { KinkyuError, isKinkyuError } from '../domain/errors.ts';
import { wantsJson } from '../staff/auth-plugin.ts';
import { errorMessage } from '../web/errors.ts';
import { hasMessage, t, type Lang } from '../web/i18n.ts';
import { requestLang } from '../web/request-lang.ts';

/**
 * The message for a refusal from the notice and terms forms: their own rules (`notices.error.<rule>`) and
 * field names (`notices.field.<field>`) first, the application's catalogue for the rest.
 */
export function noticeErrorMessage(lang: Lang, err: KinkyuError): string {
  const params: Record<string, string> = { ...err.params };
  const fieldKey = `notices.field.${params.field ?? ''}`;
  if (params.field && hasMessage(fieldKey)) params.field = t(lang, fieldKey);
  const ruleKey = `notices.error.${params.rule ?? ''}`;
  if (params.rule && hasMessage(ruleKey)) return t(lang, ruleKey, params);
  return errorMessage(lang, new KinkyuError(err.code, params));
}

/**
 * Runs a staff change for a form or a JSON client. Success: `{ok: true, ...result}` for JSON, `onSuccess`
 * for a form. Refusal: {code, message, requestId} for JSON, the form again with the message for a browser,
 * under the refusal's status — in both cases with this module's messages.
 */
export async function noticeFormAction<T extends Record<string, unknown>>(
  request: FastifyRequest,
  reply: FastifyReply,
  handlers: {
    run: () => Promise<T>;
    onSuccess: (result: T) => Promise<FastifyReply> | FastifyReply;
    onRefusal: (lang: Lang, message: string) => Promise<string>;
  },
): Promise<FastifyReply> {
  try {
    const result = await handlers.run();
    if (wantsJson(request)) return reply.code(200).send({ ok: true, ...result });
    return await handlers.onSuccess(result);
  } catch (err) {
    if (!isKinkyuError(err)) throw err;
    const lang = requestLang(request, reply);
    const message = noticeErrorMessage(lang, err);
    if (wantsJson(request)) return reply.code(err.httpStatus).send({ code: err.code, message, requestId: request.id });
    return reply.code(err.httpStatus).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store')
      .send(await handlers.onRefusal(lang, message));
  }
}
