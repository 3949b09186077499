export {
  attributeFailures,
  recommendLevel,
  type AttributeOptions,
  type AttributionInput,
  type AttributionReport,
  type LevelBucket,
} from './report.ts';
export { renderAttributionMarkdown } from './markdown.ts';
export {
  attributeCaseByRules,
  attributeTrial,
  isAbstention,
  isFailedTrial,
  type RuleContext,
  type RuleVerdict,
} from './rules.ts';
export {
  analyseFailures,
  buildAnalystMessages,
  ANALYST_LABELS,
  type AnalystLabel,
  type AnalystFailure,
  type AnalystOptions,
} from './analyst.ts';
export { clusterFailures, suggestFix, type FailureCluster } from './cluster.ts';
export {
  FAILURE_LABELS,
  CONFIDENCES,
  NO_STEP,
  type CaseAttribution,
  type Confidence,
  type FailureLabel,
} from './types.ts';
export { missingEvidenceRemedy, weakRetrievalRemedy, type RetrievalScope, type RetrievalRemedy } from './headroom.ts';
