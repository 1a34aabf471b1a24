/**
 * A local stand-in for a Slack incoming webhook. It answers like Slack: 200 with body "ok"; 400 "invalid_payload"
 * for a body that is not JSON, "no_text" when neither text nor blocks are given, "invalid_blocks" when a block
 * breaks a Block Kit limit; 404 "no_service" for any other path; 429 with Retry-After when told to.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface SlackStandin {
  /** The webhook URL to post to. */
  url: string;
  /** Every accepted message, parsed. */
  received: Array<{ text?: string; blocks?: Array<Record<string, unknown>> }>;
  responses: Array<{ status: number; body: string }>;
  /** Answer the next `count` requests with 429 and this Retry-After. */
  rateLimitNext(count: number, retryAfterSeconds: number): void;
  close(): Promise<void>;
}

const HOOK_PATH = '/services/T0KINKYU/B0STATUS/standinsecret0000000000';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function textObject(v: unknown, max: number, plainOnly = false): boolean {
  if (!isObj(v) || typeof v['text'] !== 'string') return false;
  if (v['type'] !== 'plain_text' && (plainOnly || v['type'] !== 'mrkdwn')) return false;
  return v['text'].length >= 1 && v['text'].length <= max;
}

function validUrl(v: unknown): boolean {
  if (typeof v !== 'string' || v.length > 3000) return false;
  try {
    return ['http:', 'https:'].includes(new URL(v).protocol);
  } catch {
    return false;
  }
}

/** The checks Slack applies to the block types kinkyu sends (others are refused). */
function validBlock(b: unknown): boolean {
  if (!isObj(b)) return false;
  if (b['block_id'] !== undefined && (typeof b['block_id'] !== 'string' || b['block_id'].length > 255)) return false;
  switch (b['type']) {
    case 'header':
      return textObject(b['text'], 150, true);
    case 'section':
      return textObject(b['text'], 3000);
    case 'context': {
      const els = b['elements'];
      return Array.isArray(els) && els.length >= 1 && els.length <= 10 && els.every((e) => textObject(e, 3000));
    }
    case 'actions': {
      const els = b['elements'];
      return (
        Array.isArray(els) &&
        els.length >= 1 &&
        els.length <= 25 &&
        els.every((e) => isObj(e) && e['type'] === 'button' && textObject(e['text'], 75, true) && (e['url'] === undefined || validUrl(e['url'])))
      );
    }
    case 'divider':
      return true;
    default:
      return false;
  }
}

export async function startSlackStandin(): Promise<SlackStandin> {
  const received: SlackStandin['received'] = [];
  const responses: SlackStandin['responses'] = [];
  let limited = { count: 0, retryAfter: 1 };
  const answer = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    responses.push({ status, body });
    res.writeHead(status, { 'content-type': 'text/html', ...headers });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== HOOK_PATH) return answer(res, 404, 'no_service');
    if (limited.count > 0) {
      limited.count--;
      return answer(res, 429, 'rate_limited', { 'retry-after': String(limited.retryAfter) });
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return answer(res, 400, 'invalid_payload');
    }
    if (!isObj(body)) return answer(res, 400, 'invalid_payload');
    const { text, blocks } = body;
    if (text !== undefined && typeof text !== 'string') return answer(res, 400, 'invalid_payload');
    if (blocks !== undefined) {
      if (!Array.isArray(blocks) || blocks.length > 50 || !blocks.every(validBlock)) return answer(res, 400, 'invalid_blocks');
    }
    if ((typeof text !== 'string' || text.trim() === '') && (!Array.isArray(blocks) || blocks.length === 0)) {
      return answer(res, 400, 'no_text');
    }
    received.push(body as SlackStandin['received'][number]);
    answer(res, 200, 'ok');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) answer(res, 500, 'internal_error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}${HOOK_PATH}`,
    received,
    responses,
    rateLimitNext(count, retryAfterSeconds) {
      limited = { count, retryAfter: retryAfterSeconds };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
