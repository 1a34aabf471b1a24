/**
 * The preparedness checklist (seed §4) for everyone: what to set up before anything happens, why it matters and
 * how. For a signed-in user each item shows their own state and the security center's control that fixes it
 * (the same items and states as the security center: src/security-center/routes.ts `preparedness`).
 */
import type { UserPreparedness } from '../../security-center/routes.ts';
import { html, type SafeHtml } from '../../web/html.ts';
import { t } from '../../web/i18n.ts';
import { articleHref, relatedArticles } from './articles.ts';
import { guidePage, type GuideContext } from './views.ts';
import { langHref } from '../../web/links.ts';

/** The seed's order (2FA, password, private keys, emergency contact, bookmark, FAQ), then the allowlist and recovery codes; a passkey, the strongest factor, first. */
export const PREPARE_ITEMS = ['passkey', 'totp', 'password', 'privateKeyBackup', 'contact', 'bookmarked', 'faqRead', 'allowlist', 'recovery'] as const;
type PrepareItem = (typeof PREPARE_ITEMS)[number];


/** Where each item is done: the security center's section for it, or a page of ours. */
function howHref(c: GuideContext, item: PrepareItem): string {
  switch (item) {
    case 'passkey':
      return '/account/passkeys';
    case 'totp':
      return '/account/2fa';
    case 'password':
      return '/account#password';
    case 'contact':
      return '/account#contact';
    case 'allowlist':
      return '/account#prep-h';
    case 'recovery':
      return '/account#tfa-h';
    case 'bookmarked':
      return '/help';
    case 'privateKeyBackup':
    case 'faqRead':
      return c.channels.faqUrl;
  }
}

/** One word per item to find its help article with. */
const ARTICLE_WORDS: Partial<Record<PrepareItem, { ja: string; en: string }>> = {
  totp: { ja: '二段階認証', en: 'two-factor' },
  password: { ja: 'パスワード', en: 'password' },
  privateKeyBackup: { ja: '秘密鍵', en: 'private key' },
  contact: { ja: '緊急連絡先', en: 'emergency contact' },
  allowlist: { ja: 'ホワイトリスト', en: 'allowlist' },
  recovery: { ja: 'リカバリーコード', en: 'recovery code' },
};

export function preparePage(c: GuideContext, own: UserPreparedness | null): string {
  const { lang } = c;
  const state = new Map(own?.items.map((i) => [i.key, i]) ?? []);
  const item = (key: PrepareItem): SafeHtml => {
    const mine = state.get(key);
    const href = howHref(c, key);
    const words = ARTICLE_WORDS[key];
    const article = words ? relatedArticles(c.articles, [words[lang]], lang, 1)[0] : undefined;
    const how = /^https?:/i.test(href)
      ? html`<a href="${href}" rel="noopener">${t(lang, `help.prepare.${key}.how`)}</a>`
      : html`<a href="${langHref(lang, href)}">${t(lang, `help.prepare.${key}.how`)}</a>`;
    return html`<li class="help-prep-item${mine ? (mine.done ? ' done' : ' todo') : ''}" id="prep-${key}">
<h3>${mine ? html`<span class="help-prep-state">${mine.done ? '✓' : '□'} ${t(lang, mine.done ? 'help.prepare.done' : 'help.prepare.todo')}</span> ` : ''}${t(lang, `help.prepare.${key}`)}</h3>
<p><span class="help-prep-why">${t(lang, 'help.prepare.why')}:</span> ${t(lang, `help.prepare.${key}.why`, { url: `${c.publicUrl}/help` })}</p>
${mine && !mine.done ? html`<p class="fix">${mine.fix}</p>` : mine ? '' : html`<p>${how}</p>`}
${article ? html`<p class="hint"><a href="${articleHref(lang, article.slug)}">${t(lang, 'help.prepare.more', { title: article.title })}</a></p>` : ''}
</li>`;
  };
  const body = html`<p class="help-back"><a href="${langHref(lang, '/help')}">${t(lang, 'help.back')}</a></p>
<h1>${t(lang, 'help.prepare.title')}</h1>
<p>${t(lang, 'help.prepare.lead')}</p>
${own
    ? html`<p class="score"><strong id="help-prep-score">${t(lang, 'help.prepare.score', { score: own.score, total: own.items.length })}</strong></p>`
    : html`<p class="notice">${t(lang, 'help.prepare.signIn')} <a href="${langHref(lang, '/account/login')}">${t(lang, 'help.prepare.signInLink')}</a></p>`}
<ol class="help-prep">${PREPARE_ITEMS.map(item)}</ol>`;
  return guidePage(c, t(lang, 'help.prepare.title'), '/help/prepare', body);
}
