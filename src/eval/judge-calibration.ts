/**
 * How far a judge scorer can be trusted: it scores outputs that people have labelled, and its
 * pass/fail verdicts are compared with theirs (accuracy, Cohen's kappa, the confusion table, and the
 * cases where they part). Labels are JSONL, one per line:
 *   {"id": "c1", "output": ..., "label": true}            a case of the task's splits, by id
 *   {"id": "x9", "input": {...}, "expected": ..., "output": ..., "label": 0.2}   or a case of its own
 * `label` is pass/fail (boolean) or a score in [0,1], a pass at or above the threshold.
 */
import pLimit from 'p-limit';
import { z } from 'zod';
import type { ModelClient } from '../models/types.ts';
import { checkScore } from '../task/check-score.ts';
import type { Task } from '../task/load.ts';
import { type Case, CaseSchema, SPLITS } from '../task/schema.ts';
import { FapoError, errorMessage } from '../util/errors.ts';
import { readJsonl } from '../util/jsonl.ts';
import { judgeFor } from './judge-client.ts';

const LabelSchema = z
  .object({
    id: z.union([z.string().min(1), z.number()]).transform(String),
    output: z.unknown(),
    label: z.union([z.boolean(), z.number().min(0).max(1)]),
    input: z.record(z.string(), z.unknown()).optional(),
    expected: z.unknown().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((row) => row.output !== undefined, { message: 'a labelled row needs the "output" that was labelled' });

export interface LabelledOutput {
  case: Case;
  output: unknown;
  human: boolean;
  where: string;
}

/** Reads a labels file against a task; errors name the file and line. */
export function readLabels(path: string, task: Task, threshold: number): LabelledOutput[] {
  const known = new Map<string, Case>();
  for (const split of SPLITS) for (const c of task.datasets[split].cases) known.set(c.id, c);
  const seen = new Map<string, string>();
  const labelled = readJsonl(path, LabelSchema).map(({ line, value }) => {
    const where = `${path}:${line}`;
    const earlier = seen.get(value.id);
    if (earlier) throw new FapoError(`${where}: duplicate label for "${value.id}" (first at ${earlier})`);
    seen.set(value.id, where);
    const c = value.input
      ? CaseSchema.parse({ id: value.id, input: value.input, expected: value.expected, metadata: value.metadata ?? {} })
      : known.get(value.id);
    if (!c)
      throw new FapoError(
        `${where}: "${value.id}" is no case of the task, and the row has no "input"`,
        'Give the id of a case in data/*.jsonl, or the case itself ("input", optionally "expected").',
      );
    const human = typeof value.label === 'boolean' ? value.label : value.label >= threshold;
    return { case: c, output: value.output, human, where };
  });
  if (labelled.length === 0) throw new FapoError(`${path}: no labelled outputs`);
  return labelled;
}

export interface Agreement {
  n: number;
  accuracy: number;
  /** Cohen's kappa; null when it is undefined (both raters gave one class only). */
  kappa: number | null;
  /** Rows: human label; columns: judge verdict. */
  confusion: {
    humanPass: { judgePass: number; judgeFail: number };
    humanFail: { judgePass: number; judgeFail: number };
  };
}

/** Agreement of two raters' pass/fail verdicts. */
export function agreement(pairs: readonly { human: boolean; judge: boolean }[]): Agreement {
  const cell = (h: boolean, j: boolean) => pairs.filter((p) => p.human === h && p.judge === j).length;
  const confusion = {
    humanPass: { judgePass: cell(true, true), judgeFail: cell(true, false) },
    humanFail: { judgePass: cell(false, true), judgeFail: cell(false, false) },
  };
  const n = pairs.length;
  const observed = (confusion.humanPass.judgePass + confusion.humanFail.judgeFail) / n;
  const humanPass = (confusion.humanPass.judgePass + confusion.humanPass.judgeFail) / n;
  const judgePass = (confusion.humanPass.judgePass + confusion.humanFail.judgePass) / n;
  const chance = humanPass * judgePass + (1 - humanPass) * (1 - judgePass);
  return { n, accuracy: observed, kappa: chance === 1 ? null : (observed - chance) / (1 - chance), confusion };
}

export interface CalibrationCase {
  id: string;
  human: boolean;
  judge: boolean;
  score: number;
  feedback?: string;
}

export interface Calibration extends Agreement {
  judge: string;
  threshold: number;
  cases: CalibrationCase[];
}

/**
 * Scores every labelled output with the task's scorer and its judge, and compares. A judge failure
 * stops the calibration (a figure over the cases that happened to work would mislead); the cache
 * keeps what was paid, so a rerun repays nothing.
 */
export async function calibrateJudge(opts: {
  task: Task;
  judge: ModelClient;
  labels: readonly LabelledOutput[];
  threshold: number;
  concurrency: number;
}): Promise<Calibration> {
  const limit = pLimit(opts.concurrency);
  const judge = judgeFor(opts.judge);
  const cases = await Promise.all(
    opts.labels.map((l) =>
      limit(async (): Promise<CalibrationCase> => {
        let scored: ReturnType<typeof checkScore>;
        try {
          scored = checkScore(await opts.task.scorer({ case: l.case, output: l.output, steps: [], judge }));
        } catch (err) {
          if (err instanceof FapoError) throw err;
          throw new FapoError(`${l.where}: scoring "${l.case.id}" failed: ${errorMessage(err)}`);
        }
        return {
          id: l.case.id,
          human: l.human,
          judge: scored.score >= opts.threshold,
          score: scored.score,
          ...(scored.feedback ? { feedback: scored.feedback } : {}),
        };
      }),
    ),
  );
  return { judge: opts.judge.id, threshold: opts.threshold, cases, ...agreement(cases) };
}
