/** A synthetic finished session (no model runs): variants, trajectory, memory, attribution, usage. */
import type { AttributionReport } from '../../../src/attribution/report.ts';
import type { RunSummary, Variant } from '../../../src/eval/types.ts';
import { type RoleUsage, zeroUsage } from '../../../src/models/meter.ts';
import type { MemoryRecord } from '../../../src/optimize/fapo/memory.ts';
import type { SessionReportInput } from '../../../src/optimize/report/index.ts';
import type { SessionOutcome } from '../../../src/optimize/session.ts';
import type { TrajectoryPoint } from '../../../src/optimize/strategy.ts';
import { PlaybookSchema } from '../../../src/task/schema.ts';

export const HOSTILE_HYPOTHESIS = 'Answers carry explanations <script>alert("x")</script> | so the checker fails';

const hash = (c: string) => c.repeat(64);
export const H = { v1: hash('a'), v2: hash('b'), v3: hash('c'), v4: hash('d'), v5: hash('e') };

function variant(
  seq: number,
  h: string,
  parent: string | null,
  level: Variant['level'],
  prompts: Record<string, string>,
  params: Record<string, unknown>,
  extra: Partial<Variant> = {},
): Variant {
  return {
    hash: h,
    seq,
    parent,
    level,
    chainPath: 'chain.ts',
    chainSource: 'export default chain;\n',
    prompts,
    params,
    createdBy: 'test',
    createdAt: '2026-11-25T00:00:00.000Z',
    ...extra,
  };
}

const BASE_PROMPT = 'Answer the question.\nQuestion: {{question}}\n';
const BRIEF_PROMPT = 'Answer the question with the bare answer only.\nQuestion: {{question}}\n';

export const VARIANTS: Variant[] = [
  variant(1, H.v1, null, 'baseline', { answer: BASE_PROMPT }, { passagesPerHop: 3 }),
  variant(
    2,
    H.v2,
    H.v1,
    'prompt',
    { answer: BRIEF_PROMPT },
    { passagesPerHop: 3 },
    { hypothesis: HOSTILE_HYPOTHESIS, technique: 'format constraints' },
  ),
  variant(3, H.v3, H.v2, 'prompt', { answer: `${BRIEF_PROMPT}Think step by step.\n` }, { passagesPerHop: 3 }),
  variant(4, H.v4, H.v2, 'param', { answer: BRIEF_PROMPT }, { passagesPerHop: 5 }),
  variant(5, H.v5, H.v4, 'prompt', { answer: `${BRIEF_PROMPT}Never decline.\n` }, { passagesPerHop: 5 }),
];

function summary(
  variantHash: string,
  split: RunSummary['split'],
  trialMeans: number[],
  sd: number,
  cases: number,
): RunSummary {
  const counts = { ok: cases * trialMeans.length, task_error: 0, infra_error: 0, scorer_error: 0 };
  return {
    runId: `run-${variantHash.slice(0, 4)}-${split}`,
    variant: variantHash,
    split,
    trials: trialMeans.map((mean, trial) => ({ trial, mean, counts })),
    mean: trialMeans.reduce((a, b) => a + b, 0) / trialMeans.length,
    sd,
    counts,
    cases,
  };
}

const point = (
  iteration: number,
  v: Variant,
  valMean: number | null,
  valSd: number,
  accepted: boolean,
  bestMean: number,
  note?: string,
): TrajectoryPoint => ({
  iteration,
  variant: v.hash,
  seq: v.seq,
  parent: v.parent,
  level: v.level,
  valMean,
  valSd,
  accepted,
  bestMean,
  ...(note ? { note } : {}),
});

export const TRAJECTORY: TrajectoryPoint[] = [
  point(0, VARIANTS[0]!, 0.4, 0.02, true, 0.4),
  point(1, VARIANTS[1]!, 0.5, 0.03, true, 0.5),
  point(2, VARIANTS[2]!, 0.48, 0.04, false, 0.5),
  point(3, VARIANTS[3]!, 0.56, 0.01, true, 0.56),
  point(4, VARIANTS[4]!, null, 0, false, 0.56, 'every trial failed'),
];

const usage = (u: Partial<RoleUsage>): RoleUsage => ({ ...zeroUsage(), ...u });

export const ROLES = {
  task: usage({
    calls: 600,
    cacheHits: 900,
    errors: 2,
    inputTokens: 120000,
    outputTokens: 8000,
    costUsd: 0.25,
    savedCostUsd: 0.375,
    latencyMs: 90000,
  }),
  reviewer: usage({ calls: 4, inputTokens: 6000, outputTokens: 1200, costUsd: 0.03, latencyMs: 8000 }),
};

export function attribution(round: number, variantHash: string): AttributionReport {
  return {
    round,
    variant: variantHash.slice(0, 12),
    cases: [
      {
        caseId: 'train-007',
        label: 'format',
        step: 'answer',
        level: 'prompt',
        confidence: 'high',
        evidence: ['output has 14 words, expected 2'],
        rule: 'format',
        pattern: 'verbose@answer',
        trial: 0,
        trials: { failed: 3, total: 3 },
        credit: 0,
      },
    ],
    clusters: [
      {
        id: 'C1',
        label: 'format',
        step: 'answer',
        level: 'prompt',
        pattern: 'verbose@answer',
        count: 1,
        caseIds: ['train-007'],
        confidence: 'high',
        suggestedFix: 'add brevity/format constraints to answer',
      },
    ],
    levelPartition: {
      prompt: { count: 1, clusters: ['C1'] },
      param: { count: 0, clusters: [] },
      structure: { count: 0, clusters: [] },
    },
    infrastructure: { count: 0, caseIds: [] },
    scorerErrors: { count: 0, caseIds: [] },
    allowedLevels: ['prompt', 'param'],
    recommendedLevel: 'prompt',
    ceilingEstimate: { prompt: 0.7, param: 0.6, structure: 0.6, combined: 0.8 },
    passRate: 0.6,
    evaluatedCases: 10,
    analyst: {
      enabled: false,
      cases: 0,
      calls: 0,
      failures: [],
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    },
  };
}

export const MEMORY: MemoryRecord[] = [
  {
    kind: 'variant',
    iteration: 1,
    round: 1,
    variant: H.v2,
    seq: 2,
    parent: H.v1,
    level: 'prompt',
    stepsChanged: ['answer'],
    hypothesis: HOSTILE_HYPOTHESIS,
    technique: 'format constraints',
    trainMean: 0.55,
    valMean: 0.5,
    valSd: 0.03,
    delta: 0.1,
    ci: { low: 0.04, high: 0.16 },
    pValue: 0.01,
    review: 'pass',
    reviewReasons: [],
    accepted: true,
  },
  {
    kind: 'variant',
    iteration: 2,
    round: 2,
    variant: H.v3,
    seq: 3,
    parent: H.v2,
    level: 'prompt',
    stepsChanged: ['answer'],
    hypothesis: 'reasoning helps',
    technique: 'chain-of-thought',
    trainMean: 0.5,
    valMean: 0.48,
    valSd: 0.04,
    delta: -0.02,
    ci: { low: -0.08, high: 0.03 },
    pValue: 0.5,
    review: 'warn',
    reviewReasons: ['style: long'],
    accepted: false,
  },
  {
    kind: 'exhaustion',
    round: 3,
    level: 'prompt',
    reason: 'plateau',
    finalScore: 0.5,
    variantsTried: 2,
    note: 'no gain after 3 techniques',
  },
  {
    kind: 'variant',
    iteration: 3,
    round: 3,
    variant: H.v4,
    seq: 4,
    parent: H.v2,
    level: 'param',
    stepsChanged: ['params'],
    hypothesis: 'more passages per hop find the second document',
    technique: 'raise k',
    trainMean: 0.6,
    valMean: 0.56,
    valSd: 0.01,
    delta: 0.06,
    ci: { low: 0.01, high: 0.11 },
    pValue: 0.03,
    review: 'pass',
    reviewReasons: [],
    accepted: true,
  },
  {
    kind: 'variant',
    iteration: 4,
    round: 4,
    parent: H.v4,
    level: 'prompt',
    stepsChanged: ['answer'],
    hypothesis: 'copy a train answer',
    technique: 'few-shot',
    review: 'block',
    reviewReasons: ['train-copy: example copied'],
    accepted: false,
    discarded: 'blocked twice',
  },
];

export function sessionInput(opts: { taskModel?: string; reviewerModel?: string } = {}): SessionReportInput {
  const best = VARIANTS[3]!;
  const outcome: SessionOutcome = {
    taskModel: opts.taskModel ?? 'openai:gpt-4.1-mini',
    session: {
      id: 's1',
      config: {
        strategy: 'fapo',
        trials: 3,
        seed: 7,
        concurrency: 4,
        model: opts.taskModel ?? 'sim:default',
        budget: { maxVariants: 50, maxRounds: 10 },
        roles: { reviewer: opts.reviewerModel ?? 'openai:gpt-4o-mini' },
        accept: 'mean',
        sandbox: false,
        strategyOptions: { proposer: 'rule' },
      },
      state: 'complete',
      createdAt: '2026-11-25T00:00:00.000Z',
      finishedAt: '2026-11-25T00:05:00.000Z',
      stopReason: 'every allowed level exhausted',
    },
    scope: PlaybookSchema.parse({ levels: ['prompt', 'param'], caps: { passagesPerHop: 5 } }),
    baseline: VARIANTS[0]!,
    result: {
      best,
      bestValidation: {
        variant: best.hash,
        summary: summary(best.hash, 'val', [0.55, 0.56, 0.57], 0.01, 30),
        perCase: new Map([['v-1', 1]]),
      },
      trajectory: TRAJECTORY,
      stopReason: 'every allowed level exhausted',
    },
    test: {
      baseline: { variant: H.v1, summary: summary(H.v1, 'test', [0.4, 0.42, 0.44], 0.02, 40), perCase: new Map() },
      best: {
        variant: best.hash,
        summary: summary(best.hash, 'test', [0.512, 0.553, 0.594], 0.041, 40),
        perCase: new Map(),
      },
      comparison: { delta: 0.133, ci: { low: 0.05, high: 0.21, level: 0.95 }, pValue: 0.004, cases: 40 },
      evaluations: 2,
    },
    usage: {
      version: 1,
      roles: ROLES,
      total: usage({
        calls: 604,
        cacheHits: 900,
        errors: 2,
        inputTokens: 126000,
        outputTokens: 9200,
        costUsd: 0.28,
        savedCostUsd: 0.375,
        latencyMs: 98000,
      }),
    },
    wallMs: 65432,
  };
  const byRef = new Map(VARIANTS.map((v) => [v.hash, v]));
  return {
    outcome,
    memory: MEMORY,
    attributions: [attribution(3, H.v2), attribution(1, H.v1)],
    store: { getVariant: (ref) => byRef.get(ref), listVariants: () => VARIANTS },
    taskName: 'two-hop-qa',
  };
}
