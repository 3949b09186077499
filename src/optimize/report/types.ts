/** Inputs and the JSON document of the optimization session report. */
import type { AttributionReport } from '../../attribution/report.ts';
import type { Variant } from '../../eval/types.ts';
import type { RoleUsage, TaskCallSavings } from '../../models/meter.ts';
import type { Playbook } from '../../task/schema.ts';
import type { ExhaustionMemory, MemoryRecord } from '../fapo/memory.ts';
import type { SessionConfig, SessionOutcome } from '../session.ts';
import type { TrajectoryPoint } from '../strategy.ts';

/**
 * Optional candidate tree (GEPA). `id` is any unique string; `parents` name other candidates' ids
 * (empty for the seed, two for a merge). `valMean` is a fraction in [0,1].
 */
export interface LineageInput {
  candidates: {
    id: string;
    parents: string[];
    valMean: number | null;
    accepted?: boolean;
    /** Shown instead of the id, e.g. `#3 v7`. */
    label?: string;
    /** The selected candidate. */
    best?: boolean;
  }[];
}

export interface SessionReportInput {
  outcome: SessionOutcome;
  memory: MemoryRecord[];
  /** One attribution report per round, in any order (sorted by round in the report). */
  attributions: AttributionReport[];
  /** Where the variants' content is read from (the session's store). */
  store: { getVariant(ref: string): Variant | undefined; listVariants(): Variant[] };
  /** Task name for the title. */
  taskName?: string;
  /** The task model when the session config names none (the manifest default). */
  taskModel?: string;
  lineage?: LineageInput;
}

/** A score summary: fractions in [0,1]; `sd` is the sample SD (n−1) of the per-trial means. */
export interface ScoreSummary {
  mean: number | null;
  sd: number;
  trials: number;
  trialMeans: (number | null)[];
  cases: number;
}

export interface AcceptedVariant {
  iteration: number;
  variant: string;
  seq: number;
  parent: string;
  parentSeq: number | null;
  level: string;
  stepsChanged: string[];
  technique: string | null;
  hypothesis: string | null;
  valMean: number | null;
  valSd: number;
  /** Validation mean minus the parent's, with its paired bootstrap CI, when recorded in the memory. */
  delta: number | null;
  ci: { low: number; high: number } | null;
  /** Unified diff against the parent (`(no changes)` when identical, null when a variant is missing from the store). */
  diff: string | null;
}

export interface RoleCompute extends RoleUsage {
  role: string;
  /** Model id, or null when the role ran without a model (e.g. the rule-based proposer). */
  model: string | null;
  simulated: boolean;
  tokens: number;
}

export interface SessionReportData {
  format: 'fapo.session-report';
  version: 1;
  title: string;
  session: {
    id: string;
    strategy: string;
    state: string;
    createdAt: string;
    finishedAt: string | null;
    stopReason: string;
    config: SessionConfig;
  };
  models: { task: string; roles: Record<string, string> };
  /** Present whenever any model is fapo's `sim`: its numbers say nothing about a real model. */
  simNotice: string | null;
  conventions: { scores: string; sd: string; ciLevel: number; ci: string };
  scope: { playbook: Playbook; lines: string[] };
  /** Validation of the baseline as recorded in the trajectory (null when it is not there). */
  baseline: { variant: string; seq: number; valMean: number | null; valSd: number | null };
  best: { variant: string; seq: number; level: string; validation: ScoreSummary };
  trajectory: TrajectoryPoint[];
  /** Sequence number (v1, v2 …) of every variant the trajectory names, parents included. */
  seqs: Record<string, number>;
  accepted: AcceptedVariant[];
  rounds: AttributionReport[];
  exhaustion: ExhaustionMemory[];
  test: {
    baseline: ScoreSummary;
    best: ScoreSummary;
    comparison: { delta: number; ci: { low: number; high: number; level: number }; pValue: number; cases: number };
    evaluations: number;
  };
  compute: {
    wallMs: number;
    roles: RoleCompute[];
    total: RoleUsage & { tokens: number };
    taskCalls: TaskCallSavings;
  };
  lineage: LineageInput | null;
  /** Companion files written next to the report. */
  files: { memory: string; changelog: string };
}
