import type { FastifyInstance } from 'fastify';
import { KinkyuError } from '../domain/errors.ts';
import { hasMessage } from './i18n.ts';

/** No form or staff update nests deeper than a few levels; 32 leaves room and keeps recursive code far from the stack's end. */
export const MAX_BODY_DEPTH = 32;

export type BodyProblem = { problem: 'nul'; field: string | null } | { problem: 'depth' };

/**
 * What makes a parsed body unusable anywhere, whatever the route: a NUL character (PostgreSQL refuses it in text
 * and jsonb, so it would fail deep inside a handler as a 500), or nesting deeper than MAX_BODY_DEPTH (recursive
 * code such as String() of an array or canonical JSON would overflow the stack). Iterative: a hostile body cannot
 * overflow this check. `field`: the top-level key the bad text came under, when there is one.
 */
export function inspectBody(body: unknown): BodyProblem | null {
  const stack: Array<{ value: unknown; depth: number; field: string | null }> = [{ value: body, depth: 0, field: null }];
  while (stack.length) {
    const { value, depth, field } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return { problem: 'nul', field };
      continue;
    }
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) continue;
    if (depth >= MAX_BODY_DEPTH) return { problem: 'depth' };
    // Pushed last to first, so the first bad field in the body is the one named.
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], depth: depth + 1, field });
      continue;
    }
    const entries = Object.entries(value as Record<string, unknown>);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i]!;
      if (key.includes('\u0000')) return { problem: 'nul', field: null };
      stack.push({ value: item, depth: depth + 1, field: field ?? key });
    }
  }
  return null;
}

/**
 * Refuses such bodies (and a NUL in a path parameter) before any route sees them, with the usual clear error (a page or {code, message}) and
 * nothing changed. A NUL is refused rather than stripped: no keyboard types one, and silently removing it would
 * change what the sender meant (an address, a password, a token) without telling them.
 */
export function registerBodyGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    // A path with a NUL in it names no page (and must not reach a query as an id).
    const params = request.params as Record<string, unknown> | undefined;
    if (params && Object.values(params).some((v) => typeof v === 'string' && v.includes('\u0000'))) throw new KinkyuError('NOT_FOUND');
    if (request.body === undefined || request.body === null) return;
    const found = inspectBody(request.body);
    if (!found) return;
    if (found.problem === 'depth') throw new KinkyuError('MALFORMED_BODY', { rule: 'depth', max: String(MAX_BODY_DEPTH) });
    // Only fields with a name in the catalogue are named: a key is whatever the sender chose.
    const named = found.field !== null && hasMessage(`field.${found.field}`);
    throw new KinkyuError('VALIDATION', named ? { field: found.field!, rule: 'nul' } : { rule: 'nul_any' });
  });
}
