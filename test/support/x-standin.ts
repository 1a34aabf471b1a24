/**
 * A local stand-in for X API v2 `POST /2/tweets` that enforces what the real one does: OAuth 1.0a user context
 * whose HMAC-SHA1 signature verifies against known credentials (401 otherwise), a JSON body with `text` of at
 * most 280 weighted characters (twitter-text), an optional reply to a post it issued, 201 {data:{id,text}},
 * and a rate limit answering 429 with x-rate-limit-reset. The signature check is written here independently
 * of src/notify/channels/oauth1.ts, so a mistake there is not mirrored.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import twitter from 'twitter-text';

export interface XStandinCredentials {
  consumerKey: string;
  consumerSecret: string;
  accessToken: string;
  accessTokenSecret: string;
}

export interface PostedTweet {
  id: string;
  text: string;
  inReplyTo: string | null;
}

export interface XStandin {
  baseUrl: string;
  tweets: PostedTweet[];
  /** Every request's status code, in order. */
  responses: number[];
  /** Allow `remaining` more posts, then 429 until `resetAt` (unix seconds). */
  setRateLimit(remaining: number, resetAt: number): void;
  close(): Promise<void>;
}

const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

function problem(res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
  res.end(JSON.stringify(body));
}

const unauthorized = (res: ServerResponse) =>
  problem(res, 401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });

const invalid = (res: ServerResponse, message: string, parameter = 'text') =>
  problem(res, 400, {
    errors: [{ parameters: { [parameter]: [] }, message }],
    title: 'Invalid Request',
    detail: 'One or more parameters to your request was invalid.',
    type: 'https://api.twitter.com/2/problems/invalid-request',
  });

function parseAuthorization(header: string | undefined): Map<string, string> | null {
  if (!header?.startsWith('OAuth ')) return null;
  const params = new Map<string, string>();
  for (const part of header.slice(6).split(',')) {
    const m = /^\s*([a-z_]+)="([^"]*)"\s*$/.exec(part);
    if (!m) return null;
    params.set(decodeURIComponent(m[1] as string), decodeURIComponent(m[2] as string));
  }
  return params;
}

function verifyOAuth(req: IncomingMessage, baseUrl: string, creds: XStandinCredentials, seenNonces: Set<string>): boolean {
  const p = parseAuthorization(req.headers.authorization);
  if (!p) return false;
  if (p.get('oauth_consumer_key') !== creds.consumerKey || p.get('oauth_token') !== creds.accessToken) return false;
  if (p.get('oauth_signature_method') !== 'HMAC-SHA1' || (p.has('oauth_version') && p.get('oauth_version') !== '1.0')) return false;
  const timestamp = Number(p.get('oauth_timestamp'));
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return false;
  const nonce = p.get('oauth_nonce') ?? '';
  if (!nonce || seenNonces.has(nonce)) return false;
  const given = p.get('oauth_signature') ?? '';
  const url = new URL(req.url ?? '/', baseUrl);
  const pairs: Array<[string, string]> = [...url.searchParams.entries()];
  for (const [k, v] of p) if (k !== 'oauth_signature' && k !== 'realm') pairs.push([k, v]);
  const normalized = pairs
    .map(([k, v]) => [enc(k), enc(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const base = `POST&${enc(`${url.protocol}//${url.host}${url.pathname}`)}&${enc(normalized)}`;
  const expected = createHmac('sha1', `${enc(creds.consumerSecret)}&${enc(creds.accessTokenSecret)}`).update(base).digest();
  const givenBytes = Buffer.from(given, 'base64');
  if (givenBytes.length !== expected.length || !timingSafeEqual(givenBytes, expected)) return false;
  seenNonces.add(nonce);
  return true;
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startXStandin(creds: XStandinCredentials): Promise<XStandin> {
  const tweets: PostedTweet[] = [];
  const responses: number[] = [];
  const seenNonces = new Set<string>();
  let nextId = 1790000000000000000n;
  let limit: { remaining: number; resetAt: number } | null = null;
  let baseUrl = '';

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || new URL(req.url ?? '/', baseUrl).pathname !== '/2/tweets') {
      return problem(res, 404, { title: 'Not Found Error', type: 'https://api.twitter.com/2/problems/resource-not-found', status: 404, detail: 'Not Found' });
    }
    if (!verifyOAuth(req, baseUrl, creds, seenNonces)) return unauthorized(res);
    if (limit) {
      if (limit.remaining <= 0 && Date.now() / 1000 < limit.resetAt) {
        return problem(res, 429, { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 }, {
          'x-rate-limit-limit': '100', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(limit.resetAt),
        });
      }
      limit.remaining--;
    }
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return invalid(res, 'Content-Type must be application/json');
    const raw = await readBody(req, 64 * 1024);
    let body: unknown;
    try {
      body = raw === null ? null : JSON.parse(raw);
    } catch {
      body = null;
    }
    if (typeof body !== 'object' || body === null) return invalid(res, 'Request body is not valid JSON');
    const { text, reply, ...rest } = body as { text?: unknown; reply?: unknown };
    const unknownField = Object.keys(rest)[0];
    if (unknownField) return invalid(res, `[${unknownField}] is not one of [text,reply,...]`, unknownField);
    if (typeof text !== 'string' || text.length === 0) return invalid(res, 'text is required');
    if (!twitter.parseTweet(text).valid) return invalid(res, `Tweet text is too long (weighted ${twitter.parseTweet(text).weightedLength} > 280)`);
    let inReplyTo: string | null = null;
    if (reply !== undefined) {
      const id = (reply as { in_reply_to_tweet_id?: unknown } | null)?.in_reply_to_tweet_id;
      if (typeof id !== 'string' || !tweets.some((t) => t.id === id)) {
        return invalid(res, 'The `reply.in_reply_to_tweet_id` query parameter value is not a Post this stand-in issued', 'reply.in_reply_to_tweet_id');
      }
      inReplyTo = id;
    }
    const id = String(nextId++);
    tweets.push({ id, text, inReplyTo });
    res.writeHead(201, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ data: { id, text, edit_history_tweet_ids: [id] } }));
  };

  const server: Server = createServer((req, res) => {
    res.on('finish', () => responses.push(res.statusCode));
    handle(req, res).catch(() => {
      if (!res.headersSent) problem(res, 500, { title: 'Internal Error', status: 500 });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    baseUrl,
    tweets,
    responses,
    setRateLimit(remaining, resetAt) {
      limit = { remaining, resetAt };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
