import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { FapoError } from '../../util/errors.ts';
import { IFBENCH_CHECKERS, type Kwargs } from './checkers/index.ts';
import { pyStrip } from './pyText.ts';
import { readJsonl } from '../../util/jsonl.ts';

/** The shipped IFBench test file (300 prompts, allenai/IFBench db69a6f). */
export const IFBENCH_TEST_PATH = fileURLToPath(
  new URL('../../../benchmarks/ifbench/source/IFBench_test.jsonl', import.meta.url),
);

const KwargsSchema = z.record(z.string(), z.union([z.string(), z.number(), z.null()]));

const TestRowSchema = z
  .object({
    key: z.union([z.string(), z.number()]).transform(String),
    prompt: z.string(),
    instruction_id_list: z.array(z.string()).min(1),
    kwargs: z.array(KwargsSchema),
  })
  .refine((r) => r.kwargs.length === r.instruction_id_list.length, 'kwargs must be parallel to instruction_id_list')
  .refine((r) => r.instruction_id_list.every((id) => id in IFBENCH_CHECKERS), {
    message: 'unknown instruction id (not one of the 58 IFBench test checkers)',
  });

export interface IfbenchInstruction {
  id: string;
  /** kwargs with `null` entries dropped, as the reference harness does before building a checker. */
  kwargs: Kwargs;
}

export interface IfbenchTestPrompt {
  key: string;
  prompt: string;
  instructions: IfbenchInstruction[];
}

/** Drop the `null` kwargs (the reference harness does this in place before build_description). */
export function dropNullKwargs(kwargs: Readonly<Record<string, unknown>>): Kwargs {
  const kept: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(kwargs)) {
    if (typeof value === 'string' || typeof value === 'number') kept[key] = value;
  }
  return kept;
}

export function parseIfbenchTestSet(text: string, file: string): IfbenchTestPrompt[] {
  return readJsonl(file, TestRowSchema, text).map(({ value: row }) => ({
    key: row.key,
    prompt: row.prompt,
    instructions: row.instruction_id_list.map((id, k) => ({ id, kwargs: dropNullKwargs(row.kwargs[k]) })),
  }));
}

const cache = new Map<string, IfbenchTestPrompt[]>();

/** Load (once per path) and validate an IFBench test file; defaults to the shipped one. */
export function loadIfbenchTestSet(path: string = IFBENCH_TEST_PATH): IfbenchTestPrompt[] {
  let prompts = cache.get(path);
  if (!prompts) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new FapoError(`cannot read the IFBench test file ${path}: ${(err as Error).message}`);
    }
    prompts = parseIfbenchTestSet(text, path);
    cache.set(path, prompts);
  }
  return prompts;
}

/** Prompt → test entry, matching the reference's exact-then-stripped lookup. */
export class IfbenchPromptIndex {
  private readonly byPrompt = new Map<string, IfbenchTestPrompt>();

  constructor(prompts: readonly IfbenchTestPrompt[]) {
    for (const p of prompts) if (!this.byPrompt.has(p.prompt)) this.byPrompt.set(p.prompt, p);
    for (const p of prompts) {
      const stripped = pyStrip(p.prompt);
      if (!this.byPrompt.has(stripped)) this.byPrompt.set(stripped, p);
    }
  }

  find(prompt: string): IfbenchTestPrompt | undefined {
    return this.byPrompt.get(prompt) ?? this.byPrompt.get(pyStrip(prompt));
  }
}
