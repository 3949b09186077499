/** Exit codes of the CLI besides 0 (success) and 1 (a bug, or cases left with provider errors). */
export const EXIT_CODES = {
  /** A problem the user can fix (bad input, config, budget). */
  usage: 2,
  /** Provider errors outlasted every retry, so a figure would cover too few cases (run again to retry them). */
  incomplete: 3,
  /** The workspace is in use by another process (try again later; EX_TEMPFAIL). */
  locked: 75,
  /** The workspace store cannot be written: disk full, read-only, permissions (EX_IOERR). */
  storage: 74,
} as const;

/**
 * A problem the user can fix (bad input, bad config). The CLI prints `message` and `hint` and exits
 * with `exitCode` (default 2) without a stack trace.
 */
export class FapoError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: number = EXIT_CODES.usage,
  ) {
    super(message);
    this.name = 'FapoError';
  }
}

/** A provider or infrastructure failure that persisted after retries: never scored as a wrong answer. */
export class InfraError extends Error {
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'InfraError';
  }
}

/** A hard budget cap would be exceeded by the next call. */
export class BudgetExceededError extends Error {
  constructor(
    readonly budget: string,
    message: string,
  ) {
    super(message);
    this.name = 'BudgetExceededError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
