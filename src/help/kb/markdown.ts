import MarkdownIt, { type RendererRule } from 'markdown-it';
import { SafeHtml, escapeHtml } from '../../web/html.ts';

const ALLOWED_SCHEMES = new Set(['http', 'https', 'mailto']);
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/**
 * Whether a link target may appear in an article: http(s), mailto, or a path on this site. Everything else
 * (javascript:, data:, vbscript:, file:, "//other-host", "\\other-host") is refused. markdown-it hands us the
 * target after decoding entities and percent-encoding spaces and controls, so "jav&#x61;script:" arrives here
 * as "javascript:" and "java\tscript:" as "java%09script:" (which no browser reads as a scheme).
 */
export function isSafeHref(url: string): boolean {
  if (!url || /^[\s\u0000-\u001f]/.test(url) || /[\u0000-\u001f\u007f\\]/.test(url)) return false;
  const scheme = SCHEME.exec(url);
  if (scheme) return ALLOWED_SCHEMES.has((scheme[1] ?? '').toLowerCase());
  return !url.startsWith('//');
}

const isExternal = (href: string) => /^https?:/i.test(href);

function createRenderer(): InstanceType<typeof MarkdownIt> {
  // Raw HTML is shown as text, never passed through; no typography rewrites; no bare-URL linking.
  const md = new MarkdownIt('default', { html: false, linkify: false, typographer: false, breaks: false, maxNesting: 20 });
  md.validateLink = isSafeHref;
  const renderToken = md.renderer.renderToken.bind(md.renderer);

  // The page's own title is the only h1: "# x" in an article becomes h2, "## x" h3, and so on.
  const demote: RendererRule = (tokens, idx, options) => {
    const token = tokens[idx]!;
    const level = Number(token.tag.slice(1));
    token.tag = `h${Math.min(6, level + 1)}`;
    return renderToken(tokens, idx, options);
  };
  md.renderer.rules.heading_open = demote;
  md.renderer.rules.heading_close = demote;

  md.renderer.rules.link_open = (tokens, idx, options) => {
    const token = tokens[idx]!;
    if (isExternal(String(token.attrGet('href') ?? ''))) token.attrSet('rel', 'noopener noreferrer');
    return renderToken(tokens, idx, options);
  };

  // No images at all (no tracking pixels, no content from elsewhere): the alt text stands in for one.
  md.renderer.rules.image = (tokens, idx, options, env, self) => {
    const alt = self.renderInlineAsText(tokens[idx]!.children ?? [], options, env);
    return alt ? `<span class="kb-image-alt">${escapeHtml(alt)}</span>` : '';
  };
  return md;
}

const renderer = createRenderer();

/** An article body as HTML that is safe to put in a page whatever the Markdown holds. */
export function renderArticleMarkdown(markdown: string): SafeHtml {
  return new SafeHtml(renderer.render(markdown));
}
