import { Type } from 'typebox';
import { STAFF_JSON_TAG } from '../ops/openapi.ts';
import { IdParams, Ok } from '../web/schema/common.ts';
import { CsrfField, JaText } from '../web/schema/text.ts';
import { NOTICE_TEXT, TERMS_TEXT, WITHDRAW_REASON } from './validation.ts';

/**
 * Notices and terms as the console's forms post them and JSON clients send them. The text rules are
 * validation.ts's (NOTICE_TEXT, TERMS_TEXT); days, labels, markup and deadlines stay with its parsers, whose
 * refusals are the notices' own messages.
 */
const day = (description: string) => Type.Unsafe<string>({ description: `${description}: a day, YYYY-MM-DD (the exchange's time zone)` });
const optionalDay = (description: string) => Type.Optional(Type.Unsafe<string | null>({ description: `${description}: YYYY-MM-DD, or empty` }));
const intent = Type.Optional(Type.Unsafe<string>({ description: '"publish" publishes at once; anything else keeps a draft' }));

const NoticeBody = Type.Object({
  titleJa: JaText(NOTICE_TEXT.titleJa),
  titleEn: Type.Optional(JaText(NOTICE_TEXT.titleEn)),
  changesJa: JaText(NOTICE_TEXT.changesJa),
  changesEn: Type.Optional(JaText(NOTICE_TEXT.changesEn)),
  actionJa: JaText(NOTICE_TEXT.actionJa),
  actionEn: Type.Optional(JaText(NOTICE_TEXT.actionEn)),
  effectiveFrom: day('when the change takes effect'),
  deadline: optionalDay('by when users must act'),
  intent,
  _csrf: CsrfField,
});

const TermsBody = Type.Object({
  label: Type.Unsafe<string>({ description: 'the version\'s label, e.g. 2026-12 (letters, digits, . _ -)' }),
  effectiveFrom: day('when the version takes effect'),
  bodyJa: JaText(TERMS_TEXT.bodyJa),
  bodyEn: Type.Optional(JaText(TERMS_TEXT.bodyEn)),
  summaryJa: JaText(TERMS_TEXT.summaryJa),
  summaryEn: Type.Optional(JaText(TERMS_TEXT.summaryEn)),
  ackRequired: Type.Optional(Type.Unsafe<unknown>({ description: 'true (or a ticked checkbox): users must acknowledge it' })),
  ackDeadline: optionalDay('by when they must'),
  intent,
  _csrf: CsrfField,
});

const tags = [STAFF_JSON_TAG];
const saved = Ok({ id: Type.String(), status: Type.String() });

export const NoticeSchemas = {
  create: { tags, summary: 'Write a notice (a draft, or published at once)', body: NoticeBody, 'x-responses': { 200: saved } },
  update: { tags, summary: 'Change a notice', params: IdParams('id'), body: NoticeBody, 'x-responses': { 200: Ok({ id: Type.String(), revision: Type.Integer() }) } },
  withdraw: { tags, summary: 'Withdraw a published notice', params: IdParams('id'), body: Type.Object({ reason: Type.Optional(JaText(WITHDRAW_REASON)), _csrf: CsrfField }), 'x-responses': { 200: Ok({ id: Type.String() }) } },
  createTerms: { tags, summary: 'Write a version of the terms', body: TermsBody, 'x-responses': { 200: Ok({ label: Type.String(), status: Type.String() }) } },
  publish: { tags, summary: 'Publish a notice draft', params: IdParams('id'), 'x-responses': { 200: Ok({ id: Type.String() }) } },
  updateTerms: { tags, summary: 'Change a draft version of the terms', body: TermsBody, params: IdParams('label'), 'x-responses': { 200: Ok({ label: Type.String() }) } },
  publishTerms: { tags, summary: 'Publish a draft version of the terms', params: IdParams('label'), 'x-responses': { 200: Ok({ label: Type.String() }) } },
};
