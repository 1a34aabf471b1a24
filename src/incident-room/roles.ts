import { can, type Permission, type Role } from '../staff/permissions.ts';

/**
 * The roles people take in one incident. Configuration (INCIDENT_ROLES, JSON): the defaults are the
 * incident commander, the communications lead, responders (several people) and the scribe.
 */
export interface IncidentRoleDefinition {
  /** Stable key, lower case: `commander`, `communications`, `responder`, `scribe`, or an operator's own. */
  key: string;
  /** The name shown for an operator's own role; the default roles are named by the message catalogue. */
  nameJa?: string;
  nameEn?: string;
  /** More than one person may hold it at once (responders); otherwise assigning it to someone else is a hand-over. */
  multiple: boolean;
  /** What a holder's staff role must allow (permissions.ts): people who cannot act on incidents hold no incident role. */
  requires: Permission;
}

export const DEFAULT_ROLE_KEYS = ['commander', 'communications', 'responder', 'scribe'] as const;
export type DefaultRoleKey = (typeof DEFAULT_ROLE_KEYS)[number];
export const isDefaultRoleKey = (key: string): key is DefaultRoleKey => (DEFAULT_ROLE_KEYS as readonly string[]).includes(key);

export const DEFAULT_INCIDENT_ROLES: readonly IncidentRoleDefinition[] = Object.freeze([
  { key: 'commander', multiple: false, requires: 'incident.write' },
  { key: 'communications', multiple: false, requires: 'incident.write' },
  { key: 'responder', multiple: true, requires: 'incident.write' },
  { key: 'scribe', multiple: false, requires: 'incident.write' },
]);

const KEY = /^[a-z][a-z0-9_]{0,39}$/;
const PERMISSIONS: readonly Permission[] = ['incident.write', 'component.write', 'maintenance.write', 'ticket.write', 'account.lock', 'account.unlock'];

/**
 * INCIDENT_ROLES: a JSON array of `{key, nameJa, nameEn, multiple, requires}` in display order. Unset: the
 * defaults. A default key keeps its catalogue name unless names are given. Wrong configuration stops the start
 * with a message that says what to fix.
 */
export function parseIncidentRoles(value: string | undefined): readonly IncidentRoleDefinition[] {
  if (value === undefined || value.trim() === '') return DEFAULT_INCIDENT_ROLES;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error('INCIDENT_ROLES is not valid JSON: give an array such as [{"key":"commander","multiple":false}]');
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > 20) throw new Error('INCIDENT_ROLES must be an array of 1 to 20 roles');
  const seen = new Set<string>();
  return Object.freeze(parsed.map((entry, i): IncidentRoleDefinition => {
    const at = `INCIDENT_ROLES[${i}]`;
    if (!entry || typeof entry !== 'object') throw new Error(`${at} must be an object`);
    const e = entry as Record<string, unknown>;
    if (typeof e.key !== 'string' || !KEY.test(e.key)) throw new Error(`${at}.key must be lower-case letters, digits or _ (at most 40)`);
    if (seen.has(e.key)) throw new Error(`${at}.key "${e.key}" appears twice`);
    seen.add(e.key);
    const name = (v: unknown, field: string) => {
      if (v === undefined) return undefined;
      if (typeof v !== 'string' || v.trim() === '' || v.length > 60) throw new Error(`${at}.${field} must be a name of 1 to 60 characters`);
      return v.trim();
    };
    const nameJa = name(e.nameJa, 'nameJa');
    const nameEn = name(e.nameEn, 'nameEn');
    if (!isDefaultRoleKey(e.key) && (!nameJa || !nameEn)) throw new Error(`${at}: a role of your own needs nameJa and nameEn`);
    const requires = e.requires === undefined ? 'incident.write' : e.requires;
    if (typeof requires !== 'string' || !(PERMISSIONS as readonly string[]).includes(requires)) {
      throw new Error(`${at}.requires must be one of ${PERMISSIONS.join(', ')}`);
    }
    return {
      key: e.key,
      ...(nameJa ? { nameJa } : {}),
      ...(nameEn ? { nameEn } : {}),
      multiple: e.multiple === true,
      requires: requires as Permission,
    };
  }));
}

/** Whether a staff member with `staffRole` may hold `role` (and own tasks): their role must allow what it requires. */
export function mayHold(staffRole: Role, role: Pick<IncidentRoleDefinition, 'requires'>): boolean {
  return can(staffRole, role.requires);
}
