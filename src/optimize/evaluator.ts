import { type Environment, evaluationInputs } from '../eval/environment.ts';
import { evaluateUntilAnswered, type RunBudgetExceededError, requireAllAnswered } from '../eval/runner.ts';
import { pairedBootstrap, pairedPermutationTest } from '../eval/stats.ts';
import type { CaseResult, RunSummary, Variant } from '../eval/types.ts';
import type { Split } from '../task/schema.ts';
import { FapoError } from '../util/errors.ts';

/** Validation as an optimizer may see it: aggregates, plus per-case means kept for paired statistics. */
export interface ValidationOutcome {
  variant: string;
  summary: RunSummary;
  /** Mean score per case over trials (ok results, task errors as 0): for paired comparisons only. */
  perCase: Map<string, number>;
}

export interface Comparison {
  delta: number;
  /** Paired bootstrap CI of the mean per-case difference (candidate − incumbent). */
  ci: { low: number; high: number; level: number };
  pValue: number;
  cases: number;
}

export class TestSealedError extends FapoError {
  constructor() {
    super(
      'the test split is sealed until the optimization ends',
      'Test is evaluated once, on the final selected variant, by the session itself.',
    );
    this.name = 'TestSealedError';
  }
}

/**
 * The only way an optimizer reaches data. Train results are visible case by case; validation
 * returns aggregates (per-case means stay here for paired statistics); test is sealed until the
 * session unseals it once, at the end, and every test evaluation is counted.
 */
export class EvaluationService {
  private sealed = true;
  testEvaluations = 0;

  constructor(
    private readonly env: Environment,
    private readonly opts: {
      trials: number;
      concurrency: number;
      sessionId: string;
      onProgress?: (label: string, done: number, total: number) => void;
    },
  ) {}

  get trials(): number {
    return this.opts.trials;
  }

  trainCaseIds(): string[] {
    return this.env.task.datasets.train.cases.map((c) => c.id);
  }

  async train(
    variant: Variant,
    caseIds?: string[],
    trials = this.opts.trials,
  ): Promise<{ summary: RunSummary; results: CaseResult[] }> {
    const outcome = await this.run(variant, 'train', trials, caseIds);
    return { summary: outcome.summary, results: this.env.store.resultsFor(outcome.run.id) };
  }

  /** `caseIds`: a subset of the validation cases (e.g. GEPA's merge gate); default the whole split. */
  async validate(variant: Variant, trials = this.opts.trials, caseIds?: string[]): Promise<ValidationOutcome> {
    const outcome = await this.run(variant, 'val', trials, caseIds);
    return { variant: variant.hash, summary: outcome.summary, perCase: this.perCaseMeans(outcome.run.id) };
  }

  /** Called by the session once the search is over; before that every test request is refused. */
  unsealTest(): void {
    this.sealed = false;
  }

  async test(variant: Variant): Promise<ValidationOutcome> {
    if (this.sealed) throw new TestSealedError();
    this.testEvaluations++;
    const outcome = await this.run(variant, 'test', this.opts.trials, undefined, 'test');
    requireAllAnswered(outcome, `the test evaluation of v${variant.seq}`);
    return { variant: variant.hash, summary: outcome.summary, perCase: this.perCaseMeans(outcome.run.id) };
  }

  /** What a budget-stopped evaluation got done: its stored results (fewer cases than asked). */
  partial(variant: Variant, stopped: RunBudgetExceededError): ValidationOutcome {
    return {
      variant: variant.hash,
      summary: this.env.store.summarize(stopped.runId),
      perCase: this.perCaseMeans(stopped.runId),
    };
  }

  compare(incumbent: ValidationOutcome, candidate: ValidationOutcome, seed = 1): Comparison {
    const ids = [...candidate.perCase.keys()].filter((id) => incumbent.perCase.has(id));
    const a = ids.map((id) => candidate.perCase.get(id)!);
    const b = ids.map((id) => incumbent.perCase.get(id)!);
    if (ids.length === 0) return { delta: 0, ci: { low: 0, high: 0, level: 0.95 }, pValue: 1, cases: 0 };
    const boot = pairedBootstrap(a, b, { seed });
    return {
      delta: boot.meanDiff,
      ci: { low: boot.low, high: boot.high, level: 0.95 },
      pValue: pairedPermutationTest(a, b, { seed }),
      cases: ids.length,
    };
  }

  private run(variant: Variant, split: Split, trials: number, caseIds?: string[], role = 'task') {
    const label = `${split} v${variant.seq}`;
    return evaluateUntilAnswered({
      ...evaluationInputs(this.env),
      variant,
      split,
      trials,
      concurrency: this.opts.concurrency,
      caseIds,
      purpose: `optimize:${this.opts.sessionId}`,
      role,
      onResult: (_r, p) => this.opts.onProgress?.(label, p.done, p.total),
    });
  }

  private perCaseMeans(runId: string): Map<string, number> {
    const sums = new Map<string, { sum: number; n: number }>();
    for (const r of this.env.store.results(runId)) {
      if (r.status !== 'ok' && r.status !== 'task_error') continue;
      const s = sums.get(r.caseId) ?? { sum: 0, n: 0 };
      s.sum += r.status === 'ok' ? (r.score ?? 0) : 0;
      s.n++;
      sums.set(r.caseId, s);
    }
    return new Map([...sums].map(([id, s]) => [id, s.sum / s.n]));
  }
}
