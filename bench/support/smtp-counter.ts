/**
 * A local SMTP server for bench:fanout, in its own process so that counting does not share a CPU core with
 * the sender: accepts everything, counts messages and distinct Message-IDs, and prints its counts as one JSON
 * line whenever a line arrives on stdin ("reset" also zeroes them). Prints `{"port":N}` once listening.
 */
import { SMTPServer } from 'smtp-server';
import { exitWithParent } from './child-exit.ts';

let messages = 0;
let bytes = 0;
let ids = new Map<string, number>();
let duplicates = 0;
let firstAt = 0;
let lastAt = 0;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  disableReverseLookup: true,
  size: 1024 * 1024,
  closeTimeout: 50,
  maxClients: 1000,
  onData(stream, _session, callback) {
    let head = '';
    let done = false;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (!done) {
        head += chunk.toString('latin1');
        if (/\r?\n\r?\n/.test(head) || head.length > 16_384) done = true;
      }
    });
    stream.on('end', () => {
      const id = /^message-id:\s*(<[^>\r\n]*>)/im.exec(head.replace(/\r?\n[ \t]+/g, ' '))?.[1] ?? '';
      messages++;
      const seen = ids.get(id) ?? 0;
      if (seen > 0) duplicates++;
      ids.set(id, seen + 1);
      const now = Date.now();
      if (firstAt === 0) firstAt = now;
      lastAt = now;
      callback(null);
    });
  },
});
server.on('error', () => undefined);
server.listen(0, '127.0.0.1', () => {
  const address = server.server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});

let buffered = '';
process.stdin.on('data', (d: Buffer) => {
  buffered += d.toString();
  let nl: number;
  while ((nl = buffered.indexOf('\n')) >= 0) {
    const line = buffered.slice(0, nl).trim();
    buffered = buffered.slice(nl + 1);
    if (line === 'reset') {
      messages = 0;
      bytes = 0;
      ids = new Map();
      duplicates = 0;
      firstAt = 0;
      lastAt = 0;
    }
    process.stdout.write(`${JSON.stringify({ messages, distinct: ids.size, duplicates, bytes, firstAt, lastAt })}\n`);
  }
});
exitWithParent(() => new Promise<void>((resolve) => server.close(() => resolve())));
