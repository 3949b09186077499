import type { BudgetCaps, UsageMeter } from '../models/meter.ts';
import { BudgetExceededError } from '../util/errors.ts';
import type { SessionState } from './session-state.ts';

export interface BudgetOptions {
  /** Proposed variants (default 50). */
  maxVariants: number;
  /** Optimization rounds (default 10). */
  maxRounds: number;
  /** Task-model provider calls during the search (cache hits are free). */
  maxTaskCalls?: number;
  /** Tokens of the optimizer roles (proposer, analyst, reviewer, reflection) together. */
  maxOptimizerTokens?: number;
  /** Dollars over every role. */
  maxCostUsd?: number;
  /** Wall time of the search, summed over resumed attempts. */
  maxWallMs?: number;
}

export const DEFAULT_BUDGET: BudgetOptions = { maxVariants: 50, maxRounds: 10 };
export const OPTIMIZER_ROLES = ['proposer', 'analyst', 'reviewer', 'reflection'] as const;

/** The meter caps that enforce the call, token and dollar budgets before every provider call. */
export function meterCaps(b: BudgetOptions): BudgetCaps {
  return {
    ...(b.maxCostUsd !== undefined ? { total: { maxCostUsd: b.maxCostUsd } } : {}),
    byRole: { ...(b.maxTaskCalls !== undefined ? { task: { maxCalls: b.maxTaskCalls } } : {}) },
    ...(b.maxOptimizerTokens !== undefined
      ? { groups: { optimizer: { roles: [...OPTIMIZER_ROLES], limits: { maxTokens: b.maxOptimizerTokens } } } }
      : {}),
  };
}

/**
 * Counts variants, rounds and wall time; the meter enforces calls, tokens and dollars. Variant and
 * round counts are rebuilt by the replay of a resumed session (its control flow runs again over
 * memoized stages); wall time is persisted, since a replay takes none of the original time.
 */
export class BudgetTracker {
  private variants = 0;
  private rounds = 0;
  private readonly priorWallMs: number;
  private readonly startedAt = Date.now();

  constructor(
    readonly options: BudgetOptions,
    readonly meter: UsageMeter,
    private readonly state: SessionState,
  ) {
    this.priorWallMs = state.get<{ wallMs: number }>('budget')?.wallMs ?? 0;
  }

  get wallMs(): number {
    return this.priorWallMs + (Date.now() - this.startedAt);
  }

  get used(): { variants: number; rounds: number; wallMs: number } {
    return { variants: this.variants, rounds: this.rounds, wallMs: this.wallMs };
  }

  /** The first budget that is used up, if any (checked between steps). */
  exhausted(): string | undefined {
    if (this.variants >= this.options.maxVariants) return `variant budget (${this.options.maxVariants}) used`;
    if (this.rounds >= this.options.maxRounds) return `round budget (${this.options.maxRounds}) used`;
    if (this.options.maxWallMs !== undefined && this.wallMs >= this.options.maxWallMs)
      return `wall-time budget (${this.options.maxWallMs} ms) used`;
    return undefined;
  }

  takeVariant(): void {
    if (this.variants >= this.options.maxVariants)
      throw new BudgetExceededError('variants', `variant budget (${this.options.maxVariants}) used`);
    this.variants++;
  }

  takeRound(): void {
    if (this.rounds >= this.options.maxRounds)
      throw new BudgetExceededError('rounds', `round budget (${this.options.maxRounds}) used`);
    this.rounds++;
  }

  /** Persists the wall time spent so far (call at checkpoints). */
  save(): void {
    this.state.put('budget', { wallMs: this.wallMs });
  }
}
