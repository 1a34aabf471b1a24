import type { Component } from '../domain/component.ts';
import { isIncidentOpen, type Incident } from '../domain/incident.ts';
import type { TicketType } from '../domain/ticket.ts';

/**
 * During an incident, which open incident (if any) a new ticket is about. A ticket is linked only when its
 * type fits the incident's and its words or components point at it; a security ticket is never linked
 * automatically: an account takeover must stay in front of a person, even in the middle of an outage.
 */
export interface IncidentMatch {
  incidentId: string;
  score: number;
  /** Why, in plain English (kept with the ticket's triage reasons). */
  reasons: string[];
  /** The same as stable keys with their values, for the console's own language. */
  codes: { code: 'link_type' | 'link_component' | 'link_words' | 'link_only_outage'; params: Record<string, string | number> }[];
}

/** Which ticket types may be linked to an incident of a given type, and what that alone is worth. */
const TYPE_FIT: Record<TicketType, Partial<Record<Incident['type'], number>>> = {
  outage: { outage: 2, trading: 1 },
  trading: { trading: 2, outage: 1 },
  regulatory: { regulatory: 2 },
  security: {},
  other: {},
};

function normalize(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** Words worth comparing: Latin words of 3+ letters, and pairs of adjacent CJK characters (no spaces in Japanese). */
function terms(text: string): Set<string> {
  const out = new Set<string>();
  for (const w of normalize(text).match(/[a-z0-9]{3,}/g) ?? []) out.add(w);
  for (const run of normalize(text).match(/[\p{Script=Han}\p{Script=Katakana}\p{Script=Hiragana}ー]{2,}/gu) ?? []) {
    for (let i = 0; i + 2 <= run.length; i++) out.add(run.slice(i, i + 2));
  }
  return out;
}

const STOP_TERMS = new Set(['the', 'and', 'for', 'are', 'you', 'your', 'with', 'this', 'have', 'has', 'not', 'can', 'ています', 'てい', 'いま', 'ます', 'して', 'につ', 'つい', 'いて', 'です', 'ませ', 'せん']);

/** The names a user might write for a component, in either language (computed once per snapshot's list). */
const namesCache = new WeakMap<readonly Component[], { id: string; names: string[] }[]>();
function componentNames(components: readonly Component[]): { id: string; names: string[] }[] {
  let names = namesCache.get(components);
  if (!names) {
    names = components
      .filter((c) => !c.isGroup)
      .map((c) => ({ id: c.id, names: [c.nameJa, c.nameEn].map(normalize).filter((n) => n.length >= 2) }));
    namesCache.set(components, names);
  }
  return names;
}

const incidentTermsCache = new WeakMap<Incident, string[]>();
function incidentTerms(incident: Incident): string[] {
  let result = incidentTermsCache.get(incident);
  if (!result) {
    result = [...terms(`${incident.nameJa} ${incident.nameEn ?? ''}`)].filter((w) => !STOP_TERMS.has(w));
    incidentTermsCache.set(incident, result);
  }
  return result;
}

/**
 * A ticket that names components must name one the incident affects. A ticket that names none ("is it
 * down?") is linked to an outage only when exactly one outage is open: then there is no doubt which one it
 * means. Ties are left for staff: a wrong automatic answer is worse than none.
 */
export function matchIncident(
  ticket: { type: TicketType; text: string },
  incidents: readonly Incident[],
  components: readonly Component[],
): IncidentMatch | null {
  const text = normalize(ticket.text);
  const ticketTerms = terms(ticket.text);
  const open = incidents.filter((i) => i.kind === 'incident' && isIncidentOpen(i.status));
  const mentioned = new Map<string, string>();
  for (const c of componentNames(components)) {
    const named = c.names.find((n) => text.includes(n));
    if (named) mentioned.set(c.id, named);
  }
  const openOutages = open.filter((i) => i.type === 'outage').length;
  const candidates: IncidentMatch[] = [];
  for (const incident of open) {
    const fit = TYPE_FIT[ticket.type][incident.type];
    if (!fit) continue;
    const reasons = [`type ${ticket.type} fits incident type ${incident.type}`];
    const codes: IncidentMatch['codes'] = [{ code: 'link_type', params: { type: ticket.type, incidentType: incident.type } }];
    let score = 0;
    const overlap = incident.componentIds.filter((id) => mentioned.has(id));
    if (mentioned.size > 0 && overlap.length === 0) continue;
    for (const id of overlap) {
      score += 2;
      reasons.push(`mentions affected component "${mentioned.get(id)}" +2`);
      codes.push({ code: 'link_component', params: { component: mentioned.get(id) ?? '', weight: 2 } });
    }
    const shared = incidentTerms(incident).filter((w) => ticketTerms.has(w));
    if (shared.length >= 2) {
      score += 1;
      reasons.push(`shares words with the incident name (${shared.slice(0, 5).join(', ')}) +1`);
      codes.push({ code: 'link_words', params: { words: shared.slice(0, 5).join(', '), weight: 1 } });
    }
    if (score === 0 && mentioned.size === 0 && ticket.type === 'outage' && incident.type === 'outage' && openOutages === 1) {
      score = 1;
      reasons.push('a general outage report while this is the only open outage +1');
      codes.push({ code: 'link_only_outage', params: { weight: 1 } });
    }
    if (score === 0) continue;
    candidates.push({ incidentId: incident.id, score: score + fit, reasons, codes });
  }
  candidates.sort((a, b) => b.score - a.score);
  const [best, second] = candidates;
  if (!best || (second && second.score === best.score)) return null;
  return best;
}
