import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { freePort } from './net.ts';
import { parseMessage } from '../../src/demo-mailbox/mime.ts';

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

// The same reading as the demo mailbox's (src/demo-mailbox/mime.ts): headers unfolded and decoded, the text
// and HTML parts.

function parseMail(data: Buffer, session: SMTPServerSession): ReceivedMail {
  const parsed = parseMessage(data);
  // By lower-cased name; a header that occurs several times (Received) keeps every value, one a line.
  const headers: Record<string, string> = {};
  for (const [name, value] of parsed.headers) {
    const key = name.toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}\n${value}`;
  }
  return {
    to: session.envelope.rcptTo.map((a) => a.address),
    envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
    from: headers['from'] ?? '',
    subject: headers['subject'] ?? '',
    text: parsed.text,
    html: parsed.html,
    headers,
    messageId: parsed.headers.find(([name]) => name.toLowerCase() === 'message-id')?.[1] ?? '',
    raw: data.toString('utf8'),
    bytes: data,
    receivedAt: new Date(),
  };
}
