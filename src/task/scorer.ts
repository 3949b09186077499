import type { StepRecord } from '../chain/types.ts';
import type { ModelRequest, ModelResponse } from '../models/types.ts';

/**
 * The model a scorer may consult (`input.judge`): every call is charged to the `judge` role, cached,
 * metered and budgeted like the task's own calls. Its failures are infra errors (the case is retried,
 * never scored zero).
 */
export interface JudgeClient {
  /** `provider:model` of the judge. */
  readonly id: string;
  generate(req: Omit<ModelRequest, 'role'>): Promise<ModelResponse>;
}
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
  /** The judge model (`--judge-model` / `judge.model` in fapo.task.yaml), for judge scorers. */
  judge?: JudgeClient;
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
