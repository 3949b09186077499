/**
 * Which components (prompt templates) a GEPA mutation rewrites, as the reference's
 * ReflectionComponentSelector protocol: an interface with named implementations, chosen by the
 * `componentSelector` option.
 */
import type { GepaState } from './state.ts';

export interface ComponentSelector {
  /** The components to rewrite for this parent candidate (may advance the selector's state). */
  select(state: GepaState, candidate: number): string[];
}

/** One component per mutation, in turn per candidate (the reference's default). */
const roundRobin: ComponentSelector = {
  select(state, candidate) {
    const pointer = state.pointers[candidate]!;
    state.pointers[candidate] = (pointer + 1) % state.components.length;
    return [state.components[pointer]!];
  },
};

/** Every component in each mutation. */
const all: ComponentSelector = {
  select: (state) => [...state.components],
};

export const COMPONENT_SELECTORS = { round_robin: roundRobin, all } as const satisfies Record<
  string,
  ComponentSelector
>;

export type ComponentSelectorName = keyof typeof COMPONENT_SELECTORS;
export const COMPONENT_SELECTOR_NAMES = Object.keys(COMPONENT_SELECTORS) as [
  ComponentSelectorName,
  ...ComponentSelectorName[],
];
