import { join } from 'node:path';
import { z } from 'zod';
import type { Case } from '../../task/schema.ts';
import { FapoError } from '../../util/errors.ts';
import { readJson, readJsonl } from './io.ts';
import type { BuildOptions, TaskSplits } from './types.ts';

const PoolSchema = z.object({
  id: z.number().int(),
  problem: z.string(),
  solution: z.string(),
  answer: z.string(),
  url: z.string(),
});
const TestSchema = z.object({
  problem_idx: z.union([z.string(), z.number()]).transform(Number),
  problem: z.string(),
  answer: z.union([z.string(), z.number()]).transform(Number),
  problem_type: z.unknown().optional(),
});
const SplitSchema = z.object({
  train_ids: z.array(z.number().int()),
  val_ids: z.array(z.number().int()),
  test_problem_idx_order: z.array(z.number().int()),
  test_repeats: z.number().int().positive(),
});

const FILES = { pool: 'aimo-validation-aime.jsonl', test: 'aime_2025.jsonl', split: 'gepa_split.json' } as const;

/** "2022_AIME_I_Problems/Problem_1" → { year: 2022, contest: "AIME I", problem: 1 }. */
function contestOf(url: string): { year: number; contest: string; problem: number } | undefined {
  const m = /(\d{4})_AIME_(I{1,2})_Problems\/Problem_(\d+)/.exec(url);
  return m ? { year: Number(m[1]), contest: `AIME ${m[2]}`, problem: Number(m[3]) } : undefined;
}

export function buildAimeSplits({ benchmarksDir }: BuildOptions): TaskSplits {
  const dir = join(benchmarksDir, 'aime', 'source');
  const pool = new Map(readJsonl(join(dir, FILES.pool), PoolSchema).map((p) => [p.id, p]));
  const tests = new Map(readJsonl(join(dir, FILES.test), TestSchema).map((t) => [t.problem_idx, t]));
  const split = readJson(join(dir, FILES.split), SplitSchema);

  const poolCase = (id: number, withSolution: boolean): Case => {
    const p = pool.get(id);
    if (!p) throw new FapoError(`${join(dir, FILES.split)}: id ${id} is not in ${FILES.pool}`);
    return {
      id: `aime-${id}`,
      input: { problem: p.problem },
      expected: { answer: Number(p.answer) },
      // GEPA shows the reference solution in feedback on training examples only.
      metadata: { url: p.url, ...contestOf(p.url), ...(withSolution ? { solution: p.solution } : {}) },
    };
  };
  const test = Array.from({ length: split.test_repeats }, (_, run) =>
    split.test_problem_idx_order.map((idx): Case => {
      const t = tests.get(idx);
      if (!t) throw new FapoError(`${join(dir, FILES.split)}: problem_idx ${idx} is not in ${FILES.test}`);
      return {
        id: `aime2025-${idx}-run${run + 1}`,
        input: { problem: t.problem },
        expected: { answer: t.answer },
        metadata: {
          problemIdx: idx,
          run: run + 1,
          contest: idx <= 15 ? 'AIME 2025 I' : 'AIME 2025 II',
          problemType: t.problem_type,
        },
      };
    }),
  ).flat();
  return {
    task: 'aime',
    seed: null,
    splits: {
      train: split.train_ids.map((id) => poolCase(id, true)),
      val: split.val_ids.map((id) => poolCase(id, false)),
      test,
    },
    extraFiles: [],
    sources: Object.values(FILES),
    deviations: [
      "None in the data: train / val are GEPA's exact 45 / 45 ids (shipped in `gepa_split.json`, from Python `random.Random(0).shuffle` of AIME 2022–2024) and test is AIME 2025, 30 problems × 5 runs = 150 cases.",
      'Each of the five test runs is a separate case (`aime2025-<idx>-run<r>`), so one evaluation pass covers all five runs; the runs differ only through sampling. Per-run scores can be recovered from `metadata.run`.',
      'Answers are compared as integers (the 2022–2024 gold answers are zero-padded strings such as "033"). The scorer reads a bare integer, a \\boxed{} answer, or the last integer after "answer", which is more lenient than GEPA\'s `int(answer)` cast.',
    ],
  };
}
