import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { FailureCluster } from '../../attribution/cluster.ts';
import { type AttributionReport, attributeFailures } from '../../attribution/report.ts';
import type { Variant } from '../../eval/types.ts';
import { variantHash } from '../../eval/variant.ts';
import { BudgetExceededError, FapoError } from '../../util/errors.ts';
import { createAgentProposer } from './agent/index.ts';
import { createLeakageOracle } from '../review/leakage-oracle.ts';
import { type ReviewContext, reviewProposal } from '../review/review.ts';
import type { Proposal, ReviewResult } from '../review/types.ts';
import { decideAfterReview } from '../review/verdict.ts';
import type { ValidationOutcome } from '../evaluator.ts';
import type { OptimizeEvent, ScoreSnapshot } from '../events.ts';
import type { Strategy, StrategyContext, StrategyResult, TrajectoryPoint } from '../strategy.ts';
import { DEFAULT_ESCALATION, LevelTracker } from './escalation.ts';
import type { MemoryRecord, VariantMemory } from './memory.ts';
import type { Proposer } from './proposer.ts';
import { createCodingAgentProposer } from './coding-agent/proposer.ts';
import { createRuleProposer } from './rule-proposer.ts';
import { createProposerServices, stepsChanged, workspaceFiles } from './services.ts';

export const FapoOptionsSchema = z
  .object({
    /** rules (model-free), agent (fapo's AI SDK tool loop), or a coding agent driving fapo's tools over MCP. */
    proposer: z.enum(['rules', 'agent', 'claude-code', 'codex']).default('rules'),
    /** Agent turns per coding-agent proposal. */
    codingAgentMaxTurns: z.number().int().positive().default(24),
    /** `provider:model` of the agent proposer (required with every proposer but rules). */
    proposerModel: z.string().optional(),
    /** Model steps per agent proposal. */
    agentMaxSteps: z.number().int().positive().default(12),
    /** Ablation switches: every component can be turned off. */
    analyst: z.boolean().default(true),
    reviewerModel: z.boolean().default(true),
    smoke: z.boolean().default(true),
    plateauWindow: z.number().int().positive().default(DEFAULT_ESCALATION.plateauWindow),
    minTechniques: z.number().int().positive().default(DEFAULT_ESCALATION.minTechniques),
  })
  .strict();
export type FapoOptions = z.infer<typeof FapoOptionsSchema>;

export const ATTRIBUTION_DOC = 'attribution';

/**
 * The FAPO loop as code: evaluate → attribute → choose level → propose → review → compare →
 * remember, one variant per round, with escalation only through the runtime's three conditions.
 */
export function createFapoStrategy(raw: Record<string, unknown>, deps: { proposer?: Proposer } = {}): Strategy {
  const options = FapoOptionsSchema.parse(raw);
  if (options.proposer !== 'rules' && !options.proposerModel && !deps.proposer) {
    throw new FapoError(
      'the agent proposer needs a model',
      'Pass --optimizer-model provider:model (or use --proposer rules).',
    );
  }
  return {
    name: 'fapo',
    run: (ctx) => runFapo(ctx, options, deps.proposer ?? makeProposer(options, ctx)),
  };
}

function makeProposer(options: FapoOptions, ctx: StrategyContext): Proposer {
  if (options.proposer === 'rules') return createRuleProposer();
  const onRun = (run: object) => ctx.state.put(`agent-run:${Date.now()}`, run);
  if (options.proposer === 'claude-code' || options.proposer === 'codex') {
    return createCodingAgentProposer({
      backend: options.proposer,
      model: options.proposerModel!,
      meter: ctx.budget.meter,
      maxTurns: options.codingAgentMaxTurns,
      onRun,
    });
  }
  return createAgentProposer({
    model: options.proposerModel!,
    meter: ctx.budget.meter,
    maxSteps: options.agentMaxSteps,
    onRun,
  });
}

async function runFapo(ctx: StrategyContext, options: FapoOptions, proposer: Proposer): Promise<StrategyResult> {
  const { env, evaluator, state, budget, emit } = ctx;
  const { task, store } = env;
  const playbook = task.playbook;
  const levels = new LevelTracker(playbook.levels, options);
  const memory: MemoryRecord[] = [];
  const reviewBase: Omit<ReviewContext, 'existingFiles' | 'previousBlocks'> = {
    playbook,
    heldOut: createLeakageOracle({ val: task.datasets.val.cases, test: task.datasets.test.cases }),
    train: createLeakageOracle({ train: task.datasets.train.cases }),
    ...(options.reviewerModel && ctx.roles.reviewer ? { model: ctx.roles.reviewer } : {}),
    chainCode: { fapoTypesPath: fileURLToPath(new URL('../../authoring.ts', import.meta.url)) },
  };

  let best = ctx.baseline;
  let bestVal = await evaluator.validate(best);
  emit({ type: 'baseline', variantSeq: best.seq, validation: snapshot(bestVal) });
  const trajectory: TrajectoryPoint[] = [point(0, best, bestVal, true, bestVal)];
  let iteration = 0;
  let stopReason = '';
  let outOfIdeas = false;

  const attribute = (round: number, tag: string) =>
    state.memo<AttributionReport>(`attribution:${round}:${tag}`, async () => {
      const train = await evaluator.train(best);
      const report = await attributeFailures(
        {
          variant: best.hash,
          round,
          split: 'train',
          cases: task.datasets.train.cases,
          results: train.results,
          chain: await env.executor.describe(best),
          prompts: best.prompts,
          goldEvidenceKey: task.manifest.goldEvidence,
          allowedLevels: playbook.levels,
          caps: playbook.caps,
          tunableParams: playbook.tunableParams,
          params: best.params,
        },
        { ...(ctx.roles.analyst ? { analyst: ctx.roles.analyst } : {}), useAnalyst: options.analyst },
      );
      store.putDoc(ATTRIBUTION_DOC, `${state.id}:${round}:${tag}`, report);
      return report;
    });

  try {
    rounds: for (let round = 1; ; round++) {
      const spent = budget.exhausted();
      if (spent) {
        stopReason = spent;
        break;
      }
      if (ctx.target !== undefined && (bestVal.summary.mean ?? 0) >= ctx.target) {
        stopReason = `target ${(100 * ctx.target).toFixed(1)} reached`;
        break;
      }
      budget.takeRound();
      let attribution = await attribute(round, `${best.hash.slice(0, 12)}:${levels.current}`);
      emit({
        type: 'round-start',
        round,
        passRate: attribution.passRate,
        failedCases: attribution.cases.length,
        level: levels.current,
      });

      let proposal: Proposal | null = null;
      let target: FailureCluster | undefined;
      for (;;) {
        const reason = levels.exhaustionReason(attribution, outOfIdeas);
        if (reason) {
          memory.push({
            kind: 'exhaustion',
            round,
            level: levels.current,
            reason,
            finalScore: bestVal.summary.mean,
            variantsTried: levels.variantsTried(),
            note: exhaustionNote(reason, levels.triedTechniques()),
          });
          emit({ type: 'level-exhausted', round, level: levels.current, reason });
          levels.markExhausted(reason);
          // Re-attribute before escalating, so the decision rests on the current best's evidence.
          const fresh = await attribute(round, `${best.hash.slice(0, 12)}:escalate-from-${levels.current}`);
          const next = levels.escalate(fresh);
          if (!next) {
            stopReason = 'every allowed level exhausted';
            break rounds;
          }
          emit({ type: 'escalation', round, to: next, failedCases: fresh.levelPartition[next].count });
          attribution = fresh;
          outOfIdeas = false;
        }
        target = attribution.clusters.find((c) => c.level === levels.current);
        const services = await createProposerServices({ env, evaluator, best });
        proposal = await state.memo(`proposal:${round}:${levels.current}:0`, () =>
          proposer.propose({
            round,
            level: levels.current,
            parent: best,
            structure: services.structure,
            playbook,
            attribution,
            target,
            memory: [...memory],
            triedTechniques: levels.triedTechniques(),
            services,
          }),
        );
        if (proposal) {
          emit(proposalEvent(round, proposal, false));
          break;
        }
        outOfIdeas = true;
        emit({ type: 'no-proposal', round, level: levels.current, proposer: proposer.name });
      }

      budget.takeVariant();
      iteration++;
      const outcome = await reviewAndEvaluate(round, proposal);
      memory.push(outcome.record);
      state.put('memory', memory);
      levels.record(outcome.record.technique, outcome.record.accepted);
      if (outcome.variant && outcome.val) {
        if (outcome.record.accepted) {
          best = outcome.variant;
          bestVal = outcome.val;
          outOfIdeas = false;
        }
        trajectory.push(point(iteration, outcome.variant, outcome.val, outcome.record.accepted, bestVal));
      }
      emit({
        type: 'validation',
        iteration,
        technique: outcome.record.technique,
        stepsChanged: outcome.record.stepsChanged,
        accepted: outcome.record.accepted,
        ...(outcome.record.discarded !== undefined
          ? { discarded: outcome.record.discarded }
          : { validation: snapshot(outcome.val!), delta: outcome.record.delta! }),
      });
    }
  } catch (err) {
    if (!(err instanceof BudgetExceededError)) throw err;
    stopReason = `budget: ${err.message}`;
  }
  state.put('memory', memory);
  return { best, bestValidation: bestVal, trajectory, stopReason };

  async function reviewAndEvaluate(
    round: number,
    first: Proposal,
  ): Promise<{ record: VariantMemory; variant?: Variant; val?: ValidationOutcome }> {
    let proposal = first;
    let blocks = 0;
    let review: ReviewResult;
    for (let attempt = 0; ; attempt++) {
      const p = proposal;
      review = await state.memo(`review:${round}:${attempt}`, () =>
        reviewProposal(p, {
          ...reviewBase,
          existingFiles: workspaceFiles(task.dir, store),
          previousBlocks: blocks,
          ...(options.smoke ? { smoke: (q: Proposal) => smokeRun(q) } : {}),
        }),
      );
      const reasons = review.checks
        .filter((c) => c.verdict === 'block')
        .flatMap((c) => c.reasons.map((r) => `${c.check}: ${r}`));
      emit({ type: 'review', round, attempt, verdict: review.verdict, blocked: reasons });
      const decision = decideAfterReview(blocks, review.verdict);
      if (decision === 'evaluate') break;
      blocks++;
      if (decision === 'discard')
        return { record: baseRecord(proposal, review, { discarded: `blocked twice: ${reasons.join('; ')}` }) };
      const revised = await state.memo(`proposal:${round}:${proposal.level}:${attempt + 1}`, async () => {
        const services = await createProposerServices({ env, evaluator, best });
        return proposer.propose({
          round,
          level: proposal.level,
          parent: best,
          structure: services.structure,
          playbook,
          attribution: lastAttribution(),
          memory: [...memory],
          triedTechniques: levels.triedTechniques(),
          revision: { proposal, review: redactForProposer(review) },
          services,
        });
      });
      if (!revised)
        return {
          record: baseRecord(proposal, review, {
            discarded: `blocked, and no revision was proposed: ${reasons.join('; ')}`,
          }),
        };
      emit(proposalEvent(round, revised, true));
      proposal = revised;
    }
    const variant = register(proposal);
    const train = await evaluator.train(variant);
    const val = await evaluator.validate(variant);
    const cmp = evaluator.compare(bestVal, val, ctx.seed + iteration);
    const gain = (val.summary.mean ?? -1) - (bestVal.summary.mean ?? 0);
    const accepted = ctx.accept === 'significant' ? cmp.ci.low > 0 : gain > 1e-12;
    return {
      variant,
      val,
      record: baseRecord(proposal, review, {
        variant: variant.hash,
        seq: variant.seq,
        trainMean: train.summary.mean,
        valMean: val.summary.mean,
        valSd: val.summary.sd,
        delta: gain,
        ci: { low: cmp.ci.low, high: cmp.ci.high },
        pValue: cmp.pValue,
        accepted,
      }),
    };
  }

  function baseRecord(p: Proposal, review: ReviewResult, rest: Partial<VariantMemory>): VariantMemory {
    return {
      kind: 'variant',
      iteration,
      round: iteration === 0 ? 0 : trajectory.length,
      parent: p.parent.hash,
      level: p.level,
      stepsChanged: stepsChanged(p.parent, p),
      hypothesis: p.hypothesis,
      technique: p.technique,
      review: review.verdict,
      reviewReasons: review.checks
        .filter((c) => c.verdict !== 'pass')
        .flatMap((c) => c.reasons.map((r) => `${c.check}: ${r}`)),
      accepted: false,
      ...rest,
    };
  }

  function lastAttribution(): AttributionReport {
    return store.listDocs<AttributionReport>(ATTRIBUTION_DOC, { prefix: `${state.id}:` }).at(-1)!.value;
  }

  function register(p: Proposal): Variant {
    const content = { chainPath: p.chainPath, chainSource: p.chainSource, prompts: p.prompts, params: p.params };
    return store.putVariant({
      ...content,
      hash: variantHash(content),
      parent: p.parent.hash,
      level: p.level,
      hypothesis: p.hypothesis,
      technique: p.technique,
      createdBy: `fapo:${proposer.name}`,
    });
  }

  async function smokeRun(p: Proposal): Promise<{ ok: boolean; errors: string[] }> {
    const variant = register(p);
    const ids = evaluator.trainCaseIds().slice(0, 2);
    const { results } = await evaluator.train(variant, ids, 1);
    const errors = results
      .filter((r) => r.status === 'task_error' || r.status === 'scorer_error')
      .map((r) => `case ${r.caseId}: ${r.error}`);
    return { ok: errors.length === 0, errors };
  }
}

function point(
  iteration: number,
  v: Variant,
  val: ValidationOutcome,
  accepted: boolean,
  best: ValidationOutcome,
): TrajectoryPoint {
  return {
    iteration,
    variant: v.hash,
    seq: v.seq,
    parent: v.parent,
    level: v.level,
    valMean: val.summary.mean,
    valSd: val.summary.sd,
    accepted,
    bestMean: best.summary.mean,
  };
}

function exhaustionNote(reason: string, techniques: string[]): string {
  if (reason === 'plateau') return `No validation gain in the last proposals after trying ${techniques.join(', ')}.`;
  if (reason === 'resolved') return 'Attribution finds no failures this level could address.';
  return `The estimated ceiling is reached or no untried change is left (tried: ${techniques.join(', ') || 'none'}).`;
}

const snapshot = (v: ValidationOutcome): ScoreSnapshot => ({ mean: v.summary.mean, sd: v.summary.sd });

const proposalEvent = (round: number, p: Proposal, revision: boolean): OptimizeEvent => ({
  type: 'proposal',
  round,
  level: p.level,
  technique: p.technique,
  hypothesis: p.hypothesis,
  revision,
});

/**
 * The proposer sees why its draft was blocked, but never which held-out or train case a leak
 * matched: echoing that would let it probe the validation and test answers.
 */
function redactForProposer(review: ReviewResult): ReviewResult {
  const hidden = new Set(['leakage', 'train-copy']);
  return {
    ...review,
    checks: review.checks.map((c) =>
      hidden.has(c.check) && c.verdict !== 'pass'
        ? {
            ...c,
            reasons: [
              c.check === 'leakage'
                ? 'the draft contains text from held-out (validation/test) cases; remove case-specific content'
                : 'the draft copies a training example; use synthetic examples only',
            ],
          }
        : c,
    ),
  };
}
