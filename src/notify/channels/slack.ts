import { formatDateTime, t } from '../../web/i18n.ts';
import { classifyStatus, classifyThrown, DEFAULT_TIMEOUT_MS, parseRetryAfter, readBodyPrefix, type AttemptOutcome } from './http-outcome.ts';
import { pinnedPost } from './pinned-post.ts';
import type { UpdateNotice } from './update-notice.ts';
import type { EndpointPolicy } from '../subscriptions/endpoint-check.ts';

/** Slack Block Kit limits that an incoming webhook enforces (400 invalid_blocks beyond them). */
export const SLACK_LIMITS = { headerText: 150, sectionText: 3000, buttonText: 75, url: 3000, fallbackText: 3000 } as const;

export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

/** Slack mrkdwn needs only these three escaped; it also keeps <!channel>-style pings out of staff text. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Cuts `raw` so that `transform(result)` fits `limit` UTF-16 units, at a grapheme boundary (never inside an
 * emoji or an escape), ending in "…" when anything was cut.
 */
export function truncateTo(raw: string, limit: number, transform: (s: string) => string = (s) => s): string {
  if (transform(raw).length <= limit) return transform(raw);
  const ellipsis = '…';
  let used = ellipsis.length;
  let out = '';
  for (const { segment } of segmenter.segment(raw)) {
    const piece = transform(segment);
    if (used + piece.length > limit) break;
    out += piece;
    used += piece.length;
  }
  return `${out.trimEnd()}${ellipsis}`;
}

/** Removes control characters other than newline and tab, which Slack would show as garbage or reject. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trim();
}

export function slackMessage(n: UpdateNotice): SlackMessage {
  const labels = { status: t(n.lang, 'slack.status'), open: t(n.lang, 'slack.open') };
  const name = clean(n.incidentName).replace(/\s+/g, ' ');
  const body = clean(n.body);
  const when = formatDateTime(n.lang, n.at, n.timeZone);
  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: { type: 'plain_text', text: truncateTo(name || n.statusLabel, SLACK_LIMITS.headerText), emoji: false } },
    { type: 'section', text: { type: 'mrkdwn', text: truncateTo(body || n.statusLabel, SLACK_LIMITS.sectionText, escapeMrkdwn) } },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `*${escapeMrkdwn(labels.status)}:* ${escapeMrkdwn(n.statusLabel)} · ${escapeMrkdwn(when)}` }],
    },
  ];
  if (n.url.length <= SLACK_LIMITS.url) {
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: truncateTo(labels.open, SLACK_LIMITS.buttonText) }, url: n.url }],
    });
  }
  const text = truncateTo(`[${n.statusLabel}] ${name}: ${body} ${n.url}`, SLACK_LIMITS.fallbackText, escapeMrkdwn);
  return { text, blocks };
}

export interface SlackSendOptions {
  timeoutMs?: number;
  /** With it the POST goes through `pinnedPost` (the checked address is the connected one); `fetch` is not used. */
  endpointPolicy?: EndpointPolicy;
  fetch?: typeof fetch;
  now?: () => Date;
}

/**
 * Posts to a Slack incoming webhook. Slack answers 200 "ok"; 400 invalid_blocks / no_text, 403, 404 no_service
 * and 410 channel_is_archived are permanent; 429 comes with Retry-After.
 */
export async function sendSlack(webhookUrl: string, message: SlackMessage, opts: SlackSendOptions = {}): Promise<AttemptOutcome> {
  const now = opts.now ?? (() => new Date());
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const headers = { 'content-type': 'application/json; charset=utf-8' };
  if (opts.endpointPolicy) {
    try {
      const res = await pinnedPost({ url: webhookUrl, headers, body: JSON.stringify(message), policy: opts.endpointPolicy, timeoutMs });
      return classifyStatus(res.status, parseRetryAfter(res.headers['retry-after'] ?? null, now().getTime()), `HTTP ${res.status} ${res.bodyPrefix}`);
    } catch (error) {
      return classifyThrown(error);
    }
  }
  try {
    const res = await (opts.fetch ?? fetch)(webhookUrl, {
      method: 'POST',
      headers,
      body: JSON.stringify(message),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const detail = await readBodyPrefix(res);
    return classifyStatus(res.status, parseRetryAfter(res.headers.get('retry-after'), now().getTime()), `HTTP ${res.status} ${detail}`);
  } catch (error) {
    return classifyThrown(error);
  }
}
