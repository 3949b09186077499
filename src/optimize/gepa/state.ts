import type { SessionState } from '../session-state.ts';
import type { MergeMemory } from './merge.ts';
import { type InstanceFronts, removeDominated } from './pareto.ts';

export interface GepaCandidate {
  index: number;
  /** Variant hash in the workspace store (the candidate's prompts are that variant's prompts). */
  variant: string;
  seq: number;
  parents: number[];
  origin: 'seed' | 'mutation' | 'merge';
  /** Iteration that created it (-1: the seed). */
  iteration: number;
  prompts: Record<string, string>;
  /** Per validation case: mean score over the validation trials (failures count 0). */
  valScores: Record<string, number>;
  valMean: number;
  /** Metric calls spent when it was added (the reference's `num_metric_calls_by_discovery`). */
  metricCallsAtDiscovery: number;
}

export interface GepaProposal {
  component: string;
  reflectionPrompt: string;
  rawOutput: string;
  /** The parsed instruction, after placeholder repair. */
  newText: string;
  /** Placeholders the reflection dropped and GEPA re-appended so the template keeps its inputs. */
  restoredPlaceholders: string[];
}

export interface GepaMergeRecord {
  i: number;
  j: number;
  ancestor: number;
  /** Per component (in `components` order), the candidate whose text the child took. */
  takenFrom: number[];
  subsample: string[];
  /** Sums of each parent on the subsample. */
  parentSums: [number, number];
  childSum: number;
}

export interface GepaIteration {
  iteration: number;
  kind: 'mutation' | 'merge';
  parent?: number;
  minibatch?: string[];
  scoresBefore?: number[];
  scoresAfter?: number[];
  proposals: GepaProposal[];
  merge?: GepaMergeRecord;
  /** Variant hash of the proposed child. */
  child?: string;
  accepted: boolean;
  /** Index of the candidate added by this iteration. */
  added?: number;
  /** Why nothing was proposed or added (skipped perfect minibatch, duplicate, …). */
  note?: string;
  metricCallsAfter: number;
  /** Candidates left on the Pareto front (after removing dominated ones) at the end of the iteration. */
  front: number[];
}

/** Everything GEPA knows, persisted after every iteration (`gepa` doc of the session). */
export interface GepaState {
  version: 1;
  seed: number;
  maxMetricCalls: number;
  components: string[];
  /** Step names that use each component (template). */
  stepsByComponent: Record<string, string[]>;
  valIds: string[];
  candidates: GepaCandidate[];
  /** Round-robin pointer per candidate: index into `components` of the next one to update. */
  pointers: number[];
  fronts: InstanceFronts;
  iterations: GepaIteration[];
  metricCalls: number;
  merge: { due: number; totalAccepted: number; lastIterationFoundNewProgram: boolean; memory: MergeMemory };
  best?: number;
  stopReason?: string;
}

export const GEPA_STATE_DOC = 'gepa';

export function loadGepaState(session: SessionState): GepaState | undefined {
  return session.get<GepaState>(GEPA_STATE_DOC);
}

/** The candidates on the Pareto front after removing dominated ones. */
export function frontPrograms(state: Pick<GepaState, 'fronts' | 'candidates'>): number[] {
  const survivors = new Set<number>();
  for (const programs of Object.values(removeDominated(state.fronts, (p) => state.candidates[p]!.valMean)))
    for (const p of programs) survivors.add(p);
  return [...survivors].sort((a, b) => a - b);
}

/** Highest mean validation score; ties to more validation coverage, then the lower index. */
export function bestCandidate(candidates: readonly GepaCandidate[]): number {
  let best = 0;
  for (const c of candidates) {
    const b = candidates[best]!;
    const coverage = Object.keys(c.valScores).length - Object.keys(b.valScores).length;
    if (c.valMean > b.valMean || (c.valMean === b.valMean && coverage > 0)) best = c.index;
  }
  return best;
}

/** Data for the lineage view of the HTML report: the candidate tree, fronts and every proposal. */
export interface GepaLineage {
  components: string[];
  valIds: string[];
  nodes: {
    index: number;
    variant: string;
    seq: number;
    parents: number[];
    origin: GepaCandidate['origin'];
    iteration: number;
    valMean: number;
    valScores: Record<string, number>;
    metricCallsAtDiscovery: number;
    isBest: boolean;
    onFinalFront: boolean;
    /** Components whose text differs from the first parent's. */
    changed: string[];
  }[];
  /** Per validation case: the best score and the candidates reaching it (final state). */
  instanceFronts: GepaState['fronts'];
  /** The undominated front after each iteration. */
  frontByIteration: { iteration: number; front: number[]; metricCalls: number }[];
  proposals: {
    iteration: number;
    kind: GepaIteration['kind'];
    parent?: number;
    parents: number[];
    minibatch?: string[];
    scoresBefore?: number[];
    scoresAfter?: number[];
    sumBefore?: number;
    sumAfter?: number;
    accepted: boolean;
    added?: number;
    note?: string;
    reflections: GepaProposal[];
    merge?: GepaMergeRecord;
  }[];
  metricCalls: number;
  best: number;
  stopReason?: string;
}

export function gepaLineage(state: GepaState): GepaLineage {
  const best = state.best ?? bestCandidate(state.candidates);
  const front = new Set(frontPrograms(state));
  const sum = (xs?: number[]) => (xs ? xs.reduce((a, b) => a + b, 0) : undefined);
  return {
    components: state.components,
    valIds: state.valIds,
    nodes: state.candidates.map((c) => {
      const first = c.parents[0] === undefined ? undefined : state.candidates[c.parents[0]];
      return {
        index: c.index,
        variant: c.variant,
        seq: c.seq,
        parents: c.parents,
        origin: c.origin,
        iteration: c.iteration,
        valMean: c.valMean,
        valScores: c.valScores,
        metricCallsAtDiscovery: c.metricCallsAtDiscovery,
        isBest: c.index === best,
        onFinalFront: front.has(c.index),
        changed: first ? state.components.filter((k) => first.prompts[k] !== c.prompts[k]) : [],
      };
    }),
    instanceFronts: state.fronts,
    frontByIteration: state.iterations.map((it) => ({
      iteration: it.iteration,
      front: it.front,
      metricCalls: it.metricCallsAfter,
    })),
    proposals: state.iterations.map((it) => ({
      iteration: it.iteration,
      kind: it.kind,
      ...(it.parent !== undefined ? { parent: it.parent } : {}),
      parents: it.merge ? [it.merge.i, it.merge.j] : it.parent !== undefined ? [it.parent] : [],
      ...(it.minibatch ? { minibatch: it.minibatch } : {}),
      ...(it.scoresBefore ? { scoresBefore: it.scoresBefore, sumBefore: sum(it.scoresBefore) } : {}),
      ...(it.scoresAfter ? { scoresAfter: it.scoresAfter, sumAfter: sum(it.scoresAfter) } : {}),
      accepted: it.accepted,
      ...(it.added !== undefined ? { added: it.added } : {}),
      ...(it.note ? { note: it.note } : {}),
      reflections: it.proposals,
      ...(it.merge ? { merge: it.merge } : {}),
    })),
    metricCalls: state.metricCalls,
    best,
    ...(state.stopReason ? { stopReason: state.stopReason } : {}),
  };
}
