/**
 * The set-up both recovery test files share: the real application (PGlite, the reference store) with a real SMTP
 * server behind its outbox, on a clock fixed at the moment of every lock (2026-03-10 12:00 JST) that the tests
 * move with `at()`, and two staff members (a requester and an approver, four eyes). Importing this module
 * registers the before/after hooks; the exported bindings are live (ES modules), set once `before` has run.
 */
import { after, before } from 'node:test';
import type { ReferenceAccountStore } from '../../src/exchange/reference-store.ts';
import type { Actor } from '../../src/domain/actor.ts';
import { makeStaff, startApp, type RunningApp } from './app.ts';
import { startSmtpServer, type SmtpTestServer } from './smtp.ts';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
/** The moment of every lock in these tests: 2026-03-10 12:00 JST. */
export const LOCK_AT = Date.parse('2026-03-10T03:00:00Z');
export let now = LOCK_AT;
export const clock = () => new Date(now);
/** Moves the app's clock to `offsetMs` from the lock. */
export const at = (offsetMs: number) => {
  now = LOCK_AT + offsetMs;
};

export type StaffActor = Actor & { name: string; email: string };

export let app: RunningApp;
export let smtp: SmtpTestServer;
export let store: ReferenceAccountStore;
export let requester: StaffActor;
export let approver: StaffActor;

export async function staffActor(role: 'admin' | 'security'): Promise<StaffActor> {
  const email = await makeStaff(app.db, role);
  const [row] = await app.db.query<{ id: string; name: string }>(`SELECT id, name FROM staff WHERE email = $1`, [email]);
  return { type: 'staff', id: row!.id, ip: '192.0.2.10', name: row!.name, email };
}

before(async () => {
  smtp = await startSmtpServer();
  app = await startApp({ demo: false, clock, config: { smtpUrl: smtp.url, mailSender: { pollMs: 50, backoffBaseMs: 50 } } });
  store = app.referenceStore!;
  requester = await staffActor('admin');
  approver = await staffActor('security');
});
after(async () => {
  await app.stop();
  await smtp.stop();
});
