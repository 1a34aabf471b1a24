import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface ReceivedRequest { headers: IncomingMessage['headers']; body: string }

export interface WebhookReceiver { url: string; got: ReceivedRequest[]; close(): Promise<void> }

/** A real HTTP receiver on loopback that records every request and answers as told ('hang': never answers). */
export async function startWebhookReceiver(
  answer: { status: number; retryAfter?: string; body?: string } | 'hang',
  path = '/hook',
): Promise<WebhookReceiver> {
  const got: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (answer === 'hang') return;
      res.writeHead(answer.status, answer.retryAfter ? { 'retry-after': answer.retryAfter } : {});
      res.end(answer.body ?? 'x');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}${path}`,
    got,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
