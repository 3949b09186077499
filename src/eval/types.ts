import type { StepRecord } from '../chain/types.ts';
import type { Sampling } from '../models/types.ts';
import type { Level, Split } from '../task/schema.ts';

export type CaseStatus = 'ok' | 'task_error' | 'infra_error' | 'scorer_error';

/** The outcome of one case in one trial. */
export interface CaseResult {
  caseId: string;
  trial: number;
  status: CaseStatus;
  output: unknown;
  /** In [0,1]; null unless status is `ok`. */
  score: number | null;
  breakdown?: Record<string, number>;
  feedback?: string;
  steps: StepRecord[];
  error?: string;
  diagnostics: string[];
  latencyMs: number;
}

/** An immutable pipeline version: chain + prompts + params, identified by a content hash. */
export interface Variant {
  /** sha256 of the canonical JSON of {chainSource, prompts, params}. */
  hash: string;
  /** Sequence number in the workspace: the baseline is 1. */
  seq: number;
  parent: string | null;
  level: Level | 'baseline';
  /** Workspace-relative path of the chain module this variant runs. */
  chainPath: string;
  chainSource: string;
  prompts: Record<string, string>;
  params: Record<string, unknown>;
  hypothesis?: string;
  technique?: string;
  createdBy: string;
  createdAt: string;
}

/** Everything that identifies an evaluation; the same spec resumes the same run. */
export interface RunSpec {
  variant: string;
  split: Split;
  trials: number;
  model: string;
  sampling: Sampling;
  /** sha256 of the split file. */
  datasetFingerprint: string;
  /** Fingerprints (src/task/fingerprint.ts) of the scorer and of the variant's chain with its imports; runs stored before they existed have none. */
  scorerFingerprint?: string;
  chainFingerprint?: string;
  /** Retrieval resources' fingerprints by name (corpus content and index settings). */
  resourceFingerprints?: Record<string, string>;
  /** Of the workspace tools, their environment file and MCP setup (tasks with tools only). */
  toolsFingerprint?: string;
  /** The judge model judge scorers consulted (runs judged by another model are other runs). */
  judgeModel?: string;
  /** The fapo release that ran it: its template rendering and output parsing shape the results. */
  fapoVersion?: string;
  /** Case ids in evaluation order (a subset when --limit is used). */
  caseIds: string[];
  /** Free-form tag (e.g. `optimize:<session>`), not part of the identity. */
  purpose?: string;
}

export type RunState = 'running' | 'complete' | 'failed';

export interface RunRecord {
  id: string;
  spec: RunSpec;
  state: RunState;
  createdAt: string;
  finishedAt?: string;
}

export interface TrialSummary {
  trial: number;
  mean: number | null;
  counts: Record<CaseStatus, number>;
}

export interface RunSummary {
  runId: string;
  variant: string;
  split: Split;
  trials: TrialSummary[];
  /** Mean over trials of the per-trial means (ok cases only). */
  mean: number | null;
  /** Sample standard deviation (n-1) of the per-trial means; 0 for one trial. */
  sd: number;
  counts: Record<CaseStatus, number>;
  cases: number;
}
