/** The review gate: deterministic checks, then the smoke run, then the reviewer model. */
import type { ModelClient, Sampling } from '../../models/types.ts';
import type { Playbook } from '../../task/schema.ts';
import { checkCaps } from './caps.ts';
import { parseChain } from './chain-ast.ts';
import { checkChainCode, type ChainCodeOptions } from './chain-code.ts';
import { checkLeakage } from './leakage.ts';
import type { LeakageOracle } from './leakage-oracle.ts';
import { checkPlaceholders } from './placeholders.ts';
import { reviewWithModel } from './reviewer-model.ts';
import { checkScope } from './scope.ts';
import { runSmoke, type SmokeRunner } from './smoke.ts';
import { checkToolCode } from './tool-code.ts';
import { checkTrainCopy } from './train-copy.ts';
import type { CheckResult, Proposal, ReviewResult } from './types.ts';
import { checkResult, decideAfterReview, worstVerdict } from './verdict.ts';

export interface ReviewContext {
  playbook: Playbook;
  /** Workspace-relative paths of every baseline and variant file; proposals may only add new ones. */
  existingFiles: ReadonlySet<string>;
  /** Built by the runtime from validation and test cases. */
  heldOut: LeakageOracle;
  /** Built from the training cases. */
  train: LeakageOracle;
  /** Runs the proposal on a couple of train cases; omitted → a warn, never a silent pass. */
  smoke?: SmokeRunner;
  /** The reviewer model; omitted (e.g. an ablation) → a warn. */
  model?: ModelClient;
  modelSampling?: Sampling;
  chainCode?: ChainCodeOptions;
  /** How many times this proposal's line has already been blocked. */
  previousBlocks?: number;
}

export function deterministicChecks(proposal: Proposal, ctx: ReviewContext): CheckResult[] {
  const chain = parseChain(proposal.chainSource, proposal.chainPath, proposal.params);
  const tools = checkToolCode(proposal);
  return [
    checkScope(proposal, ctx.playbook, ctx.existingFiles),
    checkCaps(proposal, ctx.playbook.caps, chain),
    checkPlaceholders(proposal, chain),
    checkLeakage(proposal, ctx.heldOut),
    checkTrainCopy(proposal, ctx.train),
    checkChainCode(proposal, chain, ctx.chainCode),
    ...(tools ? [tools] : []),
  ];
}

export async function reviewProposal(proposal: Proposal, ctx: ReviewContext): Promise<ReviewResult> {
  const checks = deterministicChecks(proposal, ctx);
  const skipped: string[] = [];
  // Smoke runs and model calls cost money; a proposal that already blocks does not get them.
  if (worstVerdict(checks.map((c) => c.verdict)) === 'block') skipped.push('smoke', 'reviewer-model');
  else {
    const smoke = await runSmoke(proposal, ctx.smoke);
    checks.push(smoke);
    if (smoke.verdict === 'block') skipped.push('reviewer-model');
    else if (!ctx.model) checks.push(checkResult('reviewer-model', { warn: ['the reviewer model is switched off'] }));
    else {
      const deterministic = [...checks];
      checks.push(
        ...(await reviewWithModel(ctx.model, proposal, {
          playbook: ctx.playbook,
          deterministic,
          ...(ctx.modelSampling ? { sampling: ctx.modelSampling } : {}),
        })),
      );
    }
  }
  const verdict = worstVerdict(checks.map((c) => c.verdict));
  return {
    verdict,
    checks,
    revisionAllowed: decideAfterReview(ctx.previousBlocks ?? 0, verdict) === 'revise',
    skipped,
  };
}
