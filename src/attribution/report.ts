/** The attribution report and its entry point: rules → (analyst) → clusters → level partition. */
import type { ChainStructure } from '../chain/types.ts';
import type { CaseResult } from '../eval/types.ts';
import type { ModelClient, Sampling } from '../models/types.ts';
import type { Case, Level, Split } from '../task/schema.ts';
import { FapoError } from '../util/errors.ts';
import { analyseFailures, type AnalystFailure } from './analyst.ts';
import { clusterFailures, type FailureCluster } from './cluster.ts';
import { attributeCaseByRules, type RuleContext } from './rules.ts';
import { LEVEL_COST_ORDER, type CaseAttribution } from './types.ts';

export interface AttributionInput {
  variant: string;
  round?: number;
  /** Where the cases come from; anything but `train` is refused (validation/test never reach attribution). */
  split?: Split;
  /** Train cases with input, expected and metadata (joined to the results by id). */
  cases: Case[];
  /** Results of every trial of those cases. */
  results: CaseResult[];
  chain: ChainStructure;
  prompts: Record<string, string>;
  /** `metadata` key holding gold evidence titles, from the task manifest. */
  goldEvidenceKey?: string;
  /** The scope's allowed levels (playbook `levels`). */
  allowedLevels: Level[];
  /** The scope's caps (playbook `caps`, e.g. passagesPerHop, hops): retrieval param headroom. */
  caps?: Record<string, number>;
  /** Playbook `tunableParams` (empty = any). */
  tunableParams?: string[];
  /** The variant's params (params.json). */
  params?: Record<string, unknown>;
}

export interface AttributeOptions {
  analyst?: ModelClient;
  /** false switches phase 2 off even when an analyst is given (ablation). Default true. */
  useAnalyst?: boolean;
  /** Cases per analyst call. Default 5. */
  analystBatchSize?: number;
  /** At most this many cases go to the analyst. Default 20. */
  maxAnalystCases?: number;
  /** Also send medium-confidence cases. Default false. */
  analystIncludeMedium?: boolean;
  analystSampling?: Sampling;
  /** Input field holding the question for the overlap rule. */
  questionKey?: string;
  signal?: AbortSignal;
}

export interface LevelBucket {
  /** Failed cases attributed to this level. */
  count: number;
  /** Ids of the clusters at this level. */
  clusters: string[];
}

export interface AttributionReport {
  round?: number;
  variant: string;
  /** One entry per failed train case. */
  cases: CaseAttribution[];
  clusters: FailureCluster[];
  levelPartition: Record<Level, LevelBucket>;
  /** Cases whose every trial was an infrastructure error: not failures of the pipeline. */
  infrastructure: { count: number; caseIds: string[] };
  /** Cases whose every trial hit a scorer error (or infra + scorer): not failures of the pipeline either. */
  scorerErrors: { count: number; caseIds: string[] };
  allowedLevels: Level[];
  recommendedLevel: Level;
  ceilingEstimate: { prompt: number; param: number; structure: number; combined: number };
  /** Mean over attributed cases of the fraction of their trials that passed (score ≥ 1). */
  passRate: number;
  /** Cases with at least one ok or task_error trial: the denominator of passRate and the ceilings. */
  evaluatedCases: number;
  analyst: {
    enabled: boolean;
    cases: number;
    calls: number;
    failures: AnalystFailure[];
    usage: { inputTokens: number; outputTokens: number; costUsd: number };
  };
}

const DEFAULT_ANALYST_SAMPLING: Sampling = { temperature: 0, maxTokens: 2000 };

function indexCases(cases: Case[]): Map<string, Case> {
  const byId = new Map<string, Case>();
  for (const testCase of cases) {
    if (byId.has(testCase.id))
      throw new FapoError(`attribution: duplicate train case id ${testCase.id}`, 'case ids must be unique per split');
    byId.set(testCase.id, testCase);
  }
  return byId;
}

function groupResults(results: CaseResult[], casesById: Map<string, Case>): Map<string, CaseResult[]> {
  const byCase = new Map<string, CaseResult[]>();
  for (const result of results) {
    if (!casesById.has(result.caseId)) {
      throw new FapoError(
        `attribution: result for case ${result.caseId} (trial ${result.trial}) has no matching train case`,
        "pass the train cases that were evaluated: attribution needs each case's input, expected and metadata",
      );
    }
    byCase.set(result.caseId, [...(byCase.get(result.caseId) ?? []), result]);
  }
  return byCase;
}

/** The allowed level with the most failed cases; ties (and no failures) go to the cheaper level. */
export function recommendLevel(partition: Record<Level, LevelBucket>, allowedLevels: Level[]): Level {
  const allowed = LEVEL_COST_ORDER.filter((level) => allowedLevels.includes(level));
  return allowed.reduce((best, level) => (partition[level].count > partition[best].count ? level : best), allowed[0]!);
}

/**
 * Optimistic ceilings: each level's ceiling is the current pass rate plus the not-yet-passing share of
 * every failure attributed to that level, as if a change at that level fixed all of them (an upper
 * bound: diagnoses can be wrong and fixes can break passing cases). `combined` adds up the failures of
 * the ALLOWED levels only — over every level it would be 1 by construction, since every failure is
 * attributed to some level.
 */
function ceilings(attributions: CaseAttribution[], passRate: number, evaluated: number, allowedLevels: Level[]) {
  const gain = (keep: (a: CaseAttribution) => boolean) =>
    evaluated === 0 ? 0 : attributions.filter(keep).reduce((sum, a) => sum + (1 - a.credit), 0) / evaluated;
  const cap = (value: number) => Math.min(1, passRate + value);
  return {
    prompt: cap(gain((a) => a.level === 'prompt')),
    param: cap(gain((a) => a.level === 'param')),
    structure: cap(gain((a) => a.level === 'structure')),
    combined: cap(gain((a) => allowedLevels.includes(a.level))),
  };
}

/**
 * Attributes the failed train cases of one evaluation. Multiple trials: each failed trial is diagnosed
 * and the case takes its most frequent diagnosis (see attributeCaseByRules); a case counts as failed
 * when any ok/task_error trial failed, and its `credit` is the share of trials that passed.
 */
export async function attributeFailures(
  input: AttributionInput,
  options: AttributeOptions = {},
): Promise<AttributionReport> {
  if (input.split !== undefined && input.split !== 'train') {
    throw new FapoError(
      `attribution refuses ${input.split} cases`,
      'attribute train failures only; validation and test never reach the optimizer',
    );
  }
  if (input.allowedLevels.length === 0)
    throw new FapoError('attribution: allowedLevels is empty', 'pass the playbook levels, e.g. ["prompt"]');
  const casesById = indexCases(input.cases);
  const resultsByCase = groupResults(input.results, casesById);
  const ctx: RuleContext = {
    chain: input.chain,
    goldEvidenceKey: input.goldEvidenceKey,
    questionKey: options.questionKey,
    scope: { caps: input.caps, tunableParams: input.tunableParams, params: input.params },
  };

  const infrastructure: string[] = [];
  const scorerErrors: string[] = [];
  let attributions: CaseAttribution[] = [];
  let evaluated = 0;
  let passedShare = 0;
  for (const testCase of input.cases) {
    const results = resultsByCase.get(testCase.id);
    if (!results) continue;
    const considered = results.filter((r) => r.status === 'ok' || r.status === 'task_error');
    if (considered.length === 0) {
      (results.some((r) => r.status === 'scorer_error') ? scorerErrors : infrastructure).push(testCase.id);
      continue;
    }
    evaluated += 1;
    const attribution = attributeCaseByRules(testCase, results, ctx);
    if (attribution) attributions.push(attribution);
    passedShare += attribution ? attribution.credit : 1;
  }

  const analystEnabled = options.analyst !== undefined && options.useAnalyst !== false;
  const analyst: AttributionReport['analyst'] = {
    enabled: analystEnabled,
    cases: 0,
    calls: 0,
    failures: [],
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
  };
  if (analystEnabled) {
    const outcome = await analyseFailures(
      attributions,
      { chain: input.chain, prompts: input.prompts, casesById, resultsByCase },
      {
        client: options.analyst!,
        batchSize: options.analystBatchSize ?? 5,
        maxCases: options.maxAnalystCases ?? 20,
        includeMedium: options.analystIncludeMedium ?? false,
        sampling: options.analystSampling ?? DEFAULT_ANALYST_SAMPLING,
        signal: options.signal,
      },
    );
    attributions = outcome.attributions;
    Object.assign(analyst, {
      cases: outcome.cases,
      calls: outcome.calls,
      failures: outcome.failures,
      usage: outcome.usage,
    });
  }

  const clusters = clusterFailures(attributions);
  const levelPartition = Object.fromEntries(
    LEVEL_COST_ORDER.map((level) => [
      level,
      {
        count: attributions.filter((a) => a.level === level).length,
        clusters: clusters.filter((c) => c.level === level).map((c) => c.id),
      },
    ]),
  ) as Record<Level, LevelBucket>;
  const passRate = evaluated === 0 ? 0 : passedShare / evaluated;

  return {
    ...(input.round !== undefined ? { round: input.round } : {}),
    variant: input.variant,
    cases: attributions,
    clusters,
    levelPartition,
    infrastructure: { count: infrastructure.length, caseIds: infrastructure },
    scorerErrors: { count: scorerErrors.length, caseIds: scorerErrors },
    allowedLevels: [...input.allowedLevels],
    recommendedLevel: recommendLevel(levelPartition, input.allowedLevels),
    ceilingEstimate: ceilings(attributions, passRate, evaluated, input.allowedLevels),
    passRate,
    evaluatedCases: evaluated,
    analyst,
  };
}
