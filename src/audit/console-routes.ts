import type { FastifyInstance } from 'fastify';
import type { Db } from '../store/db.ts';
import type { Config } from '../config.ts';
import { listRecentEntries, verifyAudit } from './audit-log.ts';
import { consoleContext, sendPage } from '../console/form-action.ts';
import * as views from './console-views.ts';

export interface AuditConsoleOptions {
  db: Db;
  config: Config;
}

/** The audit page: the latest entries, and the whole-chain check when asked for. */
export function registerAuditConsole(app: FastifyInstance, opts: AuditConsoleOptions): void {
  const { db, config } = opts;
  app.get('/staff/audit', { config: { permission: 'audit.view' } }, async (request, reply) => {
    const rows = await listRecentEntries(db);
    const verification = (request.query as Record<string, unknown>).verify === '1' ? await verifyAudit(db) : null;
    return sendPage(reply, views.auditPage(consoleContext(request, reply, config.timeZone, {}), rows, verification));
  });
}
