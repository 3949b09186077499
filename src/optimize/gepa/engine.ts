import { isToolDescription } from '../../chain/tools/descriptions.ts';
import type { ChainStructure } from '../../chain/types.ts';
import type { CaseResult, RunSummary, Variant } from '../../eval/types.ts';
import { variantHash } from '../../eval/variant.ts';
import type { ModelClient } from '../../models/types.ts';
import { BudgetExceededError, FapoError } from '../../util/errors.ts';
import type { ValidationOutcome } from '../evaluator.ts';
import type { StrategyContext, StrategyResult, TrajectoryPoint } from '../strategy.ts';
import { EpochBatchSampler } from './batch-sampler.ts';
import { type MergeView, mergeSubsample, planMerge, rememberTriple } from './merge.ts';
import type { GepaOptions } from './options.ts';
import { selectParent, updateFronts } from './pareto.ts';
import { gepaComponents } from './components.ts';
import {
  type MinibatchCase,
  agentTranscript,
  extractInstruction,
  reflectionPrompt,
  reflectiveDataset,
  repairPlaceholders,
} from './reflection.ts';
import { rngFor } from './rng.ts';
import {
  GEPA_STATE_DOC,
  type GepaCandidate,
  type GepaIteration,
  type GepaProposal,
  type GepaState,
  bestCandidate,
  frontPrograms,
} from './state.ts';
import { COMPONENT_SELECTORS } from './component-selector.ts';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * Per case: mean over trials of the score, failures (non-ok) as 0; traces of llm and agent steps from
 * the first trial (an agent step's output is its transcript: tool calls, their results, the answer).
 */
export function toMinibatchCases(results: CaseResult[], ids: string[]): MinibatchCase[] {
  return ids.map((caseId) => {
    const mine = results.filter((r) => r.caseId === caseId).sort((a, b) => a.trial - b.trial);
    const first = mine[0];
    const feedback =
      first?.feedback ??
      (first && first.status !== 'ok' ? `The run failed (${first.status}): ${first.error ?? 'no details'}` : undefined);
    return {
      caseId,
      score: mine.length ? sum(mine.map((r) => (r.status === 'ok' ? (r.score ?? 0) : 0))) / mine.length : 0,
      ...(feedback !== undefined ? { feedback } : {}),
      steps: (first?.steps ?? [])
        .filter((s) => s.kind === 'llm' || s.kind === 'agent')
        .map((s) => ({
          step: s.name,
          inputs: s.inputs,
          output: s.agent ? agentTranscript(s.output, s.agent) : s.output,
          ...(s.rawText !== undefined ? { rawText: s.rawText } : {}),
          ...(s.error !== undefined ? { error: s.error } : {}),
        })),
    };
  });
}

/**
 * One GEPA run inside a session, as the reference engine runs it (seed on the whole valset; merge
 * first when due; reflective mutation on a minibatch; strict acceptance; full validation of accepted
 * children; best mean validation score at the end). Every evaluation and reflection is a memoized
 * session stage, and every draw comes from a per-purpose seeded stream, so a resumed session replays
 * to exactly the same state without re-paying anything.
 */
export class GepaEngine {
  private readonly state: GepaState;
  private readonly variants: Variant[] = [];
  private readonly sampler: EpochBatchSampler;
  private readonly reflector: ModelClient;
  private readonly trajectory: TrajectoryPoint[] = [];
  /** Full validation outcome per candidate variant (the session reports the best one's). */
  private readonly validations = new Map<string, { summary: RunSummary; scores: Record<string, number> }>();
  /** The text of a tool description no candidate has rewritten yet: what the model sees by default. */
  private readonly defaultTexts: Record<string, string>;

  constructor(
    private readonly ctx: StrategyContext,
    private readonly opts: GepaOptions,
    structure: ChainStructure,
  ) {
    const seed = opts.seed ?? ctx.seed;
    const { stepsByComponent, defaults } = gepaComponents(structure, ctx.baseline.prompts, ctx.baseline.params, [
      ...ctx.env.retrievers.keys(),
    ]);
    this.defaultTexts = defaults;
    const components = Object.keys(stepsByComponent);
    if (components.length === 0) {
      throw new FapoError(
        `GEPA: chain "${structure.name}" has no llm or agent step with a prompt template to optimize`,
        'GEPA rewrites the prompt templates of llm and agent steps and the descriptions of agent tools; add one, or use another strategy.',
      );
    }
    const valIds = ctx.env.task.datasets.val.cases.map((c) => c.id);
    this.state = {
      version: 1,
      seed,
      maxMetricCalls: opts.maxMetricCalls,
      components,
      stepsByComponent,
      valIds,
      candidates: [],
      pointers: [],
      fronts: {},
      iterations: [],
      metricCalls: 0,
      merge: {
        due: 0,
        totalAccepted: 0,
        lastIterationFoundNewProgram: false,
        memory: { triples: [], compositions: [] },
      },
    };
    this.sampler = new EpochBatchSampler(ctx.evaluator.trainCaseIds(), opts.minibatchSize, seed);
    this.reflector = ctx.roles.reflection ?? reflectionClient(ctx, opts.reflectionModel ?? ctx.env.model.id);
  }

  async run(): Promise<StrategyResult> {
    const { ctx, opts, state } = this;
    const b = opts.minibatchSize;
    const v = state.valIds.length * opts.valTrials;
    const needed = v + 3 * (b + v);
    ctx.emit({
      type: 'gepa-start',
      components: state.components,
      valCases: state.valIds.length,
      minibatch: b,
      maxMetricCalls: opts.maxMetricCalls,
      seed: state.seed,
      reflection: this.reflector.id,
      ...(opts.maxMetricCalls < needed ? { shortBudget: { needed } } : {}),
    });
    try {
      await this.addCandidate(ctx.baseline, [], 'seed', -1, 'seed:val');
      this.trajectory.push(this.point(-1, 0, true, 'seed'));
      for (let i = 0; ; i++) {
        const stop = await this.stopReason(i);
        if (stop) {
          state.stopReason = stop;
          break;
        }
        const record = (await this.tryMerge(i)) ?? (await this.mutate(i));
        this.finishIteration(record);
      }
    } catch (err) {
      if (!(err instanceof BudgetExceededError)) throw err;
      state.stopReason = `${err.message} (stopped mid-iteration; candidates validated so far are kept)`;
    }
    state.best = bestCandidate(state.candidates);
    this.persist();
    const best = this.variants[state.best]!;
    const validated = this.validations.get(best.hash)!;
    const bestValidation: ValidationOutcome = {
      variant: best.hash,
      summary: validated.summary,
      perCase: new Map(Object.entries(validated.scores)),
    };
    ctx.emit({
      type: 'gepa-best',
      candidate: state.best,
      variantSeq: best.seq,
      valMean: state.candidates[state.best]!.valMean,
      metricCalls: state.metricCalls,
      candidates: state.candidates.length,
    });
    return { best, bestValidation, trajectory: this.trajectory, stopReason: state.stopReason ?? 'stopped' };
  }

  get snapshot(): GepaState {
    return this.state;
  }

  /** Stoppers are checked only at the top of an iteration, as in the reference (a run may overshoot by ≤ 2b + |V|). */
  private async stopReason(i: number): Promise<string | undefined> {
    const { state, opts, ctx } = this;
    if (state.metricCalls >= opts.maxMetricCalls)
      return `metric-call budget used: ${state.metricCalls} of ${opts.maxMetricCalls}`;
    const maxWallMs = ctx.budget.options.maxWallMs;
    if (maxWallMs === undefined) return undefined;
    // Memoized so a resumed session takes the same decision the original run took here.
    const wall = await ctx.state.memo(`gepa:i${i}:wall`, () =>
      ctx.budget.wallMs >= maxWallMs ? `wall-time budget (${maxWallMs} ms) used` : '',
    );
    return wall || undefined;
  }

  private async tryMerge(i: number): Promise<GepaIteration | undefined> {
    const { state, opts } = this;
    const m = state.merge;
    if (!opts.useMerge) return undefined;
    if (!(m.due > 0 && m.lastIterationFoundNewProgram)) {
      m.lastIterationFoundNewProgram = false;
      return undefined;
    }
    m.lastIterationFoundNewProgram = false;
    const rng = rngFor(state.seed, `merge:${i}`);
    const view: MergeView = {
      components: state.components,
      prompts: state.candidates.map((c) => c.prompts),
      parents: state.candidates.map((c) => c.parents),
      aggregate: state.candidates.map((c) => c.valMean),
    };
    const overlapOk = (a: number, c: number) =>
      Object.keys(state.candidates[a]!.valScores).filter((id) => id in state.candidates[c]!.valScores).length >=
      opts.mergeValOverlapFloor;
    const plan = planMerge(rng, view, frontPrograms(state), m.memory, overlapOk);
    if (!plan) return undefined;
    const [ci, cj] = [state.candidates[plan.i]!, state.candidates[plan.j]!];
    const subsample = mergeSubsample(
      rngFor(state.seed, `merge-subsample:${i}`),
      ci.valScores,
      cj.valScores,
      opts.mergeSubsampleSize,
    );
    if (subsample.length === 0) {
      rememberTriple(m.memory, plan);
      return undefined;
    }
    const child = this.putChild(
      plan.prompts,
      ci.variant,
      `GEPA merge of candidates #${plan.i} and #${plan.j} (common ancestor #${plan.ancestor})`,
      'gepa-merge',
    );
    const childScores = await this.validateScores(`gepa:i${i}:merge-gate`, child, subsample);
    rememberTriple(m.memory, plan);
    const parentSums: [number, number] = [
      sum(subsample.map((id) => ci.valScores[id]!)),
      sum(subsample.map((id) => cj.valScores[id]!)),
    ];
    const childSum = sum(subsample.map((id) => childScores[id]!));
    const accepted = childSum >= Math.max(...parentSums);
    const record: GepaIteration = {
      iteration: i,
      kind: 'merge',
      proposals: [],
      merge: {
        i: plan.i,
        j: plan.j,
        ancestor: plan.ancestor,
        takenFrom: plan.takenFrom,
        subsample,
        parentSums,
        childSum,
      },
      child: child.hash,
      accepted,
      metricCallsAfter: 0,
      front: [],
    };
    if (accepted) {
      if (this.indexOf(child.hash) !== undefined) record.note = 'duplicate of an existing candidate';
      else {
        record.added = await this.addCandidate(child, [plan.i, plan.j], 'merge', i, `gepa:i${i}:val`);
        m.due--;
        m.totalAccepted++;
      }
    }
    this.trajectory.push(
      this.point(
        i,
        record.added,
        accepted,
        `merge #${plan.i} + #${plan.j}: subsample ${childSum} vs ${parentSums.join('/')}`,
        child,
      ),
    );
    return record;
  }

  private async mutate(i: number): Promise<GepaIteration> {
    const { state, opts } = this;
    const parent = selectParent(rngFor(state.seed, `parent:${i}`), state.fronts, (p) => state.candidates[p]!.valMean);
    const parentCandidate = state.candidates[parent]!;
    const minibatch = this.sampler.next(i);
    const before = await this.minibatch(`gepa:i${i}:parent`, this.variants[parent]!, minibatch);
    const scoresBefore = before.map((c) => c.score);
    const record: GepaIteration = {
      iteration: i,
      kind: 'mutation',
      parent,
      minibatch,
      scoresBefore,
      proposals: [],
      accepted: false,
      metricCallsAfter: 0,
      front: [],
    };
    if (opts.skipPerfectScore && scoresBefore.every((s) => s >= opts.perfectScore)) {
      record.note = 'skipped: perfect minibatch';
      return record;
    }
    const components = this.selectComponents(parent);
    const newTexts: Record<string, string> = {};
    for (const component of components) {
      const records = reflectiveDataset(
        before,
        new Set(state.stepsByComponent[component]),
        rngFor(state.seed, `dataset:${i}:${component}`),
      );
      if (records.length === 0) continue;
      const proposal = await this.reflect(
        `gepa:i${i}:reflect:${component}`,
        component,
        parentCandidate.prompts[component] ?? this.defaultTexts[component]!,
        records,
      );
      record.proposals.push(proposal);
      newTexts[component] = proposal.newText;
    }
    if (record.proposals.length === 0) {
      record.note = 'no step records for the selected components: nothing to reflect on';
      return record;
    }
    const child = this.putChild(
      { ...parentCandidate.prompts, ...newTexts },
      parentCandidate.variant,
      `GEPA reflection on ${Object.keys(newTexts).join(', ')} of candidate #${parent}`,
      'gepa-reflection',
    );
    record.child = child.hash;
    const after = await this.minibatch(`gepa:i${i}:child`, child, minibatch);
    record.scoresAfter = after.map((c) => c.score);
    record.accepted = sum(record.scoresAfter) > sum(scoresBefore);
    if (record.accepted) {
      if (this.indexOf(child.hash) !== undefined) record.note = 'duplicate of an existing candidate';
      else {
        record.added = await this.addCandidate(child, [parent], 'mutation', i, `gepa:i${i}:val`);
        state.merge.lastIterationFoundNewProgram = true;
        if (opts.useMerge && state.merge.totalAccepted < opts.maxMergeInvocations) state.merge.due++;
      }
    }
    const note = `#${parent} → ${Object.keys(newTexts).join(', ')}: minibatch ${sum(scoresBefore)} → ${sum(record.scoresAfter)}`;
    this.trajectory.push(this.point(i, record.added, record.accepted, note, child));
    return record;
  }

  private selectComponents(candidate: number): string[] {
    return COMPONENT_SELECTORS[this.opts.componentSelector].select(this.state, candidate);
  }

  private async reflect(
    key: string,
    component: string,
    current: string,
    records: ReturnType<typeof reflectiveDataset>,
  ): Promise<GepaProposal> {
    const tool = isToolDescription(component) ? component.slice(component.indexOf('/') + 1) : undefined;
    const prompt = reflectionPrompt(current, records, tool);
    const raw = await this.ctx.state.memo(key, async () => {
      const response = await this.reflector.generate({
        messages: [{ role: 'user', content: prompt }],
        sampling: { temperature: this.opts.reflectionTemperature, maxTokens: this.opts.reflectionMaxTokens },
        sampleKey: key,
        role: 'reflection',
      });
      return response.text;
    });
    const repaired = repairPlaceholders(current, extractInstruction(raw));
    if (repaired.restored.length)
      this.ctx.emit({ type: 'gepa-placeholders-restored', component, restored: repaired.restored });
    return {
      component,
      reflectionPrompt: prompt,
      rawOutput: raw,
      newText: repaired.text,
      restoredPlaceholders: repaired.restored,
    };
  }

  private async minibatch(key: string, variant: Variant, ids: string[]): Promise<MinibatchCase[]> {
    const cases = await this.ctx.state.memo(key, async () =>
      toMinibatchCases((await this.ctx.evaluator.train(variant, ids, this.opts.trainTrials)).results, ids),
    );
    this.state.metricCalls += ids.length * this.opts.trainTrials;
    return cases;
  }

  /** Validation scores per case (failed cases as 0), on the whole valset or the given ids. */
  private async validateScores(key: string, variant: Variant, ids?: string[]): Promise<Record<string, number>> {
    const wanted = ids ?? this.state.valIds;
    const validated = await this.ctx.state.memo(key, async () => {
      const outcome = await this.ctx.evaluator.validate(variant, this.opts.valTrials, ids);
      return {
        summary: outcome.summary,
        scores: Object.fromEntries(wanted.map((id) => [id, outcome.perCase.get(id) ?? 0])),
      };
    });
    this.state.metricCalls += wanted.length * this.opts.valTrials;
    if (!ids) this.validations.set(variant.hash, validated);
    return validated.scores;
  }

  private async addCandidate(
    variant: Variant,
    parents: number[],
    origin: GepaCandidate['origin'],
    iteration: number,
    key: string,
  ): Promise<number> {
    const { state } = this;
    const valScores = await this.validateScores(key, variant);
    const index = state.candidates.length;
    const values = Object.values(valScores);
    state.candidates.push({
      index,
      variant: variant.hash,
      seq: variant.seq,
      parents,
      origin,
      iteration,
      prompts: variant.prompts,
      valScores,
      valMean: values.length ? sum(values) / values.length : 0,
      metricCallsAtDiscovery: state.metricCalls,
    });
    this.variants.push(variant);
    // A child continues the round robin where its parents are furthest along.
    state.pointers.push(parents.length ? Math.max(...parents.map((p) => state.pointers[p]!)) : 0);
    updateFronts(state.fronts, index, valScores);
    return index;
  }

  private putChild(
    prompts: Record<string, string>,
    parentHash: string,
    hypothesis: string,
    technique: string,
  ): Variant {
    const base = this.ctx.baseline;
    const content = { chainPath: base.chainPath, chainSource: base.chainSource, prompts, params: base.params };
    return this.ctx.env.store.putVariant({
      ...content,
      hash: variantHash(content),
      parent: parentHash,
      level: 'prompt',
      hypothesis,
      technique,
      createdBy: 'gepa',
    });
  }

  private indexOf(hash: string): number | undefined {
    return this.state.candidates.find((c) => c.variant === hash)?.index;
  }

  private finishIteration(record: GepaIteration): void {
    record.metricCallsAfter = this.state.metricCalls;
    record.front = frontPrograms(this.state);
    this.state.iterations.push(record);
    const what =
      record.kind === 'merge'
        ? `merge #${record.merge!.i} + #${record.merge!.j}`
        : `parent #${record.parent} [${record.minibatch!.join(' ')}]`;
    const outcome = record.note ?? (record.accepted ? `accepted as #${record.added}` : 'rejected');
    this.ctx.emit({
      type: 'gepa-iteration',
      iteration: record.iteration,
      move: what,
      outcome,
      metricCalls: record.metricCallsAfter,
      front: record.front,
    });
    this.persist();
  }

  private persist(): void {
    this.ctx.state.put(GEPA_STATE_DOC, this.state);
  }

  private point(
    iteration: number,
    added: number | undefined,
    accepted: boolean,
    note: string,
    variant?: Variant,
  ): TrajectoryPoint {
    const { candidates } = this.state;
    const c = added !== undefined ? candidates[added] : undefined;
    const v = variant ?? this.variants[0]!;
    return {
      iteration,
      variant: v.hash,
      seq: v.seq,
      parent: v.parent,
      level: v.level,
      valMean: c ? c.valMean : null,
      valSd: 0,
      accepted,
      bestMean: candidates[bestCandidate(candidates)]!.valMean,
      note,
    };
  }
}

function reflectionClient(ctx: StrategyContext, id: string): ModelClient {
  const client = ctx.env.client(id);
  return { id: client.id, generate: (req) => client.generate({ ...req, role: 'reflection' }) };
}
