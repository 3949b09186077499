import { z } from 'zod';
import type { ScoreResult } from './scorer.ts';

const ScoreResultSchema = z.object({
  score: z.number(),
  breakdown: z.record(z.string(), z.number()).optional(),
  feedback: z.string().optional(),
});

/** Validates what a scorer returned; throws with a message that names the problem. */
export function checkScore(value: unknown): ScoreResult {
  const result = typeof value === 'number' ? { score: value } : ScoreResultSchema.safeParse(value).data;
  if (!result)
    throw new Error(
      `scorer returned ${JSON.stringify(value)}; expected a number in [0,1] or {score, breakdown?, feedback?}`,
    );
  if (!Number.isFinite(result.score) || result.score < 0 || result.score > 1) {
    throw new Error(`scorer returned score ${result.score}; scores must be finite and in [0,1]`);
  }
  for (const [k, v] of Object.entries(result.breakdown ?? {})) {
    if (!Number.isFinite(v)) throw new Error(`scorer breakdown "${k}" is ${v}; breakdown values must be finite`);
  }
  return result;
}
