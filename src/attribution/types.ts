import type { Level } from '../task/schema.ts';

export const FAILURE_LABELS = [
  'retrieval',
  'cascade',
  'format',
  'abstention',
  'reasoning',
  'knowledge',
  'content',
  'task_error',
  'empty_step',
  // Agent steps (rules in agent-rules.ts):
  'tool_error',
  'tool_use',
  'loop_limit',
  'no_final_answer',
  'tool_contradiction',
] as const;
export type FailureLabel = (typeof FAILURE_LABELS)[number];

/** Pattern prefix of failures a judge scorer explained: `unmet:<the criterion the output missed>`. */
export const UNMET_PATTERN = 'unmet:';

export const CONFIDENCES = ['high', 'medium', 'low'] as const;
export type Confidence = (typeof CONFIDENCES)[number];

/** The diagnosis of one failed train case. */
export interface CaseAttribution {
  caseId: string;
  label: FailureLabel;
  /** The blamed step (a step name), or `(chain)` when no step ran. */
  step: string;
  level: Level;
  confidence: Confidence;
  evidence: string[];
  /** The rule that produced the diagnosis, e.g. `gold-evidence`; `analyst` after phase 2 relabelled it. */
  rule: string;
  /** Normalised pattern used for clustering, e.g. `gold-title-missing@hop2` or an analyst pattern. */
  pattern: string;
  /** The failed trial whose step records back the diagnosis. */
  trial: number;
  /** Failed trials / trials considered (ok + task_error). */
  trials: { failed: number; total: number };
  /** Mean over considered trials of the per-trial pass (score ≥ 1): the part of the case already passing. */
  credit: number;
  /** Gold titles no retrieve step returned, when gold evidence was available. */
  missingGold?: string[];
  /** Why the analyst's answer for this case was not used, when it was asked. */
  analystError?: string;
}

/** One rule's diagnosis of one failed trial, before the case-level fields are filled in. */
export type RuleVerdict = Omit<CaseAttribution, 'caseId' | 'trial' | 'trials' | 'credit'>;

export const NO_STEP = '(chain)';

/** Levels in order of cost: ties in the recommendation go to the earliest. */
export const LEVEL_COST_ORDER: readonly Level[] = ['prompt', 'param', 'structure'];
