/**
 * A problem the user can fix (bad input, bad config). The CLI prints `message` and `hint` and exits
 * non-zero without a stack trace.
 */
export class FapoError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
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
