import type { FastifyReply } from 'fastify';

/**
 * A page whose URL is a credential (a ticket's secret link, a lock link) or whose content is someone's own:
 * never cached, never indexed, and the URL never leaves in a Referer header.
 */
export function sendPrivatePage(reply: FastifyReply, body: string, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-robots-tag', 'noindex')
    .send(body);
}
