import type { CheckResult, ReviewDecision, Verdict } from './types.ts';

const SEVERITY: Record<Verdict, number> = { pass: 0, warn: 1, block: 2 };

export function worstVerdict(verdicts: Verdict[]): Verdict {
  return verdicts.reduce<Verdict>((worst, v) => (SEVERITY[v] > SEVERITY[worst] ? v : worst), 'pass');
}

/** Builds a check result whose verdict follows from which reason lists are non-empty. */
export function checkResult(
  check: string,
  findings: { block?: string[]; warn?: string[]; info?: string[] },
): CheckResult {
  const block = findings.block ?? [];
  const warn = findings.warn ?? [];
  const verdict: Verdict = block.length > 0 ? 'block' : warn.length > 0 ? 'warn' : 'pass';
  return { check, verdict, reasons: [...block, ...warn, ...(findings.info ?? [])] };
}

/** FAPO's rule: a blocked proposal gets exactly one revision; a second block discards it. */
export function decideAfterReview(previousBlocks: number, verdict: Verdict): ReviewDecision {
  if (verdict !== 'block') return 'evaluate';
  return previousBlocks === 0 ? 'revise' : 'discard';
}
