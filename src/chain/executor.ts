import type { StepGateway } from './execute.ts';
import type { ChainStructure, ChainVariant } from './types.ts';

/** Runs variants' chain code: in this process (trusted code, benchmarks) or in a sandboxed child pool. */
export interface ChainExecutor {
  readonly kind: 'in-process' | 'sandbox';
  describe(variant: ChainVariant): Promise<ChainStructure>;
  run(variant: ChainVariant, input: Record<string, unknown>, gateway: StepGateway, timeoutMs: number): Promise<unknown>;
  close(): Promise<void>;
}

export class CaseTimeoutError extends Error {
  constructor(ms: number) {
    super(`case exceeded its ${ms} ms timeout`);
    this.name = 'CaseTimeoutError';
  }
}
