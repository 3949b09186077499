import { z } from 'zod';
import type { StepRecord } from '../chain/types.ts';
import type { Case } from './schema.ts';

export interface ScorerInput {
  case: Case;
  /** The chain's final output. */
  output: unknown;
  steps: StepRecord[];
}

export interface ScoreResult {
  /** In [0,1]. Anything else (NaN, 1.5, -0) is a scorer_error for that case. */
  score: number;
  breakdown?: Record<string, number>;
  /** Textual feedback (GEPA-style), shown to optimizers on train cases. */
  feedback?: string;
}

export type Scorer = (input: ScorerInput) => number | ScoreResult | Promise<number | ScoreResult>;

export function defineScorer(scorer: Scorer): Scorer {
  return scorer;
}

const ScoreResultSchema = z.object({
  score: z.number(),
  breakdown: z.record(z.string(), z.number()).optional(),
  feedback: z.string().optional(),
});

/** Validates what a scorer returned; throws with a message that names the problem. */
export function checkScore(value: unknown): ScoreResult {
  const result = typeof value === 'number' ? { score: value } : ScoreResultSchema.safeParse(value).data;
  if (!result) throw new Error(`scorer returned ${JSON.stringify(value)}; expected a number in [0,1] or {score, breakdown?, feedback?}`);
  if (!Number.isFinite(result.score) || result.score < 0 || result.score > 1) {
    throw new Error(`scorer returned score ${result.score}; scores must be finite and in [0,1]`);
  }
  for (const [k, v] of Object.entries(result.breakdown ?? {})) {
    if (!Number.isFinite(v)) throw new Error(`scorer breakdown "${k}" is ${v}; breakdown values must be finite`);
  }
  return result;
}
