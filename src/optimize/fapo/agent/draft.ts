/**
 * The write guard: turns a `write_variant` call into a draft Proposal, or refuses it with reasons the
 * model can act on. The scope, caps, placeholder, chain-safety and train-copy rules are the review
 * module's own checks (one implementation of each rule); the tool layer runs the ones that need no
 * held-out data and no model, so a refused write never becomes the proposal whatever the model says.
 * The review runs them all again, with the full train set and the typecheck.
 */
import { z } from 'zod';
import { checkCaps } from '../../review/caps.ts';
import { parseChain } from '../../review/chain-ast.ts';
import { checkChainCode } from '../../review/chain-code.ts';
import { changedParamKeys, changedPromptNames } from '../../review/param-changes.ts';
import { createLeakageOracle } from '../../review/leakage-oracle.ts';
import { checkPlaceholders } from '../../review/placeholders.ts';
import { checkScope } from '../../review/scope.ts';
import { checkTrainCopy } from '../../review/train-copy.ts';
import type { CheckResult, Proposal } from '../../review/types.ts';
import type { Case } from '../../../task/schema.ts';
import { TECHNIQUES, type ProposerInput } from '../proposer.ts';

export const writeVariantSchema = z.object({
  prompts: z
    .record(z.string(), z.string())
    .optional()
    .describe(
      'Template name → the COMPLETE new text of that template. Only the templates you change; the rest are kept from the parent. `tools/<tool>` is the description an agent step shows for <tool> (prompts/tools/<tool>.md).',
    ),
  params: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Parameter name → new value. Only the parameters you change; the rest are kept from the parent.'),
  chain: z
    .object({
      path: z.string().describe('Workspace-relative path of a NEW chain module, inside the allowed globs.'),
      source: z
        .string()
        .describe(
          "TypeScript module: import { defineChain, llm, retrieve, code, agent } from 'fapo' and nothing else.",
        ),
    })
    .optional()
    .describe('Structure level only: a new chain file.'),
  hypothesis: z.string().min(1).describe('Why this change should fix the target failures, in one or two sentences.'),
  technique: z.enum(TECHNIQUES).describe('The technique of the ladder this change applies.'),
});
export type WriteVariantRequest = z.infer<typeof writeVariantSchema>;

export interface DraftContext {
  /** Workspace files that exist already: a new chain file must not be one of them. */
  existingFiles: ReadonlySet<string>;
  /** The train cases the model could have seen (the failures and any case it viewed): none may be copied in. */
  seenTrain: Case[];
}

export type DraftOutcome = { proposal: Proposal; warnings: string[] } | { refused: string[] };

/** Misuses of the level that the review checks cannot see (they only compare a finished proposal). */
function shapeProblems(level: ProposerInput['level'], request: WriteVariantRequest): string[] {
  const problems: string[] = [];
  const prompts = Object.keys(request.prompts ?? {});
  const params = Object.keys(request.params ?? {});
  if (level !== 'structure' && request.chain)
    problems.push(`a ${level}-level write must not include a chain; only structure-level writes may`);
  if (level === 'prompt' && prompts.length === 0)
    problems.push('a prompt-level write must change at least one prompt template');
  if (level === 'param' && params.length === 0) problems.push('a param-level write must change at least one parameter');
  if (level === 'structure' && !request.chain)
    problems.push('a structure-level write must include a new chain file (chain: { path, source })');
  if (request.chain && !request.chain.path.endsWith('.ts'))
    problems.push(`the chain path '${request.chain.path}' must end in .ts`);
  return problems;
}

/** The review checks that need no held-out data and no model; the typecheck is left to the review (it is slow). */
function toolLayerChecks(proposal: Proposal, input: ProposerInput, ctx: DraftContext): CheckResult[] {
  const chain = parseChain(proposal.chainSource, proposal.chainPath, proposal.params);
  const checks = [
    checkScope(proposal, input.playbook, ctx.existingFiles),
    checkCaps(proposal, input.playbook.caps, chain),
    checkPlaceholders(proposal, chain),
    checkTrainCopy(proposal, createLeakageOracle({ train: ctx.seenTrain })),
  ];
  if (proposal.level === 'structure') checks.push(checkChainCode(proposal, chain, { typecheck: false }));
  return checks;
}

export function buildDraft(input: ProposerInput, request: WriteVariantRequest, ctx: DraftContext): DraftOutcome {
  const shape = shapeProblems(input.level, request);
  if (shape.length > 0) return { refused: shape };
  const { parent } = input;
  const proposal: Proposal = {
    level: input.level,
    parent,
    chainSource: request.chain?.source ?? parent.chainSource,
    chainPath: request.chain?.path ?? parent.chainPath,
    prompts: { ...parent.prompts, ...request.prompts },
    params: { ...parent.params, ...request.params },
    files: request.chain ? [request.chain.path] : [],
    hypothesis: request.hypothesis,
    technique: request.technique,
  };
  const unchanged =
    proposal.chainSource === parent.chainSource &&
    changedPromptNames(parent.prompts, proposal.prompts).length === 0 &&
    changedParamKeys(parent.params, proposal.params).length === 0;
  if (unchanged) return { refused: ['the write changes nothing: it is identical to the parent'] };

  const checks = toolLayerChecks(proposal, input, ctx);
  const blocked = checks.filter((c) => c.verdict === 'block');
  if (blocked.length > 0)
    return { refused: blocked.flatMap((c) => c.reasons.map((reason) => `${c.check}: ${reason}`)) };
  const warnings = checks
    .filter((c) => c.verdict === 'warn')
    .flatMap((c) => c.reasons.map((reason) => `${c.check}: ${reason}`));
  return { proposal, warnings };
}
