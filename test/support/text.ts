/** What a reader sees of a page: tags dropped, entities decoded, whitespace collapsed. */
export function plain(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

/** A fresh address per call, so each test's mail is its own. */
export function emailFactory(): (tag: string) => string {
  let counter = 0;
  return (tag: string) => `${tag}-${++counter}-${process.pid}@example.jp`;
}
