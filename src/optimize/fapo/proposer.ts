import type { AttributionReport } from '../../attribution/report.ts';
import type { FailureCluster } from '../../attribution/cluster.ts';
import type { ChainStructure } from '../../chain/types.ts';
import type { CaseResult, Variant } from '../../eval/types.ts';
import type { Case, Level, Playbook } from '../../task/schema.ts';
import type { Proposal, ReviewResult } from '../review/types.ts';
import type { MemoryRecord } from './memory.ts';

/** The technique ladder per level, in the order it is worked; a level is not plateaued before it is climbed. */
export const LEVEL_TECHNIQUES = {
  prompt: [
    'module-isolation',
    'chain-of-thought',
    'decomposition',
    'format-constraints',
    'synthetic-few-shot',
    'negative-examples',
    'role-framing',
    'constraint-tightening',
    'always-answer',
    // Judge scorers: a criterion the judge found unmet, asked for in the prompt.
    'criterion-instruction',
    // Agent steps: the agent's prompt and its tool descriptions (prompts/tools/<tool>.md).
    'tool-use-instruction',
    'tool-result-check',
    'tool-loop-discipline',
    'ablation',
  ],
  // Agent steps' maxSteps and tool subsets are params like retrieval depth.
  param: ['param-tuning', 'ablation'],
  structure: [
    'extra-retrieval-hop',
    'multi-query-retrieval',
    'verify-refine',
    'self-refine',
    'plan-and-solve',
    'least-to-most',
    'react-tools',
    'split-agent-step',
    'deterministic-postprocessing',
    'ablation',
  ],
} as const satisfies Record<Level, readonly string[]>;

export type Technique = (typeof LEVEL_TECHNIQUES)[Level][number];

/** Every technique a proposal can name. */
export const TECHNIQUES: readonly Technique[] = [...new Set(Object.values(LEVEL_TECHNIQUES).flat())];

/**
 * What a proposer may see and do. Everything goes through these functions: train cases only
 * (validation and test are not reachable), workspace files only inside the readable set, and a
 * quick check that runs a draft on a few train cases.
 */
export interface ProposerServices {
  /** Workspace-relative paths the proposer may read (chain, prompts, params, playbook, manifest, scorer). */
  readableFiles(): string[];
  readFile(path: string): string;
  /** Train cases that did not score 1 under the current best, with their results (all trials). */
  trainFailures(): { case: Case; results: CaseResult[] }[];
  trainCase(id: string): { case: Case; results: CaseResult[] } | undefined;
  /** Runs a draft proposal on up to 5 train cases (1 trial) and returns their scores. */
  quickCheck(
    proposal: Proposal,
    caseIds: string[],
  ): Promise<{ caseId: string; score: number | null; status: string }[]>;
}

export interface ProposerInput {
  round: number;
  level: Level;
  /** The current best: every proposal branches from it. */
  parent: Variant;
  structure: ChainStructure;
  playbook: Playbook;
  attribution: AttributionReport;
  /** The largest cluster addressable at `level`, when there is one. */
  target?: FailureCluster;
  memory: MemoryRecord[];
  /** Techniques already tried at this level (the ladder). */
  triedTechniques: string[];
  /** Set when revising a proposal the reviewer blocked. */
  revision?: { proposal: Proposal; review: ReviewResult };
  services: ProposerServices;
}

export interface Proposer {
  readonly name: string;
  /** One scoped variant, or null when this proposer has nothing left to try at this level. */
  propose(input: ProposerInput): Promise<Proposal | null>;
}
