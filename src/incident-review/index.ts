/**
 * The post-incident review (issue 13 §7): a draft written from the record, what people write, follow-up actions,
 * and the public postmortem in Statuspage's fields. Other capabilities use the service and the blocks below.
 */
export { IncidentReviews, type ReviewDraft, type ReviewOptions } from './service.ts';
export { incidentReviewPlugin, type ReviewRoutesOptions } from './routes.ts';
export { reviewFigures, formatDuration, type ReviewFigures, type ReviewRecord } from './compute.ts';
export { figuresBlock, obligationsBlock, label, stateLabel, type ReviewObligation } from './views.ts';
