/** Who made a change, for the audit log. */
export interface Actor {
  type: 'staff' | 'user' | 'system';
  id: string | null;
  ip?: string | null;
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null };
