import type { StepRecord } from '../chain/types.ts';
import type { Case } from './schema.ts';

export interface ScorerInput {
  case: Case;
  /** The chain's final output. */
  output: unknown;
  steps: StepRecord[];
  /** The case's tool environment as the tools left it (tasks with `tools.environment` only). */
  finalState?: unknown;
  /** What each MCP server's `stateTool` returned when the case ended (servers that declare one and were used). */
  serverStates?: Record<string, unknown>;
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
