/**
 * Triage as the desk runs it: the transparent rules (triage.ts) beside the learned model (triage-model.ts), and a
 * safety net.
 *
 *  - Type: a strong security signal from either side wins (the rules detect an incident, or the model is sure it
 *    is security). Otherwise the model decides, except when it is unsure between its two best types, or fairly
 *    unsure against strong rule evidence: then the rules, which staff can read, decide. The rules then give the priority and reasons for the chosen type.
 *  - Safety net: anything that looks like a possible security incident (either side leaning security) is at least
 *    high. A message the system is unsure about — a low margin between the model's two best types, rules and
 *    model disagreeing on security, or a possible incident filed as something else — is marked "needs a human",
 *    shown at the top of the staff queue, never silently filed as other / low.
 *
 * Pure: the model is passed in. Every decision adds a reason, so staff still see why.
 */
import { PRIORITIES, type Priority, type TriageReason, type TriageResult, type TicketType } from '../domain/ticket.ts';
import { predict, type ModelPrediction, type TriageModel } from './triage-model.ts';
import { triageRules, type TriageInput } from './triage.ts';

/** The model's P(security) at which its security signal counts as strong (chosen on the dev split). */
export const STRONG_SECURITY = 0.8;
/** The model's P(security) at which a message may be a security incident (safety net, chosen on the dev split). */
export const POSSIBLE_SECURITY = 0.2;
/** Below this margin between its two best types the model is unsure: the rules choose the type. */
export const RULES_DECIDE_MARGIN = 0.1;
/** Strong rule evidence for a type (e.g. 「落ちて」 for outage) beats a model this unsure (chosen on the dev split). */
export const STRONG_RULES_SCORE = 4;
export const STRONG_RULES_MARGIN = 0.3;
/** Below this margin the ticket needs a human. */
export const NEEDS_HUMAN_MARGIN = 0.2;

export interface CombinedTriage extends TriageResult {
  /** Staff should check the type and priority: the system is unsure, or a possible security incident may be hiding. */
  needsHuman: boolean;
  /** The version of the model that took part. */
  modelVersion: string;
}

const pct = (p: number): string => `${Math.round(p * 100)}%`;
const atLeast = (p: Priority, floor: Priority): Priority => (PRIORITIES.indexOf(p) > PRIORITIES.indexOf(floor) ? floor : p);

/** The model's two best types as reason parameters: type1, p1 (per cent), type2, p2. */
function topTwo(pred: ModelPrediction): Record<string, string | number> {
  const params: Record<string, string | number> = {};
  pred.ranked.slice(0, 2).forEach((r, i) => {
    params[`type${i + 1}`] = r.type;
    params[`p${i + 1}`] = Math.round(r.p * 100);
  });
  return params;
}

function modelReason(pred: ModelPrediction, type: TicketType, version: string): TriageReason {
  const top = pred.ranked.slice(0, 2).map((r) => `${r.type} ${pct(r.p)}`).join(', ');
  const chosen = pred.ranked[0]?.type === type;
  return {
    rule: 'model.type', matched: top, effect: `learned model ${version}: ${chosen ? 'type chosen' : 'not chosen'}`,
    code: 'model', params: { version, chosen: chosen ? 1 : 0, ...topTwo(pred) },
  };
}

/** Why a ticket needs a human, as stable keys (triage.why.* in the catalogue). */
export const NEEDS_HUMAN_WHY = ['unsure', 'rules_security', 'model_security', 'possible_incident'] as const;
export type NeedsHumanWhy = (typeof NEEDS_HUMAN_WHY)[number];

export function triageCombined(input: TriageInput, model: TriageModel): CombinedTriage {
  const rules = triageRules(input);
  const pred = predict(model, input.text);
  const modelType = pred.ranked[0]?.type ?? 'other';
  const extra: TriageReason[] = [];

  let type: TicketType;
  if (rules.incident) type = 'security';
  else if (pred.security >= STRONG_SECURITY) {
    type = 'security';
    extra.push({
      rule: 'model.strong_security', matched: pct(pred.security), effect: 'the learned model is sure this is a security report: type security',
      code: 'model_security', params: { p: Math.round(pred.security * 100) },
    });
  } else if (pred.margin < RULES_DECIDE_MARGIN) type = rules.result.type;
  else if (rules.result.type !== 'other' && rules.scores[rules.result.type] >= STRONG_RULES_SCORE && pred.margin < STRONG_RULES_MARGIN) type = rules.result.type;
  else type = modelType;

  const chosen = type === rules.result.type ? rules.result : rules.withType(type);
  let priority = chosen.priority;

  const rulesSecurity = rules.result.type === 'security';
  const modelSecurity = modelType === 'security' || pred.security >= POSSIBLE_SECURITY;
  const possibleSecurity = type === 'security' || rulesSecurity || modelSecurity;
  if (possibleSecurity && atLeast(priority, 'high') !== priority) {
    priority = 'high';
    extra.push({
      rule: 'safety.possible_security', matched: pct(pred.security), effect: 'priority high (may be a security incident: never below high)',
      code: 'safety_high', params: { p: Math.round(pred.security * 100) },
    });
  }

  const why: string[] = [];
  const whyCodes: NeedsHumanWhy[] = [];
  if (pred.margin < NEEDS_HUMAN_MARGIN) {
    why.push(`the model is unsure (${pred.ranked.slice(0, 2).map((r) => `${r.type} ${pct(r.p)}`).join(' / ')})`);
    whyCodes.push('unsure');
  }
  if (rulesSecurity !== modelSecurity) {
    why.push(rulesSecurity ? 'the rules say security, the model does not' : 'the model says security, the rules do not');
    whyCodes.push(rulesSecurity ? 'rules_security' : 'model_security');
  }
  if (possibleSecurity && type !== 'security') {
    why.push('a possible security incident filed as another type');
    whyCodes.push('possible_incident');
  }
  const needsHuman = why.length > 0;
  if (needsHuman) {
    extra.unshift({ rule: 'review.needs_human', matched: '', effect: `needs a human: ${why.join('; ')}`, code: 'needs_human', params: { why: whyCodes.join(','), ...topTwo(pred) } });
  }

  const reasons = [...extra, modelReason(pred, type, model.version), ...chosen.reasons];
  return { type, priority, reasons, needsHuman, modelVersion: model.version };
}
