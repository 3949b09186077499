/**
 * The strategies `--strategy` can name. Each entry says how to validate its options and build it; a
 * new strategy is one more entry (no switch to extend elsewhere). Entries are listed here rather than
 * registering themselves on import, so what exists does not depend on what happened to be imported.
 */
import { FapoError } from '../util/errors.ts';
import { createFapoStrategy } from './fapo/controller.ts';
import { createGepaStrategy } from './gepa/index.ts';
import type { Strategy } from './strategy.ts';

export interface StrategyEntry {
  readonly name: string;
  readonly description: string;
  /** Validates the stored options (they also come back on resume) and builds the strategy. */
  create(options: Record<string, unknown>): Strategy;
}

export const STRATEGIES: readonly StrategyEntry[] = [
  {
    name: 'fapo',
    description: 'attribution-driven, prompt-first, reviewed and validated (the FAPO loop)',
    create: (options) => createFapoStrategy(options),
  },
  {
    name: 'gepa',
    description: 'GEPA: reflective prompt evolution with a Pareto front (the baseline)',
    create: (options) => createGepaStrategy(options),
  },
];

/** The factory of a named strategy, or a clear error listing the known ones. */
export function strategyFactory(name: string): (options: Record<string, unknown>) => Strategy {
  const entry = STRATEGIES.find((s) => s.name === name);
  if (!entry) {
    throw new FapoError(
      `unknown strategy "${name}"`,
      `Known strategies: ${STRATEGIES.map((s) => `${s.name} (${s.description})`).join('; ')}.`,
    );
  }
  return (options) => entry.create(options);
}
