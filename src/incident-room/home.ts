/**
 * The staff home, "what needs me now": a list of sections, each loaded for the person looking. The built-in
 * ones are made in `routes.ts`; other capabilities add theirs through the plugin's `homeSections` option and
 * name the slot they go in.
 */
import type { SafeHtml } from '../web/html.ts';
import type { ConsoleContext } from '../console/views.ts';

/**
 * Where sections go, top to bottom. `regulatory-deadlines` is the slot kept for the regulator's clock
 * (src/regulator/, built separately): it stays empty until a section names it.
 */
export const HOME_SLOTS = [
  'incidents', 'my-tasks', 'regulatory-deadlines', 'security-tickets', 'sla', 'approvals', 'proposals',
] as const;
export type HomeSlot = (typeof HOME_SLOTS)[number];

export interface HomeSectionView {
  /** The section's heading (h2), in the reader's language. */
  title: string;
  /** How many things wait in it (shown in the summary at the top). */
  count: number;
  /** Something in it is late or urgent: the summary says so in words and marks it. */
  urgent?: boolean;
  body: SafeHtml;
}

export interface HomeSection {
  /** Stable id: the section's anchor is `#home-<id>`. */
  id: string;
  slot: HomeSlot;
  /** Loaded for each view of the home; null: nothing for this reader (no permission, or a section that hides when empty). */
  load(c: ConsoleContext, now: Date): Promise<HomeSectionView | null>;
}

/** Sections in slot order; within a slot, in the order given. */
export function orderSections(sections: readonly HomeSection[]): HomeSection[] {
  return [...sections].sort((a, b) => HOME_SLOTS.indexOf(a.slot) - HOME_SLOTS.indexOf(b.slot));
}
