/**
 * The seam between the evaluation runner and a remote executor of cases (src/scale: BullMQ workers).
 * The runner keeps the run's identity and the store; a RemoteCases only computes case results.
 */
import type { BudgetCaps, UsageMeter } from '../models/meter.ts';
import type { Sampling } from '../models/types.ts';
import type { Case } from '../task/schema.ts';
import type { CaseOutcome } from './case-run.ts';
import type { RunSpec, Variant } from './types.ts';

/** Everything a remote worker needs to compute one case × trial, and nothing secret. */
export interface CaseDispatch {
  runId: string;
  spec: RunSpec;
  variant: Variant;
  case: Case;
  trial: number;
  model: string;
  sampling: Sampling;
  /** The judge model's id, when the run's scorer has one. */
  judge?: string;
  role?: string;
  caseTimeoutMs?: number;
}

export interface RemoteCases {
  /** Computes one case remotely; resolves with its result or the error that stops the run. */
  run(dispatch: CaseDispatch): Promise<CaseOutcome>;
}

export interface RemoteSession extends RemoteCases {
  close(): Promise<void>;
}

/**
 * Opens remote evaluation for an optimization session once its meter exists: the remote side keeps
 * the session's caps (shared budget) and books the workers' usage into the meter.
 */
export type RemoteFactory = (session: {
  taskName: string;
  meter: UsageMeter;
  caps: BudgetCaps;
}) => Promise<RemoteSession>;
