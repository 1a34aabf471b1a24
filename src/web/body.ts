import type { FastifyRequest } from 'fastify';

/** What forms and JSON clients send. */
export type Body = Record<string, unknown>;

/**
 * The request's body as fields. A JSON body can be anything (null, an array, a string): only a plain object has
 * fields. Routes with a body schema have had it checked (src/web/schema/); this is for what the schema leaves
 * open and for the routes that have none.
 */
export function bodyOf(request: FastifyRequest): Body {
  const body = request.body;
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Body) : {};
}
