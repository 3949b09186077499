/** A `fapo bench` output folder's study table (bench-table.json), read and checked for the explorer. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { FapoError } from '../util/errors.ts';

export const BENCH_TABLE_FILE = 'bench-table.json';

const ComputeSchema = z.object({ calls: z.number(), tokens: z.number(), costUsd: z.number(), wallMs: z.number() });
const BenchTableSchema = z.object({
  header: z.looseObject({
    taskModels: z.array(z.string()),
    optimizerModel: z.string().optional(),
    budget: z.string(),
    trials: z.number(),
    generatedAt: z.string(),
  }),
  table: z.object({
    rows: z.array(
      z.looseObject({
        task: z.string(),
        model: z.string(),
        strategy: z.string(),
        status: z.string(),
        reason: z.string().optional(),
        mean: z.number().nullable(),
        sd: z.number(),
        trialMeans: z.array(z.number().nullable()),
        compute: ComputeSchema,
      }),
    ),
    comparisons: z.array(
      z.looseObject({
        task: z.string(),
        model: z.string(),
        a: z.string(),
        b: z.string(),
        deltaPoints: z.number(),
        ci: z.object({ low: z.number(), high: z.number() }),
        pValue: z.number(),
        pHolm: z.number(),
        pairs: z.number(),
      }),
    ),
    wins: z.looseObject({ wins: z.number(), ties: z.number(), losses: z.number(), cells: z.number() }),
  }),
});
export type BenchStudy = z.infer<typeof BenchTableSchema> & { id: string; dir: string };

/** The study of a bench output folder, or undefined when the folder has none. */
export function readBenchStudy(dir: string, id: string): BenchStudy | undefined {
  const path = join(dir, BENCH_TABLE_FILE);
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new FapoError(`${path}: not valid JSON (${(err as Error).message})`, 'Re-run `fapo bench` to rewrite it.');
  }
  const parsed = BenchTableSchema.safeParse(raw);
  if (!parsed.success)
    throw new FapoError(`${path}: not a fapo bench table:\n${z.prettifyError(parsed.error)}`, 'Re-run `fapo bench`.');
  return { ...parsed.data, id, dir };
}
