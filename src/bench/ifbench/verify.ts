import { readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { FapoError } from '../../util/errors.ts';
import { followedList, isApproximate, type IfbenchMode } from './evaluate.ts';
import { IfbenchPromptIndex, loadIfbenchTestSet, type IfbenchTestPrompt } from './testSet.ts';
import { readJsonl } from '../../util/jsonl.ts';

export interface IfbenchResponseRow {
  prompt: string;
  response: string;
}

/** One output row in the reference `eval_results_{strict,loose}.jsonl` format (keys in its order). */
export interface IfbenchResultRow {
  follow_all_instructions: boolean;
  follow_instruction_list: boolean[];
  instruction_id_list: string[];
  prompt: string;
  response: string;
}

export interface VerifyOptions {
  loose: boolean;
  /** Test prompts to look rows up in; defaults to the shipped IFBench_test.jsonl. */
  testSet?: readonly IfbenchTestPrompt[];
}

/** A response row left out because its prompt is not an IFBench test prompt (e.g. an edited prompt). */
export interface SkippedIfbenchRow {
  /** 1-based row number in the input. */
  row: number;
  /** The prompt's first 80 characters. */
  prompt: string;
}

export interface IfbenchVerification {
  results: IfbenchResultRow[];
  skipped: SkippedIfbenchRow[];
}

/**
 * Scores each row whose prompt is an IFBench test prompt; the others are skipped (and listed), as
 * the reference's own response file holds rows whose prompts were edited after it was made.
 */
export function verifyIfbench(rows: readonly IfbenchResponseRow[], options: VerifyOptions): IfbenchVerification {
  const index = new IfbenchPromptIndex(options.testSet ?? loadIfbenchTestSet());
  const mode: IfbenchMode = options.loose ? 'loose' : 'strict';
  const results: IfbenchResultRow[] = [];
  const skipped: SkippedIfbenchRow[] = [];
  rows.forEach((row, i) => {
    const test = index.find(row.prompt);
    if (!test) {
      skipped.push({ row: i + 1, prompt: row.prompt.length > 80 ? `${row.prompt.slice(0, 80)}…` : row.prompt });
      return;
    }
    let follow: boolean[];
    try {
      follow = followedList(test.instructions, row.response, mode);
    } catch (err) {
      if (err instanceof FapoError)
        throw new FapoError(`IFBench row ${i + 1} (key ${test.key}): ${err.message}`, err.hint);
      throw err;
    }
    results.push({
      follow_all_instructions: follow.every(Boolean),
      follow_instruction_list: follow,
      instruction_id_list: test.instructions.map((inst) => inst.id),
      prompt: test.prompt,
      response: row.response,
    });
  });
  return { results, skipped };
}

export interface Accuracy {
  followed: number;
  total: number;
  /** followed / total; 0 when total is 0. */
  accuracy: number;
}

export interface IfbenchSummary {
  mode: IfbenchMode;
  /** All instructions of the prompt followed (the IFBench paper's headline, in loose mode). */
  promptLevel: Accuracy;
  /** Mean over all instructions (GEPA's per-prompt fraction, averaged over instructions). */
  instructionLevel: Accuracy;
  byInstruction: Record<string, Accuracy>;
  /** Share of instruction checks scored by a checker that only approximates the reference. */
  approximateShare: number;
  /** Input rows left out: their prompts are not IFBench test prompts. */
  skipped: SkippedIfbenchRow[];
}

function accuracy(followed: number, total: number): Accuracy {
  return { followed, total, accuracy: total === 0 ? 0 : followed / total };
}

export function summarizeIfbench(
  results: readonly IfbenchResultRow[],
  mode: IfbenchMode,
  skipped: readonly SkippedIfbenchRow[] = [],
): IfbenchSummary {
  const byId = new Map<string, [number, number]>();
  let followed = 0;
  let total = 0;
  let approximate = 0;
  for (const row of results) {
    row.instruction_id_list.forEach((id, k) => {
      const ok = row.follow_instruction_list[k];
      const counts = byId.get(id) ?? [0, 0];
      byId.set(id, [counts[0] + (ok ? 1 : 0), counts[1] + 1]);
      followed += ok ? 1 : 0;
      total++;
      if (isApproximate(id)) approximate++;
    });
  }
  const byInstruction: Record<string, Accuracy> = {};
  for (const id of [...byId.keys()].sort()) byInstruction[id] = accuracy(...byId.get(id)!);
  return {
    mode,
    promptLevel: accuracy(results.filter((r) => r.follow_all_instructions).length, results.length),
    instructionLevel: accuracy(followed, total),
    byInstruction,
    approximateShare: total === 0 ? 0 : approximate / total,
    skipped: [...skipped],
  };
}

const ResponseRowSchema = z.object({ prompt: z.string(), response: z.string() });

/** Read `{prompt, response}` JSONL; a malformed line is a FapoError naming file:line. */
export function readIfbenchResponses(file: string): IfbenchResponseRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new FapoError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return readJsonl(file, ResponseRowSchema, text).map(({ value }) => ({
    prompt: value.prompt,
    response: value.response,
  }));
}

export interface RunIfbenchVerifyOptions {
  input: string;
  output: string;
  loose: boolean;
}

/** `fapo bench ifbench-verify`: score a response file and write reference-format result rows. */
export function runIfbenchVerify(options: RunIfbenchVerifyOptions): IfbenchSummary {
  const rows = readIfbenchResponses(options.input);
  if (rows.length === 0) throw new FapoError(`${options.input}: no response rows`);
  const { results, skipped } = verifyIfbench(rows, { loose: options.loose });
  if (results.length === 0)
    throw new FapoError(
      `${options.input}: none of its ${rows.length} rows has an IFBench test prompt`,
      'each row must carry the exact prompt text of an IFBench test prompt (IFBench_test.jsonl)',
    );
  writeFileSync(options.output, `${results.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return summarizeIfbench(results, options.loose ? 'loose' : 'strict', skipped);
}
