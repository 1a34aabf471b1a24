import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { Config } from '../../config.ts';
import { KinkyuError } from '../../domain/errors.ts';
import type { KnowledgeBase } from './knowledge-base.ts';
import { renderArticleMarkdown } from './markdown.ts';
import { wantsJson } from '../../web/wants-json.ts';
import type { Lang, MessageKey } from '../../web/i18n.ts';
import { consoleContext, formAction, sendPage, staffActor } from '../../console/form-action.ts';
import { bodyOf, type Body } from '../../web/body.ts';
import { kbEditPage, kbHistoryPage, kbListPage, kbNewPage, kbVersionPage } from './console-views.ts';
import { SafeHtml } from '../../web/html.ts';
import { KbSchemas } from './console-schemas.ts';

export interface KbConsoleOptions {
  config: Config;
  knowledgeBase: KnowledgeBase;
}

const FLASH: Readonly<Record<string, MessageKey>> = {
  created: 'kb.staff.flash.created',
  published: 'kb.staff.flash.published',
  draft: 'kb.staff.flash.draft',
  republished: 'kb.staff.flash.republished',
  withdrawn: 'kb.staff.flash.withdrawn',
};

/** What a refused form shows again: only strings, and only as much as the fields hold. */
function echo(body: Body): Body {
  const out: Body = {};
  for (const key of ['slug', 'category', 'lang', 'title', 'keywords', 'body', 'baseVersion'] as const) {
    const v = body[key];
    if (typeof v === 'string') out[key] = v.slice(0, key === 'body' ? 50_000 : 2_000);
    else if (Array.isArray(v)) out[key] = v.filter((k) => typeof k === 'string').join(', ').slice(0, 2_000);
  }
  return out;
}

/**
 * The staff side of the knowledge base. Reading needs 'console.view'; every change needs 'kb.edit' (the
 * auth hook checks it, with the CSRF token, before a handler runs). Forms get pages and redirects, JSON
 * clients get JSON. Each change is one transaction with its audit entry, in the KnowledgeBase service.
 */
export function registerKbConsole(app: FastifyInstance, opts: KbConsoleOptions): void {
  const { config, knowledgeBase: kb } = opts;
  const read = { config: { permission: 'console.view' as const } };
  const edit = { config: { permission: 'kb.edit' as const } };
  const reading = (schema: FastifySchema) => ({ schema, ...read });
  /** A change: its schema, and refusals shown with the editor (`formAction` throws the schema's). */
  const change = (schema: FastifySchema) => ({ schema, config: { ...edit.config, refusesInHandler: true } });
  const ctx = (request: FastifyRequest, reply: FastifyReply, extra: { lang?: Lang; error?: string } = {}) =>
    consoleContext(request, reply, config.timeZone, FLASH, extra);
  const editLangOf = (request: FastifyRequest, fallback: Lang = 'ja'): Lang => {
    const v = (request.query as Record<string, unknown>)?.edit;
    return v === 'ja' || v === 'en' ? v : fallback;
  };

  /** A change for a form or a JSON client; refusals read with the knowledge base's own field names. */
  const act = <T extends Record<string, unknown>>(
    request: FastifyRequest,
    reply: FastifyReply,
    run: () => Promise<T>,
    onSuccess: (result: T) => FastifyReply | Promise<FastifyReply>,
    onRefusal: (lang: Lang, error: string) => Promise<string>,
  ): Promise<FastifyReply> => formAction(request, reply, { run, onSuccess, onRefusal, scope: 'kb' });
  const isPreview = (body: Body) => body.action === 'preview';

  app.get('/staff/kb', reading(KbSchemas.list), async (request, reply) => {
    const articles = await kb.listForStaff();
    if (wantsJson(request)) return reply.send({ articles });
    return sendPage(reply, kbListPage(ctx(request, reply), articles));
  });

  app.get('/staff/kb/new', edit, async (request, reply) => sendPage(reply, kbNewPage(ctx(request, reply))));

  app.post('/staff/kb', change(KbSchemas.create), async (request, reply) => {
    const body = bodyOf(request);
    if (isPreview(body)) {
      return act(request, reply, async () => ({ preview: kb.preview(body, true).html.value }),
        (r) => sendPage(reply, kbNewPage(ctx(request, reply), echo(body), new SafeHtml(r.preview))),
        async (lang, error) => kbNewPage(ctx(request, reply, { lang, error }), echo(body)));
    }
    return act(
      request,
      reply,
      () => kb.createArticle(staffActor(request), body),
      (r) => reply.redirect(`/staff/kb/${r.slug}?edit=${r.lang}&ok=${r.published ? 'created' : 'draft'}`, 303),
      async (lang, error) => kbNewPage(ctx(request, reply, { lang, error }), echo(body)),
    );
  });

  const editorPage = async (
    request: FastifyRequest<{ Params: { slug: string } }>,
    reply: FastifyReply,
    editLang: Lang,
    extra: { lang?: Lang; error?: string; values?: Body; preview?: SafeHtml | null } = {},
  ) => {
    const data = await kb.forEditor(request.params.slug);
    const latest = data.latest[editLang];
    const c = ctx(request, reply, { ...(extra.lang ? { lang: extra.lang } : {}), ...(extra.error ? { error: extra.error } : {}) });
    return kbEditPage(c, data, editLang, {
      ...(extra.values ? { values: extra.values } : {}),
      preview: extra.preview ?? null,
      currentHtml: latest ? renderArticleMarkdown(latest.body) : null,
    });
  };

  app.get<{ Params: { slug: string } }>('/staff/kb/:slug', reading(KbSchemas.one), async (request, reply) => {
    if (wantsJson(request)) return reply.send(await kb.forEditor(request.params.slug));
    return sendPage(reply, await editorPage(request, reply, editLangOf(request)));
  });

  app.post<{ Params: { slug: string } }>('/staff/kb/:slug', change(KbSchemas.save), async (request, reply) => {
    const body = bodyOf(request);
    const editLang: Lang = body.lang === 'en' ? 'en' : 'ja';
    if (isPreview(body)) {
      return act(request, reply, async () => ({ preview: kb.preview(body).html.value }),
        async (r) => sendPage(reply, await editorPage(request, reply, editLang, { values: echo(body), preview: new SafeHtml(r.preview) })),
        (lang, error) => editorPage(request, reply, editLang, { lang, error, values: echo(body) }));
    }
    return act(
      request,
      reply,
      () => kb.saveVersion(staffActor(request), request.params.slug, body),
      (r) => reply.redirect(`/staff/kb/${r.slug}?edit=${r.lang}&ok=${r.published ? 'published' : 'draft'}`, 303),
      (lang, error) => editorPage(request, reply, editLang, { lang, error, values: echo(body) }),
    );
  });

  app.post<{ Params: { slug: string } }>('/staff/kb/:slug/withdraw', change(KbSchemas.withdraw), async (request, reply) => {
    const body = bodyOf(request);
    return act(
      request,
      reply,
      async () => {
        if (body.confirm !== 'yes' && body.confirm !== true) throw new KinkyuError('VALIDATION', { field: 'confirm', rule: 'confirm' });
        return kb.withdraw(staffActor(request), request.params.slug);
      },
      (r) => reply.redirect(`/staff/kb/${r.slug}?ok=withdrawn`, 303),
      (lang, error) => editorPage(request, reply, 'ja', { lang, error }),
    );
  });

  app.get<{ Params: { slug: string } }>('/staff/kb/:slug/versions', reading(KbSchemas.history), async (request, reply) => {
    const history = await kb.history(request.params.slug);
    if (wantsJson(request)) return reply.send(history);
    return sendPage(reply, kbHistoryPage(ctx(request, reply), history));
  });

  app.get<{ Params: { slug: string; lang: string; version: string } }>('/staff/kb/:slug/versions/:lang/:version', reading(KbSchemas.version), async (request, reply) => {
    const { slug, version, html } = await kb.version(request.params.slug, request.params.lang, request.params.version);
    if (wantsJson(request)) return reply.send({ slug, version, html: html.value });
    return sendPage(reply, kbVersionPage(ctx(request, reply), slug, version, html));
  });

  app.post<{ Params: { slug: string; lang: string; version: string } }>('/staff/kb/:slug/versions/:lang/:version/republish', change(KbSchemas.republish), async (request, reply) =>
    act(
      request,
      reply,
      () => kb.republish(staffActor(request), request.params.slug, request.params.lang, request.params.version),
      (r) => reply.redirect(`/staff/kb/${r.slug}?edit=${r.lang}&ok=republished`, 303),
      async (lang, error) => kbHistoryPage(ctx(request, reply, { lang, error }), await kb.history(request.params.slug)),
    ),
  );
}
