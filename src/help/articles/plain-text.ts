import MarkdownIt from 'markdown-it';

const parser = new MarkdownIt({ html: false, linkify: false });

/** The words of a Markdown text without its markup: what search indexes and excerpts quote. */
export function markdownToPlainText(markdown: string): string {
  const parts: string[] = [];
  for (const block of parser.parse(markdown, {})) {
    if (block.type === 'inline') {
      for (const child of block.children ?? []) {
        if (child.type === 'text' || child.type === 'code_inline') parts.push(child.content);
        else if (child.type === 'softbreak' || child.type === 'hardbreak') parts.push(' ');
      }
      parts.push('\n');
    } else if (block.type === 'fence' || block.type === 'code_block') {
      parts.push(block.content, '\n');
    }
  }
  return parts.join('').replace(/[ \t]+/g, ' ').replace(/\n{2,}/g, '\n').trim();
}
