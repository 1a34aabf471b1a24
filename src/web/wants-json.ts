import type { FastifyRequest } from 'fastify';

/** Whether the client speaks JSON (an API client or the console's fetch), not a browser asking for a page. */
export function wantsJson(request: FastifyRequest): boolean {
  const type = request.headers['content-type'] ?? '';
  const accept = request.headers.accept ?? '';
  return type.startsWith('application/json') || (accept.includes('application/json') && !accept.includes('text/html'));
}
