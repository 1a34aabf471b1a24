import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { freePort } from './net.ts';

/** One message as the test SMTP server received it, parsed enough to assert on. */
export interface ReceivedMail {
  /** Envelope recipients (RCPT TO). */
  to: string[];
  /** Envelope sender (MAIL FROM). */
  envelopeFrom: string;
  /** The From header, RFC 2047 decoded. */
  from: string;
  subject: string;
  /** The text/plain body, transfer-decoded and charset-decoded, line breaks as \n. */
  text: string;
  /** The text/html part, decoded the same way, or '' when the mail has none. */
  html: string;
  /** Header names lower-cased; values unfolded and RFC 2047 decoded; repeated headers joined by '\n'. */
  headers: Record<string, string>;
  messageId: string;
  raw: string;
  /** The message exactly as received (for signature checks). */
  bytes: Buffer;
  receivedAt: Date;
}

export interface FailOptions {
  /** Reply code; 4xx is temporary, 5xx permanent. Default 451. */
  code?: number;
  /** Refuse the recipient, or accept the data and refuse it at the end. Default 'data'. */
  at?: 'rcpt' | 'data';
}

export interface SmtpTestServer {
  url: string;
  port: number;
  messages: ReceivedMail[];
  /** Transactions refused so far (by setFailing / failFirst / rejectAll). */
  readonly refused: number;
  /** Resolves with the first message (already received or still to come) matching, or rejects after timeoutMs. */
  waitFor(predicate: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  /** Refuse the next n transactions ('all': every one, 0: none). */
  setFailing(n: number | 'all', opts?: FailOptions): void;
  /** Stops listening and drops open connections (as a crashed mail server would). */
  stop(): Promise<void>;
  /** Listens again on the same port, keeping the messages received so far. */
  start(): Promise<void>;
}

/** A real SMTP server (the smtp-server package) on 127.0.0.1, plain text, any or no AUTH accepted. */
export async function startSmtpServer(opts: { failFirst?: number; rejectAll?: boolean } & FailOptions = {}): Promise<SmtpTestServer> {
  const port = await freePort();
  const messages: ReceivedMail[] = [];
  const waiters = new Set<{ predicate: (m: ReceivedMail) => boolean; resolve: (m: ReceivedMail) => void }>();
  let failing = opts.rejectAll ? Infinity : (opts.failFirst ?? 0);
  let failCode = opts.code ?? 451;
  let failAt: 'rcpt' | 'data' = opts.at ?? 'data';
  let refused = 0;
  let server: SMTPServer | null = null;

  const refusal = (): Error | null => {
    if (failing <= 0) return null;
    failing--;
    refused++;
    const err = new Error(failCode >= 500 ? 'Refused by the test server' : 'Try again later (test server)') as Error & { responseCode: number };
    err.responseCode = failCode;
    return err;
  };

  const create = () =>
    new SMTPServer({
      authOptional: true,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      disableReverseLookup: true,
      // Pooled client connections are dropped quickly on stop() instead of after 30 s.
      closeTimeout: 50,
      onAuth(_auth, _session, callback) {
        callback(null, { user: 'test' });
      },
      onRcptTo(_address, _session, callback) {
        callback(failAt === 'rcpt' ? refusal() : null);
      },
      onData(stream, session: SMTPServerSession, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const err = failAt === 'data' ? refusal() : null;
          if (err) return callback(err);
          const mail = parseMail(Buffer.concat(chunks), session);
          messages.push(mail);
          for (const w of [...waiters]) {
            if (w.predicate(mail)) {
              waiters.delete(w);
              w.resolve(mail);
            }
          }
          callback(null);
        });
      },
    });

  const start = async () => {
    if (server) return;
    const s = create();
    s.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        s.server.off('error', reject);
        resolve();
      });
    });
    server = s;
  };

  await start();

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    get refused() {
      return refused;
    },
    waitFor(predicate, timeoutMs = 5000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (m: ReceivedMail) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const list = messages.map((m) => `  ${m.messageId} to ${m.to.join(',')}: ${JSON.stringify(m.subject)}`).join('\n');
          reject(new Error(`no matching mail within ${timeoutMs} ms; received ${messages.length}${list ? ':\n' + list : ''}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    setFailing(n, failOpts = {}) {
      failing = n === 'all' ? Infinity : n;
      failCode = failOpts.code ?? failCode;
      failAt = failOpts.at ?? failAt;
    },
    async stop() {
      const s = server;
      server = null;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    start,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Minimal MIME parsing: enough for plain-text UTF-8 mail (and the first text/plain part of a multipart).

interface Part {
  headers: Record<string, string>;
  /** Undecoded header values, for parameters (boundary, charset). */
  rawHeaders: Record<string, string>;
  /** Body bytes as a latin1 string (byte-preserving). */
  body: string;
}

function splitPart(bytes: string): Part {
  const sep = /\r?\n\r?\n/.exec(bytes);
  const head = sep ? bytes.slice(0, sep.index) : bytes;
  const body = sep ? bytes.slice(sep.index + sep[0].length) : '';
  const headers: Record<string, string> = {};
  const rawHeaders: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const rawValue = Buffer.from(line.slice(colon + 1).trim(), 'latin1').toString('utf8');
    const value = decodeWords(rawValue);
    headers[name] = headers[name] === undefined ? value : `${headers[name]}\n${value}`;
    rawHeaders[name] ??= rawValue;
  }
  return { headers, rawHeaders, body };
}

function param(headerValue: string | undefined, name: string): string | undefined {
  const m = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(headerValue ?? '');
  return m ? (m[1] ?? m[2]) : undefined;
}

function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder((charset ?? 'utf-8').toLowerCase()).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

function decodeQuotedPrintable(text: string, header: boolean): Buffer {
  const src = header ? text.replace(/_/g, ' ') : text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    const hex = src.slice(i + 1, i + 3);
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(src.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** RFC 2047 encoded words; adjacent words are joined before decoding so split multibyte characters survive. */
export function decodeWords(value: string): string {
  // Whitespace between two encoded words is not part of the text.
  const joined = value.replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1');
  const segments: Array<{ charset: string | null; text: string; bytes: Buffer[] }> = [];
  let last = 0;
  for (const m of joined.matchAll(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g)) {
    const [whole, charset = 'utf-8', enc = 'B', data = ''] = m;
    const index = m.index ?? 0;
    if (index > last) segments.push({ charset: null, text: joined.slice(last, index), bytes: [] });
    const cs = charset.replace(/\*.*$/, '').toLowerCase();
    const bytes = enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64') : decodeQuotedPrintable(data, true);
    const prev = segments[segments.length - 1];
    if (prev && prev.charset === cs) prev.bytes.push(bytes);
    else segments.push({ charset: cs, text: '', bytes: [bytes] });
    last = index + whole.length;
  }
  if (last < joined.length) segments.push({ charset: null, text: joined.slice(last), bytes: [] });
  return segments.map((s) => (s.charset === null ? s.text : decodeCharset(Buffer.concat(s.bytes), s.charset))).join('');
}

function textOf(part: Part, wanted = 'text/plain'): string | null {
  const type = (part.rawHeaders['content-type'] ?? 'text/plain').toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = param(part.rawHeaders['content-type'], 'boundary');
    if (!boundary) return null;
    const pieces = part.body.split(new RegExp(`\\r?\\n?--${boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?[ \\t]*\\r?\\n?`));
    for (const piece of pieces.slice(1)) {
      if (piece.trim() === '') continue;
      const text = textOf(splitPart(piece), wanted);
      if (text !== null) return text;
    }
    return null;
  }
  if (!type.startsWith(wanted)) return null;
  const cte = (part.rawHeaders['content-transfer-encoding'] ?? '7bit').toLowerCase().trim();
  const bytes =
    cte === 'base64'
      ? Buffer.from(part.body.replace(/\s+/g, ''), 'base64')
      : cte === 'quoted-printable'
        ? decodeQuotedPrintable(part.body, false)
        : Buffer.from(part.body, 'latin1');
  return decodeCharset(bytes, param(part.rawHeaders['content-type'], 'charset')).replace(/\r\n/g, '\n');
}

function parseMail(data: Buffer, session: SMTPServerSession): ReceivedMail {
  const raw = data.toString('latin1');
  const part = splitPart(raw);
  return {
    to: session.envelope.rcptTo.map((a) => a.address),
    envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
    from: part.headers['from'] ?? '',
    subject: part.headers['subject'] ?? '',
    text: textOf(part) ?? '',
    html: textOf(part, 'text/html') ?? '',
    headers: part.headers,
    messageId: part.rawHeaders['message-id'] ?? '',
    raw: data.toString('utf8'),
    bytes: data,
    receivedAt: new Date(),
  };
}
