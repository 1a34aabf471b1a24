import MarkdownIt from 'markdown-it';
import { KinkyuError } from '../domain/errors.ts';
import { isSafeHref } from '../help/kb/markdown.ts';

/**
 * Terms of service are written in Markdown and shown as HTML through the knowledge base's renderer (raw HTML
 * never passed through, links only to the web, mail or our pages, no images, headings one level down). What
 * is here refuses, at input, Markdown that would not come out as written.
 */
export { renderArticleMarkdown as renderMarkdown } from '../help/kb/markdown.ts';

// A second parser that sees everything, to tell staff precisely what is wrong with their text.
const inspector = new MarkdownIt({ html: true, linkify: false, maxNesting: 20 });
inspector.validateLink = () => true;

/**
 * Refuses Markdown that would not come out as written: raw HTML, links to anything but the web, mail or our
 * pages, images, and a code block that is never closed (it would swallow the rest of the terms).
 */
export function checkMarkdown(markdown: string, field: string): void {
  const lines = markdown.split('\n');
  const refuse = (rule: string) => {
    throw new KinkyuError('VALIDATION', { field, rule });
  };
  const visit = (tokens: ReturnType<typeof inspector.parse>): void => {
    for (const token of tokens) {
      if (token.type === 'html_block' || token.type === 'html_inline') refuse('notices_markup');
      if (token.type === 'image') refuse('notices_markdown_image');
      if (token.type === 'link_open' && !isSafeHref(String(token.attrGet('href') ?? ''))) refuse('notices_markdown_link');
      if (token.type === 'fence' && token.map) {
        const [start, end] = token.map;
        const last = (lines[end - 1] ?? '').trim();
        const fenceChar = token.markup[0] ?? '`';
        const closes = end - start >= 2 && last.startsWith(token.markup) && [...last].every((ch) => ch === fenceChar);
        if (!closes) refuse('notices_markdown_fence');
      }
      if (token.children) visit(token.children);
    }
  };
  visit(inspector.parse(markdown, {}));
}
