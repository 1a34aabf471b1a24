import { html, type SafeHtml } from './html.ts';
import { t, type Lang } from './i18n.ts';
import { switchLangHref, langQuery } from './links.ts';

export interface LayoutInput {
  lang: Lang;
  title: string;
  body: SafeHtml;
  /** This page's path, with the query worth keeping (a search, answers so far), for the language switch link. */
  path: string;
  header?: SafeHtml;
  robots?: 'noindex';
  /** Use the whole width of the screen (the staff console); otherwise a readable column. */
  wide?: boolean;
}

/** The shell every page shares: language, viewport, one stylesheet, a skip link, no scripts. */
export function layout(input: LayoutInput): SafeHtml {
  const other: Lang = input.lang === 'ja' ? 'en' : 'ja';
  return html`<!doctype html>
<html lang="${input.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
${input.robots ? html`<meta name="robots" content="noindex">` : ''}
<title>${input.title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/site.css">
<link rel="alternate" type="application/atom+xml" href="/history.atom${langQuery(input.lang)}" title="Atom">
<link rel="alternate" type="application/rss+xml" href="/history.rss${langQuery(input.lang)}" title="RSS">
</head>
<body${input.wide ? html` class="wide"` : ''}>
<a class="skip" href="#main">${t(input.lang, 'site.skip')}</a>
<header class="site-header">
<div class="wrap${input.wide ? ' wide' : ''} header-row">
${input.header ?? html`<p class="site-name">${input.title}</p>`}
<a class="lang-switch" href="${switchLangHref(input.path, other)}" hreflang="${other}" lang="${other}" aria-label="${t(input.lang, 'site.langSwitchLabel')}">${t(input.lang, 'site.langSwitch')}</a>
</div>
</header>
<main id="main" class="wrap${input.wide ? ' wide' : ''}">
${input.body}
</main>
</body>
</html>
`;
}
