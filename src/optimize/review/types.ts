import type { Variant } from '../../eval/types.ts';
import type { Level } from '../../task/schema.ts';

/** A candidate variant as the proposer hands it to review; nothing is written until review passes. */
export interface Proposal {
  level: Level;
  parent: Variant;
  chainSource: string;
  /** Workspace-relative path of the chain module the variant would run. */
  chainPath: string;
  prompts: Record<string, string>;
  params: Record<string, unknown>;
  /** Workspace-relative paths the proposal would create. */
  files: string[];
  /** Workspace tool modules the proposal adds or changes (`tools/<name>.ts` → source), reviewed like chain code. */
  toolSources?: Record<string, string>;
  hypothesis: string;
  technique: string;
}

export type Verdict = 'pass' | 'warn' | 'block';

export interface CheckResult {
  check: string;
  verdict: Verdict;
  reasons: string[];
}

export interface ReviewResult {
  /** The worst verdict over all checks. */
  verdict: Verdict;
  checks: CheckResult[];
  /** True when the verdict is `block` and the proposer still has its one revision. */
  revisionAllowed: boolean;
  /** Stages not run because an earlier stage blocked (smoke and model calls cost money). */
  skipped: string[];
}

export type ReviewDecision = 'evaluate' | 'revise' | 'discard';
