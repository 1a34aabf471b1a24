import { html } from '../web/html.ts';
import { t, type Lang } from '../web/i18n.ts';
import { layout } from '../web/layout.ts';

export function loginPage(lang: Lang, opts: { csrf: string; next: string; error?: string | null; email?: string; oidc?: boolean }): string {
  const body = html`${opts.error ? html`<p class="error-box" role="alert">${opts.error}</p>` : ''}
<h1>${t(lang, 'staff.signIn')}</h1>
<p class="hint">${t(lang, 'staff.signInHelp')}</p>
${opts.oidc ? html`<p><a class="button" href="/staff/login/oidc?next=${encodeURIComponent(opts.next)}">${t(lang, 'staffAuth.oidc.button')}</a></p>
<p>${t(lang, 'staffAuth.oidc.or')}</p>` : ''}
<form method="post" action="/staff/login" class="stack">
<input type="hidden" name="_csrf" value="${opts.csrf}">
<input type="hidden" name="next" value="${opts.next}">
<div><label for="email">${t(lang, 'field.email')}</label><input id="email" name="email" type="email" autocomplete="username" required value="${opts.email ?? ''}"></div>
<div><label for="password">${t(lang, 'field.password')}</label><input id="password" name="password" type="password" autocomplete="current-password" required></div>
<div><button type="submit">${t(lang, 'staff.signIn')}</button></div>
</form>`;
  return layout({ lang, title: `${t(lang, 'staff.signIn')} · ${t(lang, 'staff.console')}`, path: '/staff/login', body, robots: 'noindex' }).value;
}
