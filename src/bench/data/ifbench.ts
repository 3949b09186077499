import { join } from 'node:path';
import { z } from 'zod';
import type { Case } from '../../task/schema.ts';
import { readJsonl } from './io.ts';
import { seededShuffle } from './shuffle.ts';
import type { BuildOptions, TaskSplits } from './types.ts';

const PromptSchema = z.object({
  key: z.union([z.string(), z.number()]).transform(String),
  prompt: z.string(),
  instruction_id_list: z.array(z.string()).min(1),
  kwargs: z.array(z.record(z.string(), z.unknown())),
});
type Prompt = z.infer<typeof PromptSchema>;

const TEST_FILE = 'IFBench_test.jsonl';
/** Target shares of the 300 prompts: test gets about half (GEPA tests on IFBench test), val about a third. */
const TEST_SHARE = 0.5;
const VAL_SHARE = 1 / 3;

/**
 * Groups of prompts that share no instruction type with any other group: instruction ids that occur
 * together in one prompt are merged (union-find), so assigning whole groups to splits keeps every
 * test constraint unseen in train and val, as in GEPA's design.
 */
export function groupByConstraintFamily(prompts: readonly Prompt[]): Prompt[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = parent.get(x) ?? x;
    while ((parent.get(root) ?? root) !== root) root = parent.get(root)!;
    parent.set(x, root);
    return root;
  };
  for (const p of prompts) {
    const [first, ...rest] = p.instruction_id_list;
    for (const id of rest) parent.set(find(id), find(first!));
  }
  const groups = new Map<string, Prompt[]>();
  for (const p of prompts) {
    const root = find(p.instruction_id_list[0]!);
    groups.set(root, [...(groups.get(root) ?? []), p]);
  }
  // Sorted by root id so the seeded shuffle, not Map insertion order, decides the assignment.
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => g);
}

export function buildIfbenchSplits({ benchmarksDir, seed = 0 }: BuildOptions): TaskSplits {
  const prompts = readJsonl(join(benchmarksDir, 'ifbench', 'source', TEST_FILE), PromptSchema);
  const toCase = (p: Prompt): Case => ({
    id: p.key,
    input: { prompt: p.prompt },
    expected: { instructionIdList: p.instruction_id_list, kwargs: p.kwargs },
    metadata: { key: p.key },
  });
  const targets = { test: Math.round(prompts.length * TEST_SHARE), val: Math.round(prompts.length * VAL_SHARE) };
  const bins = { test: [] as Prompt[], val: [] as Prompt[], train: [] as Prompt[] };
  const wanted = { ...targets, train: prompts.length - targets.test - targets.val };
  // Largest groups first (seeded order among equal sizes), each to the split furthest below its target size.
  const groups = seededShuffle(groupByConstraintFamily(prompts), seed).sort((a, b) => b.length - a.length);
  for (const group of groups) {
    const split = (['test', 'val', 'train'] as const).reduce((best, s) =>
      wanted[s] - bins[s].length > wanted[best] - bins[best].length ? s : best,
    );
    bins[split].push(...group);
  }
  const { train, val, test } = bins;
  const families = (ps: Prompt[]) => new Set(ps.flatMap((p) => p.instruction_id_list)).size;
  return {
    task: 'ifbench',
    seed,
    splits: { train: train.map(toCase), val: val.map(toCase), test: test.map(toCase) },
    extraFiles: [],
    sources: [TEST_FILE],
    deviations: [
      "GEPA trains and validates on IF-RLVR training prompts (`allenai/IF_multi_constraints_upto5`, HF only, not available offline) and tests on the 294 IFBench test prompts. Here all three splits are carved out of the **300-prompt** current `IFBench_test.jsonl` (GEPA's 294 plus later additions; kwargs may have been fixed since).",
      `To keep GEPA's "unseen constraints" property, prompts are grouped by instruction type (types that co-occur in one prompt are merged) and whole groups are assigned, largest first (seed ${seed} orders groups of equal size), each to the split furthest below its target (test half of the prompts, val a third, train the rest). No instruction type of the test split appears in train or val. Result: ${train.length} / ${val.length} / ${test.length} prompts covering ${families(train)} / ${families(val)} / ${families(test)} instruction types, instead of 150 / 300 / 294.`,
      'Because the train/val prompts are IFBench test prompts rather than IF-RLVR prompts, scores are not comparable with the paper. State the metric variant reported (GEPA: instruction-level fraction, loose) with every number.',
      '`source/` also holds the 147-row reference subset (`sample_output.jsonl`, `eval_results_{strict,loose}.jsonl`) used to validate the checker port at run time; it is not a split.',
    ],
  };
}
