/** The study's table from bench cell results: pure, so it is tested on hand-made cells. */
import { aggregateTrialMeans, holmAdjust, pairedBootstrap, pairedPermutationTest } from '../eval/stats.ts';
import type { BenchStrategy, CellResult } from './cells.ts';

/** What the table reads from a cell; judged PUPA scores become cells of the pseudo-task `pupa-judged`. */
export type TableCell = Pick<
  CellResult,
  'model' | 'strategy' | 'trial' | 'status' | 'reason' | 'perCase' | 'usage' | 'wallMs'
> & { task: string; test?: { mean: number | null } };

export const PUPA_JUDGED = 'pupa-judged';

function withJudged(cells: readonly CellResult[]): TableCell[] {
  return cells.flatMap((c): TableCell[] =>
    c.judged
      ? [
          c,
          {
            task: PUPA_JUDGED,
            model: c.model,
            strategy: c.strategy,
            trial: c.trial,
            status: c.status,
            perCase: c.judged.perCase,
            test: { mean: c.judged.mean },
            usage: c.judged.usage,
            wallMs: 0,
          },
        ]
      : [c],
  );
}

export interface Compute {
  calls: number;
  tokens: number;
  costUsd: number;
  wallMs: number;
}

export interface StrategyRow {
  task: string;
  model: string;
  strategy: BenchStrategy;
  status: 'complete' | 'partial' | 'not-available';
  reason?: string;
  /** Test mean per completed trial, in [0,1]. */
  trialMeans: (number | null)[];
  /** Mean and sample sd of the trial means, in [0,1]. */
  mean: number | null;
  sd: number;
  /** Summed over trials; every role (task, test, optimizer roles). */
  compute: Compute;
}

export interface PairedComparison {
  task: string;
  model: string;
  a: BenchStrategy;
  b: BenchStrategy;
  /** mean(a) − mean(b) over (trial, case) pairs, in points (×100). */
  deltaPoints: number;
  ci: { low: number; high: number };
  pValue: number;
  /** Holm-adjusted over every comparison in the table. */
  pHolm: number;
  pairs: number;
}

export interface StudyTable {
  rows: StrategyRow[];
  comparisons: PairedComparison[];
  /** FAPO against GEPA over (task, model) cells where both completed. */
  wins: {
    wins: number;
    ties: number;
    losses: number;
    cells: number;
    significantWins: number;
    significantLosses: number;
  };
}

const PAIRS: [BenchStrategy, BenchStrategy][] = [
  ['fapo', 'gepa'],
  ['fapo', 'baseline'],
  ['gepa', 'baseline'],
];

export function buildStudyTable(input: readonly CellResult[], seed = 1): StudyTable {
  const cells = withJudged(input);
  const groups = new Map<string, TableCell[]>();
  for (const c of cells) {
    const key = `${c.task}\u0000${c.model}\u0000${c.strategy}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const rows = [...groups.values()].map(toRow);
  const raw: Omit<PairedComparison, 'pHolm'>[] = [];
  for (const taskModel of new Set(rows.map((r) => `${r.task}\u0000${r.model}`))) {
    const [task, model] = taskModel.split('\u0000') as [string, string];
    for (const [a, b] of PAIRS) {
      const cmp = compare(
        cells.filter((c) => c.task === task && c.model === model),
        a,
        b,
        seed,
      );
      if (cmp) raw.push({ task, model, a, b, ...cmp });
    }
  }
  const adjusted = holmAdjust(raw.map((c) => c.pValue));
  const comparisons = raw.map((c, i) => ({ ...c, pHolm: adjusted[i]! }));
  const head = comparisons.filter((c) => c.a === 'fapo' && c.b === 'gepa');
  const wins = {
    wins: head.filter((c) => c.deltaPoints > 0).length,
    ties: head.filter((c) => c.deltaPoints === 0).length,
    losses: head.filter((c) => c.deltaPoints < 0).length,
    cells: head.length,
    significantWins: head.filter((c) => c.deltaPoints > 0 && c.pHolm < 0.05).length,
    significantLosses: head.filter((c) => c.deltaPoints < 0 && c.pHolm < 0.05).length,
  };
  return { rows, comparisons, wins };
}

function toRow(cells: TableCell[]): StrategyRow {
  const first = cells[0]!;
  const done = cells.filter((c) => c.status === 'complete').sort((x, y) => x.trial - y.trial);
  const trialMeans = done.map((c) => c.test?.mean ?? null);
  const { mean, sd } = aggregateTrialMeans(trialMeans);
  const compute = done.reduce<Compute>(
    (acc, c) => ({
      calls: acc.calls + (c.usage?.total.calls ?? 0),
      tokens: acc.tokens + (c.usage ? c.usage.total.inputTokens + c.usage.total.outputTokens : 0),
      costUsd: acc.costUsd + (c.usage?.total.costUsd ?? 0),
      wallMs: acc.wallMs + (c.wallMs ?? 0),
    }),
    { calls: 0, tokens: 0, costUsd: 0, wallMs: 0 },
  );
  const status = done.length === 0 ? 'not-available' : done.length === cells.length ? 'complete' : 'partial';
  const reason = cells.find((c) => c.reason)?.reason;
  return {
    task: first.task,
    model: first.model,
    strategy: first.strategy,
    status,
    ...(reason ? { reason } : {}),
    trialMeans,
    mean,
    sd,
    compute,
  };
}

/** Paired over (trial, case): trial t of strategy a against trial t of strategy b, on the same test case. */
function compare(
  cells: readonly TableCell[],
  a: BenchStrategy,
  b: BenchStrategy,
  seed: number,
): Omit<PairedComparison, 'task' | 'model' | 'a' | 'b' | 'pHolm'> | undefined {
  const scores = (s: BenchStrategy) => {
    const m = new Map<string, number>();
    for (const c of cells) {
      if (c.strategy !== s || c.status !== 'complete' || !c.perCase) continue;
      for (const [id, v] of Object.entries(c.perCase)) m.set(`${c.trial}\u0000${id}`, v);
    }
    return m;
  };
  const sa = scores(a);
  const sb = scores(b);
  const keys = [...sa.keys()].filter((k) => sb.has(k)).sort();
  if (keys.length === 0) return undefined;
  const xs = keys.map((k) => sa.get(k)!);
  const ys = keys.map((k) => sb.get(k)!);
  const boot = pairedBootstrap(xs, ys, { seed });
  return {
    deltaPoints: 100 * boot.meanDiff,
    ci: { low: 100 * boot.low, high: 100 * boot.high },
    pValue: pairedPermutationTest(xs, ys, { seed }),
    pairs: keys.length,
  };
}

const STRATEGY_TITLE: Record<BenchStrategy, string> = { baseline: 'Baseline', gepa: 'GEPA', fapo: 'FAPO' };

/** How each task's numbers must be labelled (benchmarks.md §11); details in each DEVIATIONS.md. */
export const TASK_LABELS: Record<string, string> = {
  hotpotqa: 'EM; reduced 10,785-paragraph corpus; questions from the HotpotQA dev set',
  hover: 'all gold titles retrieved; 151-claim subset (2-4 hops), reduced 10,785-paragraph corpus',
  ifbench: 'instruction-level loose fraction; train/val carved from IFBench test (disjoint instruction types)',
  pupa: 'quality = token-F1 stand-in (no LLM judge), leakage = verbatim PII count; not the paper metric',
  [PUPA_JUDGED]:
    'the same PUPA test outputs re-scored by the LLM judge (--pupa-judge): quality asked twice with swapped answers, leakage counted by the judge; the search itself optimized the offline stand-in; compute = judge calls only',
  aime: 'integer exact match; test = AIME 2025 × 5 runs',
  'livebench-math': 'LiveBench scoring; AMPS_Hard equivalence numeric (compute-engine), not sympy',
  ctibench: 'exact CWE id; re-created stratified split (seed 0)',
};

const pts = (x: number | null) => (x === null ? 'n/a' : (100 * x).toFixed(1));
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;

function cellText(row: StrategyRow | undefined): string {
  if (!row) return '—';
  if (row.status === 'not-available') return 'not available';
  const n = row.trialMeans.length;
  return `${pts(row.mean)} ± ${(100 * row.sd).toFixed(1)}${row.status === 'partial' ? ` (${n} trials)` : ''}`;
}

export interface StudyHeader {
  taskModels: string[];
  optimizerModel?: string;
  pupaJudge?: string;
  budget: string;
  trials: number;
  limit?: number;
  generatedAt: string;
}

export function renderStudyMarkdown(table: StudyTable, header: StudyHeader): string {
  const lines = [
    '# fapo bench: FAPO vs GEPA',
    '',
    `Generated ${header.generatedAt}. Task model(s): ${header.taskModels.join(', ')}; optimizer model: ${header.optimizerModel ?? 'none (rule-based FAPO proposer; GEPA reflects with the task model)'}; budget: ${header.budget}; ${header.trials} trial(s) per cell${header.limit ? `; **--limit ${header.limit}: first ${header.limit} cases per split, not the study's splits**` : ''}.`,
    '',
    'Test score (points, mean ± sd over trials). Paired test over (trial, case) pairs: bootstrap 95% CI and sign-flip permutation p, Holm-adjusted over every comparison below.',
    '',
    '| task | model | Baseline | GEPA | FAPO | FAPO − GEPA | 95% CI | p (Holm) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const taskModels = [...new Set(table.rows.map((r) => `${r.task}\u0000${r.model}`))];
  for (const tm of taskModels) {
    const [task, model] = tm.split('\u0000') as [string, string];
    const row = (s: BenchStrategy) => table.rows.find((r) => r.task === task && r.model === model && r.strategy === s);
    const head = table.comparisons.find(
      (c) => c.task === task && c.model === model && c.a === 'fapo' && c.b === 'gepa',
    );
    lines.push(
      `| ${task} | ${model} | ${cellText(row('baseline'))} | ${cellText(row('gepa'))} | ${cellText(row('fapo'))} | ${head ? signed(head.deltaPoints) : '—'} | ${head ? `[${signed(head.ci.low)}, ${signed(head.ci.high)}]` : '—'} | ${head ? head.pHolm.toFixed(3) : '—'} |`,
    );
  }
  const w = table.wins;
  lines.push(
    '',
    `FAPO beats GEPA in **${w.wins} of ${w.cells}** cells (ties ${w.ties}, losses ${w.losses}; significant after Holm: ${w.significantWins} wins, ${w.significantLosses} losses).`,
    '',
  );
  const others = table.comparisons.filter((c) => !(c.a === 'fapo' && c.b === 'gepa'));
  if (others.length > 0) {
    lines.push(
      'Against the baseline:',
      '',
      '| task | model | comparison | Δ points | 95% CI | p (Holm) | pairs |',
      '|---|---|---|---|---|---|---|',
    );
    for (const c of others)
      lines.push(
        `| ${c.task} | ${c.model} | ${STRATEGY_TITLE[c.a]} − ${STRATEGY_TITLE[c.b]} | ${signed(c.deltaPoints)} | [${signed(c.ci.low)}, ${signed(c.ci.high)}] | ${c.pHolm.toFixed(3)} | ${c.pairs} |`,
      );
    lines.push('');
  }
  lines.push(
    'Compute spent per cell (summed over trials; every role: task model during search and test, optimizer roles):',
    '',
    '| task | model | strategy | calls | tokens | cost ($) | wall time (s) |',
    '|---|---|---|---|---|---|---|',
  );
  for (const r of table.rows) {
    if (r.status === 'not-available') {
      lines.push(`| ${r.task} | ${r.model} | ${STRATEGY_TITLE[r.strategy]} | not available: ${r.reason ?? ''} | | | |`);
      continue;
    }
    lines.push(
      `| ${r.task} | ${r.model} | ${STRATEGY_TITLE[r.strategy]} | ${r.compute.calls} | ${r.compute.tokens} | ${r.compute.costUsd.toFixed(2)} | ${(r.compute.wallMs / 1000).toFixed(1)} |`,
    );
  }
  lines.push('', 'Labels (see each benchmarks/<task>/DEVIATIONS.md):', '');
  for (const task of new Set(table.rows.map((r) => r.task))) lines.push(`- ${task}: ${TASK_LABELS[task] ?? ''}`);
  if (header.pupaJudge) lines.push(`- PUPA judge: ${header.pupaJudge}`);
  if ([...header.taskModels, header.optimizerModel ?? '', header.pupaJudge ?? ''].some((m) => m.startsWith('sim:'))) {
    lines.push(
      '',
      '**`sim` models are deterministic offline stand-ins, not real models: these numbers only show the machinery working.**',
    );
  }
  return `${lines.join('\n')}\n`;
}
