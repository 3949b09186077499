import { FapoError } from '../../util/errors.ts';
import { IFBENCH_CHECKERS, type Checker } from './checkers/index.ts';
import { pyStrip } from './pyText.ts';
import type { IfbenchInstruction } from './testSet.ts';

export type IfbenchMode = 'strict' | 'loose';

/**
 * The texts a mode tries, in the reference's order. Loose also tries the response without its
 * first and/or last line (split on "\n" only) and with every `*` removed.
 */
export function responseVariants(response: string, mode: IfbenchMode): string[] {
  if (mode === 'strict') return [response];
  const lines = response.split('\n');
  const withoutFirst = pyStrip(lines.slice(1).join('\n'));
  const withoutLast = pyStrip(lines.slice(0, -1).join('\n'));
  const withoutBoth = pyStrip(lines.slice(1, -1).join('\n'));
  const noStars = (s: string) => s.replaceAll('*', '');
  return [
    response,
    noStars(response),
    withoutFirst,
    withoutLast,
    withoutBoth,
    noStars(withoutFirst),
    noStars(withoutLast),
    noStars(withoutBoth),
  ];
}

export function checkerFor(id: string): Checker {
  const checker = IFBENCH_CHECKERS[id];
  if (!checker)
    throw new FapoError(`unknown IFBench instruction id "${id}"`, 'use one of the 58 ids in IFBench_test.jsonl');
  return checker;
}

/** Throw early, naming the instruction, when a required kwarg is missing or null. */
export function assertInstructionArgs(instruction: IfbenchInstruction): void {
  const missing = checkerFor(instruction.id).args.filter((key) => !(key in instruction.kwargs));
  if (missing.length > 0) {
    throw new FapoError(`IFBench instruction ${instruction.id} is missing kwargs: ${missing.join(', ')}`);
  }
}

/** Whether one instruction is followed: some variant is non-blank and passes the checker. */
export function isInstructionFollowed(instruction: IfbenchInstruction, variants: readonly string[]): boolean {
  const checker = checkerFor(instruction.id);
  return variants.some((text) => pyStrip(text) !== '' && checker.check(text, instruction.kwargs));
}

export function followedList(
  instructions: readonly IfbenchInstruction[],
  response: string,
  mode: IfbenchMode,
): boolean[] {
  const variants = responseVariants(response, mode);
  return instructions.map((instruction) => {
    assertInstructionArgs(instruction);
    return isInstructionFollowed(instruction, variants);
  });
}

/** Whether the instruction's checker only approximates the reference (NLTK, syllapy, emoji). */
export function isApproximate(id: string): boolean {
  return (checkerFor(id).approximation?.length ?? 0) > 0;
}
