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

/** `run` settled, or a CaseTimeoutError once `timeoutMs` have passed (the work itself is not stopped). */
export async function withCaseTimeout<T>(run: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CaseTimeoutError(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
