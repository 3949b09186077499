import type { Environment } from '../eval/environment.ts';
import type { Variant } from '../eval/types.ts';
import type { ModelClient } from '../models/types.ts';
import type { BudgetTracker } from './budget.ts';
import type { EventSink } from './events.ts';
import type { EvaluationService, ValidationOutcome } from './evaluator.ts';
import type { SessionState } from './session-state.ts';

/** One point of the validation trajectory, for reports and plots. */
export interface TrajectoryPoint {
  iteration: number;
  variant: string;
  seq: number;
  parent: string | null;
  level: string;
  valMean: number | null;
  valSd: number;
  accepted: boolean;
  /** Best validation mean after this iteration. */
  bestMean: number | null;
  note?: string;
}

export interface StrategyResult {
  best: Variant;
  bestValidation: ValidationOutcome;
  trajectory: TrajectoryPoint[];
  stopReason: string;
}

export interface OptimizerRoles {
  proposer?: ModelClient;
  analyst?: ModelClient;
  reviewer?: ModelClient;
  reflection?: ModelClient;
}

/** What every optimizer gets: the same runner, cache, sandbox, budgets, store and data guard. */
export interface StrategyContext {
  env: Environment;
  evaluator: EvaluationService;
  state: SessionState;
  budget: BudgetTracker;
  baseline: Variant;
  seed: number;
  roles: OptimizerRoles;
  /** `mean`: any improvement of the validation mean; `significant`: the paired CI's lower bound > 0. */
  accept: 'mean' | 'significant';
  /** Stop once the validation mean reaches this (0-1). */
  target?: number;
  /** Where the strategy reports what it does (rendered, stored and counted by the session's subscribers). */
  emit: EventSink;
}

/** An optimization strategy (fapo, gepa, …). The session wraps it: scope, budgets, final test, report. */
export interface Strategy {
  readonly name: string;
  run(ctx: StrategyContext): Promise<StrategyResult>;
}
