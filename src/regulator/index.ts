/**
 * The regulator's clock (issue 13 §8): report obligations attached to incidents by configured rules, deadlines from
 * the moment of awareness on the regulators' calendar, owners, one reminder per stage, printable drafts.
 * `openRegulatoryObligations` is what the staff home page lists under "regulatory deadlines".
 */
export { RegulatorClock, openRegulatoryObligations, defaultFacts, ruleFacts, type ObligationView, type OpenObligation, type RegulatorOptions, type StageState, type StageView } from './service.ts';
export { loadRules, parseRules, parseJsonc, applicableRules, DEFAULT_RULES_FILE, RulesFileError, type RegulatorRules, type RegulatoryRule, type RuleFacts } from './rules.ts';
export { deadline, reminderTime, dayOf, endOfDay } from './deadlines.ts';
export { regulatorPlugin, type RegulatorRoutesOptions } from './routes.ts';
