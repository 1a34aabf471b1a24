/**
 * Triage as the desk runs it: the transparent rules (triage.ts) beside the learned model (triage-model.ts), and a
 * safety net.
 *
 *  - Type: a strong security signal from either side wins (the rules detect an incident, or the model leans
 *    security). Otherwise the model decides, except when it is unsure between its two best types, or fairly
 *    unsure against strong rule evidence: then the rules, which staff can read, decide.
 *  - Priority: a detected incident is urgent (the rules); otherwise the learned priority model decides; a
 *    security ticket is never low.
 *  - Safety net: a message that may be a security incident (the rules, or the model giving security and a
 *    serious priority some weight) is at least high. A message the system is unsure about — a low margin between
 *    the model's two best types, or a possible incident filed as another type — is marked "needs a human",
 *    shown at the top of the staff queue, never silently filed as other / low.
 *
 * Pure: the model is passed in. Every decision adds a reason, so staff still see why.
 */
import { PRIORITIES, type Priority, type TriageReason, type TriageResult, type TicketType } from '../../domain/ticket.ts';
import { predict, type ModelPrediction, type TriageModel } from './model.ts';
import { triageRules, type TriageInput } from './rules.ts';

export type RuleVerdictWithType = ReturnType<typeof triageRules>;

/** Where the combined triage draws its lines (chosen by cross-validation over train ∪ dev: `npm run cv:triage -- --tune`). */
export interface TriageThresholds {
  /** The model's P(security) at which its security signal counts as strong: type security. */
  strongSecurity: number;
  /** The model's P(security) at which a message may be a security incident (safety net). */
  possibleSecurity: number;
  /** The model's P(urgent or high) at which a possible security report counts as a possible incident: at least high. */
  possibleIncident: number;
  /** Below this margin between its two best types the model is unsure: the rules choose the type. */
  rulesDecideMargin: number;
  /** Strong rule evidence for a type (e.g. 「落ちて」 for outage) beats a model this unsure. */
  strongRulesScore: number;
  strongRulesMargin: number;
  /** Below this margin the ticket needs a human. */
  needsHumanMargin: number;
}

export const THRESHOLDS: TriageThresholds = {
  strongSecurity: 0.35,
  possibleSecurity: 0.1,
  possibleIncident: 0.02,
  rulesDecideMargin: 0.05,
  // Off (no rule score reaches 100): cross-validated over 7,889 messages (2026-12-08), strong rule evidence
  // overriding the model was right 8 times and wrong 17; category 95.5 → 95.6 %, security figures unchanged.
  strongRulesScore: 100,
  strongRulesMargin: 0.3,
  needsHumanMargin: 0.2,
};

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

/** Why a ticket needs a human, as stable keys (triage.why.* in the catalogue; the two disagreement keys are those of
 * tickets triaged before the priority model, still read back from their stored reasons). */
export const NEEDS_HUMAN_WHY = ['unsure', 'rules_security', 'model_security', 'possible_incident'] as const;
export type NeedsHumanWhy = (typeof NEEDS_HUMAN_WHY)[number];

export function triageCombined(input: TriageInput, model: TriageModel, th: TriageThresholds = THRESHOLDS): CombinedTriage {
  const rules = triageRules(input);
  return combineTriage(rules, predict(model, input.text, rules.signals), model.version, th);
}

/** The combination itself, from the rules' verdict and the model's prediction (also used by scripts/cv-triage.ts). */
export function combineTriage(rules: RuleVerdictWithType, pred: ModelPrediction, modelVersion: string, th: TriageThresholds = THRESHOLDS): CombinedTriage {
  const modelType = pred.ranked[0]?.type ?? 'other';
  const extra: TriageReason[] = [];

  let type: TicketType;
  if (rules.incident) type = 'security';
  else if (pred.security >= th.strongSecurity) {
    type = 'security';
    extra.push({
      rule: 'model.strong_security', matched: pct(pred.security), effect: 'the learned model is sure this is a security report: type security',
      code: 'model_security', params: { p: Math.round(pred.security * 100) },
    });
  } else if (pred.margin < th.rulesDecideMargin) type = rules.result.type;
  else if (rules.result.type !== 'other' && rules.scores[rules.result.type] >= th.strongRulesScore && pred.margin < th.strongRulesMargin) type = rules.result.type;
  else type = modelType;

  const chosen = type === rules.result.type ? rules.result : rules.withType(type);
  // A detected incident keeps the rules' priority (urgent); otherwise the learned priority model decides.
  const priorities = pred.priorities;
  const modelPriority = priorities[0]?.priority ?? chosen.priority;
  let priority = rules.incident ? chosen.priority : modelPriority;
  if (!rules.incident && modelPriority !== chosen.priority) {
    extra.push({
      rule: 'model.priority', matched: pct(priorities[0]?.p ?? 0), effect: `learned model: priority ${modelPriority}`,
      code: 'model_priority', params: { priority: modelPriority, p: Math.round((priorities[0]?.p ?? 0) * 100) },
    });
  }

  if (type === 'security' && priority === 'low') priority = 'normal';

  const rulesSecurity = rules.result.type === 'security';
  const modelSecurity = modelType === 'security' || pred.security >= th.possibleSecurity;
  const possibleSecurity = type === 'security' || rulesSecurity || modelSecurity;
  const pSerious = priorities.filter((r) => r.priority === 'urgent' || r.priority === 'high').reduce((a, r) => a + r.p, 0);
  const possibleIncident = rules.incident || (possibleSecurity && pSerious >= th.possibleIncident);
  if (possibleIncident && atLeast(priority, 'high') !== priority) {
    priority = 'high';
    extra.push({
      rule: 'safety.possible_security', matched: pct(pred.security), effect: 'priority high (may be a security incident: never below high)',
      code: 'safety_high', params: { p: Math.round(pred.security * 100) },
    });
  }

  const why: string[] = [];
  const whyCodes: NeedsHumanWhy[] = [];
  if (pred.margin < th.needsHumanMargin) {
    why.push(`the model is unsure (${pred.ranked.slice(0, 2).map((r) => `${r.type} ${pct(r.p)}`).join(' / ')})`);
    whyCodes.push('unsure');
  }
  if (possibleIncident && type !== 'security') {
    why.push('a possible security incident filed as another type');
    whyCodes.push('possible_incident');
  }
  const needsHuman = why.length > 0;
  if (needsHuman) {
    extra.unshift({ rule: 'review.needs_human', matched: '', effect: `needs a human: ${why.join('; ')}`, code: 'needs_human', params: { why: whyCodes.join(','), ...topTwo(pred) } });
  }

  const reasons = [...extra, modelReason(pred, type, modelVersion), ...chosen.reasons];
  return { type, priority, reasons, needsHuman, modelVersion };
}
