/** GEPA (Genetic-Pareto reflective prompt evolution) as a `fapo optimize` strategy. */
import type { Strategy, StrategyContext, StrategyResult } from '../strategy.ts';
import { GepaEngine } from './engine.ts';
import { type GepaOptionsInput, parseGepaOptions } from './options.ts';

export { type GepaComponents, gepaComponents } from './components.ts';
export { GepaEngine } from './engine.ts';
export {
  GepaOptionsSchema,
  PAPER_BUDGETS,
  parseGepaOptions,
  type GepaOptions,
  type GepaOptionsInput,
  type PaperBudget,
} from './options.ts';
export {
  GEPA_STATE_DOC,
  bestCandidate,
  frontPrograms,
  gepaLineage,
  loadGepaState,
  type GepaCandidate,
  type GepaIteration,
  type GepaLineage,
  type GepaProposal,
  type GepaState,
} from './state.ts';

/**
 * The GEPA strategy. `options` are validated here (a bad option fails before the session starts);
 * a budget is required: `maxMetricCalls` or a paper preset `budget`.
 */
export function createGepaStrategy(options: GepaOptionsInput | Record<string, unknown>): Strategy {
  const opts = parseGepaOptions(options);
  return {
    name: 'gepa',
    async run(ctx: StrategyContext): Promise<StrategyResult> {
      const structure = await ctx.env.executor.describe(ctx.baseline);
      return new GepaEngine(ctx, opts, structure).run();
    },
  };
}
