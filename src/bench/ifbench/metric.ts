/**
 * The IFBench task metric: GEPA's score (fraction of a prompt's constraints met under loose
 * evaluation), with strict and prompt-level variants in the breakdown and feedback text naming the
 * constraints met and missed.
 */
import { z } from 'zod';
import { FapoError } from '../../util/errors.ts';
import { describeInstruction } from './describe.ts';
import { followedList, isApproximate } from './evaluate.ts';
import { dropNullKwargs, type IfbenchInstruction } from './testSet.ts';

const KwargsListSchema = z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()])));

/**
 * A case's constraints: the IFBench row fields (`instruction_id_list`, `kwargs`) or the task data's
 * `expected` (`instructionIdList`, `kwargs`). `kwargs` may carry `null` for unused keys.
 */
export const IfbenchConstraintsSchema = z
  .union([
    z.object({ instruction_id_list: z.array(z.string()).min(1), kwargs: KwargsListSchema }),
    z
      .object({ instructionIdList: z.array(z.string()).min(1), kwargs: KwargsListSchema })
      .transform((c) => ({ instruction_id_list: c.instructionIdList, kwargs: c.kwargs })),
  ])
  .refine((c) => c.kwargs.length === c.instruction_id_list.length, 'kwargs must be parallel to the instruction ids');
export type IfbenchConstraints = z.input<typeof IfbenchConstraintsSchema>;

export interface IfbenchScore {
  /** Fraction of constraints met in loose mode, in [0,1]. */
  score: number;
  breakdown: {
    loose_instruction: number;
    strict_instruction: number;
    loose_prompt: number;
    strict_prompt: number;
    /** Fraction of this case's constraints checked by an approximate (NLTK/syllapy/emoji) checker. */
    approximate_fraction: number;
  };
  feedback: string;
}

export function toInstructions(constraints: IfbenchConstraints): IfbenchInstruction[] {
  const parsed = IfbenchConstraintsSchema.safeParse(constraints);
  if (!parsed.success) {
    throw new FapoError(`invalid IFBench constraints: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data.instruction_id_list.map((id, k) => ({ id, kwargs: dropNullKwargs(parsed.data.kwargs[k]) }));
}

const fraction = (flags: boolean[]) => flags.filter(Boolean).length / flags.length;

export function scoreIfbenchResponse(constraints: IfbenchConstraints, response: string): IfbenchScore {
  const instructions = toInstructions(constraints);
  const loose = followedList(instructions, response, 'loose');
  const strict = followedList(instructions, response, 'strict');
  const describe = (i: number) =>
    `- ${describeInstruction(instructions[i].id, instructions[i].kwargs)} [${instructions[i].id}]`;
  const met = instructions.flatMap((_, i) => (loose[i] ? [describe(i)] : []));
  const missed = instructions.flatMap((_, i) => (loose[i] ? [] : [describe(i)]));
  const lines = [`The response satisfies ${met.length} of ${instructions.length} constraints.`];
  if (met.length > 0) lines.push('Constraints met:', ...met);
  if (missed.length > 0) lines.push('Constraints not met:', ...missed);
  const onlyLoose = instructions.filter((_, i) => loose[i] && !strict[i]);
  if (onlyLoose.length > 0) {
    lines.push(
      `Met only after dropping the first/last line or the * characters: ${onlyLoose.map((inst) => inst.id).join(', ')}.`,
    );
  }
  return {
    score: fraction(loose),
    breakdown: {
      loose_instruction: fraction(loose),
      strict_instruction: fraction(strict),
      loose_prompt: loose.every(Boolean) ? 1 : 0,
      strict_prompt: strict.every(Boolean) ? 1 : 0,
      approximate_fraction: fraction(instructions.map((inst) => isApproximate(inst.id))),
    },
    feedback: lines.join('\n'),
  };
}
