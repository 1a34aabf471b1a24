/**
 * Drills (issue 13 §9): `kinkyu drill --scenario …` and /staff/drills run the real flow in a sandbox and keep a
 * report as evidence.
 */
export { Drills, parseStart, DEFAULT_SURGE, DEFAULT_TAKEOVERS, type DrillsOptions, type StartInput } from './service.ts';
export { SCENARIOS, isScenario, parseScenario, type Scenario } from './scenarios.ts';
export { reportText, type DrillReport } from './report.ts';
export { drillsPlugin, type DrillRoutesOptions } from './routes.ts';
export { drillCommand, type DrillCliValues } from './cli.ts';
export { DRILL_USAGE } from './usage.ts';
