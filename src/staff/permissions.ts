export const ROLES = ['admin', 'incident_commander', 'agent', 'security', 'viewer'] as const;
export type Role = (typeof ROLES)[number];
export const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v);

export type Permission =
  | 'console.view'
  | 'incident.write'
  | 'component.write'
  | 'maintenance.write'
  | 'audit.view'
  | 'staff.manage'
  | 'ticket.view'
  | 'ticket.write'
  | 'account.lock'
  | 'account.unlock'
  | 'kb.edit'
  | 'notice.publish'
  | 'subscriber.manage'
  | 'monitor.manage'
  /** Reading the demo's built-in mailbox (only exists with --demo): every user's mail, one-time links included. */
  | 'mailbox.view'
  /** Write and change the pre-approved update templates (the words the exchange speaks in during an incident). */
  | 'incident.templates';

/**
 * What each role may do. Agents answer tickets but do not speak for the exchange on the status page; viewers
 * only read; the security team runs incidents (account takeovers are theirs) but not maintenance. The demo mailbox
 * holds every user's one-time links (password reset, lock, codes): only those who may act on accounts read it.
 */
const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: ['console.view', 'incident.write', 'component.write', 'maintenance.write', 'audit.view', 'staff.manage', 'ticket.view', 'ticket.write', 'account.lock', 'account.unlock', 'kb.edit', 'notice.publish', 'subscriber.manage', 'monitor.manage', 'mailbox.view', 'incident.templates'],
  incident_commander: ['console.view', 'incident.write', 'component.write', 'maintenance.write', 'audit.view', 'ticket.view', 'ticket.write', 'kb.edit', 'notice.publish', 'incident.templates'],
  security: ['console.view', 'incident.write', 'audit.view', 'ticket.view', 'ticket.write', 'account.lock', 'account.unlock', 'mailbox.view'],
  agent: ['console.view', 'ticket.view', 'ticket.write', 'kb.edit'],
  viewer: ['console.view', 'ticket.view'],
};

export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}
