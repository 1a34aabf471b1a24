import { Type, type TSchema } from 'typebox';
import { STAFF_JSON_TAG } from '../../ops/openapi.ts';
import { IdParams, NullableTimestamp, Ok, Open, OptionalBody } from '../../web/schema/common.ts';
import { CsrfField } from '../../web/schema/text.ts';

/**
 * The knowledge base console's JSON API (console-routes.ts). An article's fields are described and checked by
 * the knowledge base's parser, whose refusals name them (a slug's form, a category, the Markdown rules); a
 * refusal shows the editor again (`formAction`).
 */
const tags = [STAFF_JSON_TAG];
const described = (description: string) => Type.Optional(Type.Unknown({ description }));
const form = (fields: Record<string, TSchema> = {}) => OptionalBody({ ...fields, _csrf: CsrfField });
const versionFields = {
  lang: described('"ja" or "en": the version\'s language'),
  category: described('the article\'s category'),
  title: described('the title'),
  body: described('the article, in Markdown'),
  keywords: described('search words: a list, or one line separated by commas'),
  publish: described('true: publish now (a form sends action=publish)'),
  action: described('"preview": answer the rendered HTML without saving; "draft" or "publish"'),
};
const Saved = Ok({ slug: Type.String(), lang: Type.String(), version: Type.Integer(), published: Type.Boolean() });
const Preview = Ok({ preview: Type.String({ description: 'the rendered HTML' }) });
const slugParams = IdParams('slug');
const versionParams = IdParams('slug', 'lang', 'version');

export const KbSchemas = {
  list: { tags, summary: 'Every article, drafts and withdrawn ones included', 'x-responses': { 200: Type.Object({ articles: Type.Array(Open({ slug: Type.String() })) }) } },
  create: { tags, summary: 'Create an article (or preview it)', body: form({ slug: described('the article\'s address: lower-case letters, digits and hyphens'), ...versionFields }), 'x-responses': { 200: Type.Union([Saved, Preview]) } },
  one: {
    tags, summary: 'An article for its editor: the latest version in each language, and which is published', params: slugParams,
    'x-responses': { 200: Open({ slug: Type.String(), category: Type.String(), withdrawnAt: NullableTimestamp(), latest: Open({}), current: Open({}) }) },
  },
  save: { tags, summary: 'Save a new version of an article (or preview it)', params: slugParams, body: form({ ...versionFields, baseVersion: described('the latest version the editor started from (required): a newer one is refused as changed meanwhile') }), 'x-responses': { 200: Type.Union([Saved, Preview]) } },
  withdraw: {
    tags, summary: 'Withdraw an article from the help center', params: slugParams, body: form({ confirm: described('"yes" or true: required') }),
    'x-responses': { 200: Ok({ slug: Type.String(), withdrawn: Type.Integer() }) },
  },
  history: {
    tags, summary: 'An article\'s versions, with readers\' feedback', params: slugParams,
    'x-responses': { 200: Open({ slug: Type.String(), versions: Type.Array(Open({})), feedback: Type.Array(Open({})), comments: Type.Array(Open({})) }) },
  },
  version: { tags, summary: 'One version, rendered', params: versionParams, 'x-responses': { 200: Type.Object({ slug: Type.String(), version: Open({ version: Type.Integer(), lang: Type.String(), title: Type.String() }), html: Type.String() }) } },
  republish: {
    tags, summary: 'Publish an earlier version again (as a new version)', params: versionParams, body: form(),
    'x-responses': { 200: Ok({ slug: Type.String(), lang: Type.String(), version: Type.Integer(), restoredFrom: Type.Integer() }) },
  },
};
