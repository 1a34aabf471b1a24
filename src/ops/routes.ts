import type { FastifyInstance } from 'fastify';
import type { Readiness } from './readiness.ts';

/** `/readyz`: 200 when this process may take traffic, 503 with the failing checks otherwise (never cached). */
export function registerReadiness(app: FastifyInstance, check: () => Promise<Readiness>): void {
  app.get('/readyz', async (_request, reply) => {
    const result = await check();
    return reply.code(result.ready ? 200 : 503).header('cache-control', 'no-store').send(result);
  });
}
