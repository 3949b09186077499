import { fileURLToPath } from 'node:url';
import { z } from 'zod';
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
    run: (ctx) => new FapoLoop(ctx, options, deps.proposer ?? makeProposer(options, ctx)).run(),
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

type RoundOutcome = { stop: string } | { record: VariantMemory; variant?: Variant; val?: ValidationOutcome };

/**
 * One FAPO search. The loop's state lives in fields; each phase of a round is a method: attribute
 * the current best, choose the level and get a proposal (escalating when a level is exhausted),
 * review it, evaluate it on validation, remember. Every stage that costs model calls is memoized in
 * the session state, so a killed session resumes to the same result.
 */
class FapoLoop {
  private readonly levels: LevelTracker;
  private readonly memory: MemoryRecord[] = [];
  private readonly trajectory: TrajectoryPoint[] = [];
  private readonly reviewBase: Omit<ReviewContext, 'existingFiles' | 'previousBlocks'>;
  private best: Variant;
  private bestVal: ValidationOutcome | undefined;
  private iteration = 0;
  /** The proposer had nothing left to try at the current level. */
  private outOfIdeas = false;

  constructor(
    private readonly ctx: StrategyContext,
    private readonly options: FapoOptions,
    private readonly proposer: Proposer,
  ) {
    const { task } = ctx.env;
    this.levels = new LevelTracker(task.playbook.levels, options);
    this.best = ctx.baseline;
    this.reviewBase = {
      playbook: task.playbook,
      heldOut: createLeakageOracle({ val: task.datasets.val.cases, test: task.datasets.test.cases }),
      train: createLeakageOracle({ train: task.datasets.train.cases }),
      ...(options.reviewerModel && ctx.roles.reviewer ? { model: ctx.roles.reviewer } : {}),
      chainCode: { fapoTypesPath: fileURLToPath(new URL('../../authoring.ts', import.meta.url)) },
    };
  }

  private get current(): ValidationOutcome {
    return this.bestVal!;
  }

  async run(): Promise<StrategyResult> {
    const { ctx } = this;
    this.bestVal = await ctx.evaluator.validate(this.best);
    ctx.emit({ type: 'baseline', variantSeq: this.best.seq, validation: snapshot(this.current) });
    this.trajectory.push(point(0, this.best, this.current, true, this.current));
    let stopReason = '';
    try {
      for (let round = 1; !stopReason; round++) stopReason = (await this.round(round)) ?? '';
    } catch (err) {
      if (!(err instanceof BudgetExceededError)) throw err;
      stopReason = `budget: ${err.message}`;
    }
    ctx.state.put('memory', this.memory);
    return { best: this.best, bestValidation: this.current, trajectory: this.trajectory, stopReason };
  }

  /** One round; returns why the search stops, or undefined to go on. */
  private async round(round: number): Promise<string | undefined> {
    const { ctx, levels } = this;
    const spent = ctx.budget.exhausted();
    if (spent) return spent;
    if (ctx.target !== undefined && (this.current.summary.mean ?? 0) >= ctx.target)
      return `target ${(100 * ctx.target).toFixed(1)} reached`;
    ctx.budget.takeRound();
    const attribution = await this.attribute(round, `${this.best.hash.slice(0, 12)}:${levels.current}`);
    ctx.emit({
      type: 'round-start',
      round,
      passRate: attribution.passRate,
      failedCases: attribution.cases.length,
      level: levels.current,
    });
    const proposal = await this.propose(round, attribution);
    if ('stop' in proposal) return proposal.stop;

    ctx.budget.takeVariant();
    this.iteration++;
    const outcome = await this.reviewAndEvaluate(round, proposal);
    this.remember(outcome);
    return undefined;
  }

  /**
   * A proposal at the current level; when the level is exhausted (plateau, resolved, out of ideas),
   * records why and escalates if attribution supports the next allowed level.
   */
  private async propose(round: number, first: AttributionReport): Promise<Proposal | { stop: string }> {
    const { ctx, levels } = this;
    let attribution = first;
    for (;;) {
      const reason = levels.exhaustionReason(attribution, this.outOfIdeas);
      if (reason) {
        this.memory.push({
          kind: 'exhaustion',
          round,
          level: levels.current,
          reason,
          finalScore: this.current.summary.mean,
          variantsTried: levels.variantsTried(),
          note: exhaustionNote(reason, levels.triedTechniques()),
        });
        ctx.emit({ type: 'level-exhausted', round, level: levels.current, reason });
        levels.markExhausted(reason);
        // Re-attribute before escalating, so the decision rests on the current best's evidence.
        const fresh = await this.attribute(round, `${this.best.hash.slice(0, 12)}:escalate-from-${levels.current}`);
        const next = levels.escalate(fresh);
        if (!next) return { stop: 'every allowed level exhausted' };
        ctx.emit({ type: 'escalation', round, to: next, failedCases: fresh.levelPartition[next].count });
        attribution = fresh;
        this.outOfIdeas = false;
      }
      const target = attribution.clusters.find((c) => c.level === levels.current);
      const services = await createProposerServices({ env: ctx.env, evaluator: ctx.evaluator, best: this.best });
      const proposal = await ctx.state.memo(`proposal:${round}:${levels.current}:0`, () =>
        this.proposer.propose({
          round,
          level: levels.current,
          parent: this.best,
          structure: services.structure,
          playbook: ctx.env.task.playbook,
          attribution,
          target,
          memory: [...this.memory],
          triedTechniques: levels.triedTechniques(),
          services,
        }),
      );
      if (proposal) {
        ctx.emit(proposalEvent(round, proposal, false));
        return proposal;
      }
      this.outOfIdeas = true;
      ctx.emit({ type: 'no-proposal', round, level: levels.current, proposer: this.proposer.name });
    }
  }

  /** Review (one revision after a block), then validation over the same cases and trial seeds. */
  private async reviewAndEvaluate(round: number, first: Proposal): Promise<Exclude<RoundOutcome, { stop: string }>> {
    const { ctx } = this;
    const { task, store } = ctx.env;
    let proposal = first;
    let blocks = 0;
    let review: ReviewResult;
    for (let attempt = 0; ; attempt++) {
      const p = proposal;
      review = await ctx.state.memo(`review:${round}:${attempt}`, () =>
        reviewProposal(p, {
          ...this.reviewBase,
          existingFiles: workspaceFiles(task.dir, store),
          previousBlocks: blocks,
          ...(this.options.smoke ? { smoke: (q: Proposal) => this.smokeRun(q) } : {}),
        }),
      );
      const reasons = review.checks
        .filter((c) => c.verdict === 'block')
        .flatMap((c) => c.reasons.map((r) => `${c.check}: ${r}`));
      ctx.emit({ type: 'review', round, attempt, verdict: review.verdict, blocked: reasons });
      const decision = decideAfterReview(blocks, review.verdict);
      if (decision === 'evaluate') break;
      blocks++;
      if (decision === 'discard')
        return { record: this.baseRecord(proposal, review, { discarded: `blocked twice: ${reasons.join('; ')}` }) };
      const revised = await ctx.state.memo(`proposal:${round}:${proposal.level}:${attempt + 1}`, async () => {
        const services = await createProposerServices({ env: ctx.env, evaluator: ctx.evaluator, best: this.best });
        return this.proposer.propose({
          round,
          level: proposal.level,
          parent: this.best,
          structure: services.structure,
          playbook: task.playbook,
          attribution: this.lastAttribution(),
          memory: [...this.memory],
          triedTechniques: this.levels.triedTechniques(),
          revision: { proposal, review: redactForProposer(review) },
          services,
        });
      });
      if (!revised)
        return {
          record: this.baseRecord(proposal, review, {
            discarded: `blocked, and no revision was proposed: ${reasons.join('; ')}`,
          }),
        };
      ctx.emit(proposalEvent(round, revised, true));
      proposal = revised;
    }
    const variant = this.register(proposal);
    const train = await ctx.evaluator.train(variant);
    const val = await ctx.evaluator.validate(variant);
    const cmp = ctx.evaluator.compare(this.current, val, ctx.seed + this.iteration);
    const gain = (val.summary.mean ?? -1) - (this.current.summary.mean ?? 0);
    const accepted = ctx.accept === 'significant' ? cmp.ci.low > 0 : gain > 1e-12;
    return {
      variant,
      val,
      record: this.baseRecord(proposal, review, {
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

  /** Writes the iteration memory, moves the current best on acceptance, extends the trajectory. */
  private remember(outcome: Exclude<RoundOutcome, { stop: string }>): void {
    const { ctx } = this;
    this.memory.push(outcome.record);
    ctx.state.put('memory', this.memory);
    this.levels.record(outcome.record.technique, outcome.record.accepted);
    if (outcome.variant && outcome.val) {
      if (outcome.record.accepted) {
        this.best = outcome.variant;
        this.bestVal = outcome.val;
        this.outOfIdeas = false;
      }
      this.trajectory.push(point(this.iteration, outcome.variant, outcome.val, outcome.record.accepted, this.current));
    }
    ctx.emit({
      type: 'validation',
      iteration: this.iteration,
      technique: outcome.record.technique,
      stepsChanged: outcome.record.stepsChanged,
      accepted: outcome.record.accepted,
      ...(outcome.record.discarded !== undefined
        ? { discarded: outcome.record.discarded }
        : { validation: snapshot(outcome.val!), delta: outcome.record.delta! }),
    });
  }

  private attribute(round: number, tag: string): Promise<AttributionReport> {
    const { ctx, best } = this;
    const { task, store } = ctx.env;
    return ctx.state.memo<AttributionReport>(`attribution:${round}:${tag}`, async () => {
      const train = await ctx.evaluator.train(best);
      const report = await attributeFailures(
        {
          variant: best.hash,
          round,
          split: 'train',
          cases: task.datasets.train.cases,
          results: train.results,
          chain: await ctx.env.executor.describe(best),
          prompts: best.prompts,
          goldEvidenceKey: task.manifest.goldEvidence,
          allowedLevels: task.playbook.levels,
          caps: task.playbook.caps,
          tunableParams: task.playbook.tunableParams,
          params: best.params,
        },
        { ...(ctx.roles.analyst ? { analyst: ctx.roles.analyst } : {}), useAnalyst: this.options.analyst },
      );
      store.putDoc(ATTRIBUTION_DOC, `${ctx.state.id}:${round}:${tag}`, report);
      return report;
    });
  }

  private baseRecord(p: Proposal, review: ReviewResult, rest: Partial<VariantMemory>): VariantMemory {
    return {
      kind: 'variant',
      iteration: this.iteration,
      round: this.iteration === 0 ? 0 : this.trajectory.length,
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

  private lastAttribution(): AttributionReport {
    const { store } = this.ctx.env;
    return store.listDocs<AttributionReport>(ATTRIBUTION_DOC, { prefix: `${this.ctx.state.id}:` }).at(-1)!.value;
  }

  private register(p: Proposal): Variant {
    const content = { chainPath: p.chainPath, chainSource: p.chainSource, prompts: p.prompts, params: p.params };
    return this.ctx.env.store.putVariant({
      ...content,
      hash: variantHash(content),
      parent: p.parent.hash,
      level: p.level,
      hypothesis: p.hypothesis,
      technique: p.technique,
      createdBy: `fapo:${this.proposer.name}`,
    });
  }

  private async smokeRun(p: Proposal): Promise<{ ok: boolean; errors: string[] }> {
    const variant = this.register(p);
    const ids = this.ctx.evaluator.trainCaseIds().slice(0, 2);
    const { results } = await this.ctx.evaluator.train(variant, ids, 1);
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
