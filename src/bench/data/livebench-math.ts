import { join } from 'node:path';
import { z } from 'zod';
import type { Case } from '../../task/schema.ts';
import { FapoError } from '../../util/errors.ts';
import { readJson, readJsonl } from './io.ts';
import type { BuildOptions, TaskSplits } from './types.ts';

const QuestionSchema = z.object({
  question_id: z.string(),
  task: z.string(),
  subtask: z.string(),
  year: z.union([z.string(), z.number()]).nullish(),
  turns: z.array(z.string()).length(1),
  ground_truth: z.string(),
  hardness: z.number().nullish(),
  livebench_release_date: z.string(),
  livebench_removal_date: z.string(),
});
const SplitSchema = z.object({ train: z.array(z.string()), val: z.array(z.string()), test: z.array(z.string()) });

const FILES = ['question_math_comp.jsonl', 'question_olympiad.jsonl', 'question_AMPS_Hard.jsonl'] as const;
const SPLIT_FILE = 'gepa_split_seed0.json';

export function buildLivebenchMathSplits({ benchmarksDir }: BuildOptions): TaskSplits {
  const dir = join(benchmarksDir, 'livebench-math', 'source');
  const questions = new Map(
    FILES.flatMap((f) => readJsonl(join(dir, f), QuestionSchema)).map((q) => [q.question_id, q]),
  );
  const split = readJson(join(dir, SPLIT_FILE), SplitSchema);
  const toCase = (id: string): Case => {
    const q = questions.get(id);
    if (!q) throw new FapoError(`${join(dir, SPLIT_FILE)}: question ${id} is in no question file`);
    return {
      id,
      input: { question: q.turns[0]! },
      expected: { groundTruth: q.ground_truth },
      metadata: {
        task: q.task,
        subtask: q.subtask,
        year: q.year,
        hardness: q.hardness,
        releaseDate: q.livebench_release_date,
        removalDate: q.livebench_removal_date,
      },
    };
  };
  return {
    task: 'livebench-math',
    seed: null,
    splits: { train: split.train.map(toCase), val: split.val.map(toCase), test: split.test.map(toCase) },
    extraFiles: [],
    sources: [...FILES, SPLIT_FILE],
    deviations: [
      "Splits are GEPA's exact 121 / 121 / 126 ids (`gepa_split_seed0.json`: Python `random.Random(0).shuffle` of the 368 public questions in reconstructed HF row order). Newer, unpublished LiveBench math questions are not included; about 80 near-duplicates across releases are kept, as in GEPA.",
      'AMPS_Hard equivalence: LiveBench uses sympy (`simplify(gold − prediction) == 0` or |difference| < 0.001). No TypeScript CAS simplifies like sympy, so both LaTeX expressions are parsed with @cortex-js/compute-engine and compared numerically (complex values allowed) at three probe points for their free variables, tolerance 1e-3 relative to max(1, |gold|). Two deliberate fixes: Minerva\'s `\\sqrt` shorthand rewrite no longer breaks `\\sqrt[n]{…}`, and "\\ " in the prediction becomes a product as it does in the gold answer. No LLM-judge fallback (added to LiveBench after GEPA).',
      'Proof rearrangement: extraction steps 1–3 of LiveBench are implemented; the rare step-4 fallback (items after the final "answer:" with end-trimming) is not.',
    ],
  };
}
