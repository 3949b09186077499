/** Independent review of proposed variants: the public surface used by the controller and reports. */
export type { CheckResult, Proposal, ReviewDecision, ReviewResult, Verdict } from './types.ts';
export { decideAfterReview, worstVerdict } from './verdict.ts';
export { checkScope, type ScopePlaybook } from './scope.ts';
export { checkCaps, type Caps } from './caps.ts';
export { enforceRetrievalCaps, RetrievalCapError } from '../../chain/caps.ts';
export { checkPlaceholders } from './placeholders.ts';
export {
  createLeakageOracle,
  DEFAULT_LEAKAGE_THRESHOLDS,
  type LeakageOracle,
  type LeakageThresholds,
  type LeakHit,
} from './leakage-oracle.ts';
export { checkLeakage } from './leakage.ts';
export { checkTrainCopy } from './train-copy.ts';
export { checkChainCode, type ChainCodeOptions } from './chain-code.ts';
export { checkToolCode, TOOL_IMPORT_ALLOWLIST } from './tool-code.ts';
export { typecheckChain, DEFAULT_FAPO_TYPES_PATH, type TypecheckOutcome } from './typecheck.ts';
export { parseChain, type ParsedChain, type DeclaredStep, type StepExecution } from './chain-ast.ts';
export { runSmoke, type SmokeRunner } from './smoke.ts';
export { reviewWithModel, REVIEWER_CHECKS, type ModelReviewContext } from './reviewer-model.ts';
export { diffVariant, renderDiff, type DiffableVariant, type VariantDiff } from './diff.ts';
export { deterministicChecks, reviewProposal, type ReviewContext } from './review.ts';
