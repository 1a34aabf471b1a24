/**
 * The "What happened?" pages: one question with the five emergency types, at most two follow-ups, then the
 * steps, each a link that does it. Plain HTML (no script), mobile first; the live banner always comes first.
 */
import { langHref } from '../../web/links.ts';
import type { PageSnapshot } from '../../status/page/snapshot.ts';
import { html, type SafeHtml } from '../../web/html.ts';
import { hasMessage, t, type Lang, known } from '../../web/i18n.ts';
import { layout } from '../../web/layout.ts';
import { channelsFor, type Channels } from '../channels.ts';
import { phoneLineBlock, WHEN_PHONE_CLOSED, type PhoneLine } from '../../web/phone-line.ts';
import type { ArticleSearch } from '../search/types.ts';
import { articleList, relatedArticles, searchForm, searchResults, type ArticleQuery } from './articles.ts';
import { activeTroubles, liveBanner } from './live.ts';
import {
  EMERGENCY_TYPES,
  needOf,
  relatedQueries,
  type Answers,
  type EmergencyType,
  type Question,
  type QuestionId,
  type StepId,
} from './paths.ts';

export interface GuideContext {
  lang: Lang;
  exchangeName: string;
  /** The public page's zone, for update times. */
  timeZone: string;
  publicUrl: string;
  channels: Channels;
  /** The emergency line at the request's instant. */
  phone: PhoneLine;
  snapshot: PageSnapshot | null;
  /** A user session is present: account links go to the security center instead of the no-sign-in pages. */
  signedIn: boolean;
  articles: ArticleSearch | undefined;
}


export function guidePage(c: GuideContext, title: string, path: string, body: SafeHtml): string {
  return layout({
    lang: c.lang,
    title: `${title} · ${c.exchangeName}`,
    path,
    header: html`<p class="site-name"><a href="${langHref(c.lang, '/help')}">${c.exchangeName} ${t(c.lang, 'help.pageTitle')}</a></p>`,
    body: html`${liveBanner(c.lang, c.timeZone, c.snapshot)}${body}`,
  }).value;
}

const lockHref = (c: GuideContext) => langHref(c.lang, c.signedIn ? '/account/lock' : '/help/lock');
const external = (href: string) => /^https?:/i.test(href);
const link = (href: string, text: string, cls = '') =>
  external(href)
    ? html`<a href="${href}" rel="noopener"${cls ? html` class="${cls}"` : ''}>${text}</a>`
    : html`<a href="${href}"${cls ? html` class="${cls}"` : ''}>${text}</a>`;

// ------------------------------------------------------------------------------------------------- the question

export function homePage(c: GuideContext): string {
  const { lang, channels } = c;
  const body = html`<h1>${t(lang, 'help.title')}</h1>
<p>${t(lang, 'help.lead')}</p>
<ul class="help-choices">${EMERGENCY_TYPES.map(
    (type) => html`<li><a class="help-choice help-choice-${type}" href="${langHref(lang, `/help/${type}`)}"><span class="help-choice-title">${t(lang, `help.choice.${type}`)}</span><span class="help-choice-hint">${t(lang, `help.choice.${type}.hint`)}</span></a></li>`,
  )}</ul>
<p class="lock-first">${t(lang, 'help.lockNow')} <a href="${lockHref(c)}">${t(lang, 'help.lockNow.link')}</a></p>
<section aria-labelledby="where-h"><h2 id="where-h">${t(lang, 'help.where.title')}</h2>
<ul class="help-where">
<li>${t(lang, 'help.where.status', { handle: channels.officialXHandle })}: ${link(langHref(lang, channels.statusUrl), t(lang, 'help.where.statusLink'))} · ${link(channels.officialXUrl, t(lang, 'help.where.xLink'))}</li>
<li>${link(langHref(lang, channels.faqUrl), t(lang, 'help.where.faq'))}</li>
<li>${link(langHref(lang, channels.formUrl), t(lang, 'help.where.form'))}</li>
<li>${link(langHref(lang, '/help/security'), t(lang, 'help.where.phone'))}</li>
</ul></section>
<p>${link(langHref(lang, '/help/prepare'), t(lang, 'help.prepareLink'))}</p>`;
  return guidePage(c, t(lang, 'help.title'), '/help', body);
}

// ----------------------------------------------------------------------------------------------- the phone line

/** The phone line (src/web/phone-line.ts); on the steps page, when closed, what to do instead, in order. */
function phoneBlock(c: GuideContext, type: EmergencyType, opts: { advice: boolean }): SafeHtml {
  return phoneLineBlock(c.lang, c.phone, { lockHref: lockHref(c), formCategory: type, instead: opts.advice ? WHEN_PHONE_CLOSED : [] });
}

/** Whether channel routing offers the phone on this path (urgent security only). */
const offersPhone = (type: EmergencyType) => channelsFor(needOf(type)).includes('phone');

// --------------------------------------------------------------------------------------------------- follow-ups

function answersQuery(answers: Answers, extra: Partial<Record<QuestionId, string>> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...answers, ...extra })) if (v) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : '';
}

function pathHeader(c: GuideContext, type: EmergencyType): SafeHtml {
  const lead = type === 'outage'
    ? t(c.lang, activeTroubles(c.snapshot).length ? 'help.path.outage.trouble' : 'help.path.outage.calm')
    : t(c.lang, `help.path.${type}.lead`);
  return html`<p class="help-back"><a href="${langHref(c.lang, '/help')}">${t(c.lang, 'help.back')}</a></p>
<h1>${t(c.lang, `help.path.${type}`)}</h1>
<p class="help-lead">${lead}</p>`;
}

export function questionPage(c: GuideContext, type: EmergencyType, answers: Answers, question: Question): string {
  const { lang } = c;
  const urgent = type === 'security'
    ? html`<p class="help-lock"><a class="button danger" href="${lockHref(c)}">${t(lang, 'help.lockNow.link')}</a></p>`
    : '';
  const body = html`${pathHeader(c, type)}
${urgent}
${answersSummary(c, type, answers)}
<section aria-labelledby="q-h"><h2 id="q-h">${t(lang, `help.q.${question.id}`)}</h2>
<ul class="help-choices">${question.options.map(
    (o) => html`<li><a class="help-choice" href="${langHref(lang, `/help/${type}${answersQuery(answers, { [question.id]: o })}`)}"><span class="help-choice-title">${known(lang, `help.q.${question.id}.${o}`, o)}</span></a></li>`,
  )}</ul></section>
${offersPhone(type) ? phoneBlock(c, type, { advice: false }) : ''}`;
  return guidePage(c, t(lang, `help.path.${type}`), `/help/${type}${answersQuery(answers)}`, body);
}

function answersSummary(c: GuideContext, type: EmergencyType, answers: Answers): SafeHtml {
  const given = Object.entries(answers).filter(([, v]) => v) as Array<[QuestionId, string]>;
  if (!given.length) return html``;
  return html`<p class="meta help-answers">${t(c.lang, 'help.yourAnswers')}: ${given.map(([q, v], i) => html`${i ? ' · ' : ''}${known(c.lang, `help.q.${q}.${v}`, v)}`)}
<a href="${langHref(c.lang, `/help/${type}`)}">${t(c.lang, 'help.changeAnswer')}</a></p>`;
}

// -------------------------------------------------------------------------------------------------------- steps

interface StepView {
  href?: string;
  params?: Record<string, string>;
  extra?: SafeHtml;
  urgent?: boolean;
}

function stepView(c: GuideContext, type: EmergencyType, id: StepId, search: ArticleQuery): StepView {
  const { lang, channels } = c;
  const local = (path: string) => langHref(lang, path);
  switch (id) {
    case 'lock':
      return { href: lockHref(c), urgent: true };
    case 'lockIfOdd':
      return { href: lockHref(c) };
    case 'status':
      return { href: local(channels.statusUrl) };
    case 'x':
      return { href: channels.officialXUrl, params: { handle: channels.officialXHandle } };
    case 'form':
      return { href: local(`${channels.formUrl}?category=${type}`) };
    case 'phone':
      return { extra: phoneBlock(c, type, { advice: true }), urgent: true };
    case 'police':
    case 'policeIfStolen':
      return { href: channels.policeCyberUrl, extra: html`<p class="hint">${t(lang, 'help.police.advice')}</p>` };
    case 'password':
      return { href: local('/account#password') };
    case 'twoFactor':
      return { href: local('/account/2fa') };
    case 'sessions':
      return { href: local('/account#sessions-h') };
    case 'forgot':
      return { href: local('/account/forgot') };
    case 'tradeHistory':
      return { href: channels.tradeHistoryUrl };
    case 'notMine':
      return { href: local('/help/security?taken=yes'), urgent: true };
    case 'notices':
      return { href: local('/notices') };
    case 'terms':
      return { href: local('/terms') };
    case 'articles':
      return { href: local(channels.faqUrl) };
    case 'prepare':
      return { href: local('/help/prepare') };
    case 'search':
      return {
        extra: html`${searchForm(lang, { action: `/help/${type}`, id: 'help-q', label: t(lang, 'help.search.label'), value: search.kind === 'query' ? search.text : '', invalid: search.kind === 'invalid' })}
${searchResults(lang, search, 'help-results-h')}`,
      };
    default:
      return {};
  }
}

function stepItem(c: GuideContext, type: EmergencyType, id: StepId, search: ArticleQuery): SafeHtml {
  const v = stepView(c, type, id, search);
  const title = t(c.lang, `help.step.${id}`, v.params ?? {});
  const detailKey = `help.step.${id}.detail`;
  return html`<li class="help-step help-step-${id}${v.urgent ? ' help-step-urgent' : ''}">
<p class="help-step-title">${v.href ? link(v.href, title, 'help-step-link') : html`<strong>${title}</strong>`}</p>
${hasMessage(detailKey) ? html`<p class="hint">${t(c.lang, detailKey)}</p>` : ''}
${v.extra ?? ''}
</li>`;
}

export function stepsPage(c: GuideContext, type: EmergencyType, answers: Answers, steps: readonly StepId[], search: ArticleQuery = { kind: 'none' }): string {
  const { lang } = c;
  const related = relatedArticles(c.articles, relatedQueries(type, answers, lang), lang);
  const body = html`${pathHeader(c, type)}
${answersSummary(c, type, answers)}
<section aria-labelledby="steps-h"><h2 id="steps-h">${t(lang, 'help.stepsTitle')}</h2>
<ol class="help-steps">${steps.filter((id) => id !== 'phone' || offersPhone(type)).map((id) => stepItem(c, type, id, search))}</ol></section>
${related.length ? html`<section aria-labelledby="related-h"><h2 id="related-h">${t(lang, 'help.relatedTitle')}</h2>${articleList(lang, related)}</section>` : ''}
<p>${link(langHref(lang, '/help/prepare'), t(lang, 'help.prepareLink'))}</p>`;
  return guidePage(c, t(lang, `help.path.${type}`), `/help/${type}${answersQuery(answers)}`, body);
}
