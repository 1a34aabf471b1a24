/**
 * Reading back a message nodemailer composed: its header block (unfolded, RFC 2047 encoded words decoded) and its
 * text/plain body and HTML alternative (the first of each in a multipart; quoted-printable or base64 undone,
 * charset decoded). Enough for the mail kinkyu writes, not a general MIME parser. The demo mailbox reads mail
 * with it, and so does the test SMTP server (test/support/smtp.ts).
 */

export interface ParsedMessage {
  /** In the message's order; names as written. */
  headers: Array<[string, string]>;
  /** The text/plain body, line breaks as \n; '' when there is none. */
  text: string;
  /** The text/html alternative, decoded; '' when there is none. */
  html: string;
}

interface Part {
  headers: Array<[string, string]>;
  /** Undecoded values by lower-cased name (the first of each), for parameters such as boundary and charset. */
  raw: Map<string, string>;
  /** Body bytes as a latin1 string (byte-preserving). */
  body: string;
}

function splitPart(bytes: string): Part {
  const sep = /\r?\n\r?\n/.exec(bytes);
  const head = sep ? bytes.slice(0, sep.index) : bytes;
  const body = sep ? bytes.slice(sep.index + sep[0].length) : '';
  const headers: Array<[string, string]> = [];
  const raw = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = Buffer.from(line.slice(colon + 1).trim(), 'latin1').toString('utf8');
    headers.push([name, decodeWords(value)]);
    if (!raw.has(name.toLowerCase())) raw.set(name.toLowerCase(), value);
  }
  return { headers, raw, body };
}

function param(value: string | undefined, name: string): string | undefined {
  const m = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(value ?? '');
  return m ? (m[1] ?? m[2]) : undefined;
}

function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder((charset ?? 'utf-8').toLowerCase()).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

function decodeQuotedPrintable(text: string, inHeader: boolean): Buffer {
  const src = inHeader ? text.replace(/_/g, ' ') : text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < src.length; i++) {
    const hex = src.slice(i + 1, i + 3);
    if (src[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(src.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** RFC 2047 encoded words; adjacent words of one charset are joined first, so a character split between them survives. */
export function decodeWords(value: string): string {
  const joined = value.replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1');
  const segments: Array<{ charset: string | null; text: string; bytes: Buffer[] }> = [];
  let last = 0;
  for (const m of joined.matchAll(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g)) {
    const [whole, charset = 'utf-8', encoding = 'B', data = ''] = m;
    const index = m.index ?? 0;
    if (index > last) segments.push({ charset: null, text: joined.slice(last, index), bytes: [] });
    const cs = charset.replace(/\*.*$/, '').toLowerCase();
    const bytes = encoding.toUpperCase() === 'B' ? Buffer.from(data, 'base64') : decodeQuotedPrintable(data, true);
    const previous = segments[segments.length - 1];
    if (previous && previous.charset === cs) previous.bytes.push(bytes);
    else segments.push({ charset: cs, text: '', bytes: [bytes] });
    last = index + whole.length;
  }
  if (last < joined.length) segments.push({ charset: null, text: joined.slice(last), bytes: [] });
  return segments.map((s) => (s.charset === null ? s.text : decodeCharset(Buffer.concat(s.bytes), s.charset))).join('');
}

function textOf(part: Part, wanted = 'text/plain'): string | null {
  const type = (part.raw.get('content-type') ?? 'text/plain').toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = param(part.raw.get('content-type'), 'boundary');
    if (!boundary) return null;
    const escaped = boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const piece of part.body.split(new RegExp(`\\r?\\n?--${escaped}(?:--)?[ \\t]*\\r?\\n?`)).slice(1)) {
      if (piece.trim() === '') continue;
      const text = textOf(splitPart(piece), wanted);
      if (text !== null) return text;
    }
    return null;
  }
  if (!type.startsWith(wanted)) return null;
  const encoding = (part.raw.get('content-transfer-encoding') ?? '7bit').toLowerCase().trim();
  const bytes =
    encoding === 'base64' ? Buffer.from(part.body.replace(/\s+/g, ''), 'base64')
    : encoding === 'quoted-printable' ? decodeQuotedPrintable(part.body, false)
    : Buffer.from(part.body, 'latin1');
  return decodeCharset(bytes, param(part.raw.get('content-type'), 'charset')).replace(/\r\n/g, '\n');
}

export function parseMessage(raw: Buffer): ParsedMessage {
  const top = splitPart(raw.toString('latin1'));
  return { headers: top.headers, text: textOf(top) ?? '', html: textOf(top, 'text/html') ?? '' };
}
