import { randomBytes } from 'node:crypto';
import { configureAuditKey, parseAuditKey } from '../../src/audit/audit-key.ts';

/**
 * The audit key of this test process: random per run, configured on import (tests that append to the audit log
 * on a bare database need one, as the server and the CLI do), and handed to child processes (`kinkyuEnv`) so
 * that a server and the test writing to the same database chain with the same key.
 */
export const TEST_AUDIT_KEY = process.env.AUDIT_KEY || randomBytes(32).toString('hex');

configureAuditKey(parseAuditKey(TEST_AUDIT_KEY));
