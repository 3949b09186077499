/**
 * Agreement of the port with the reference result vectors shipped in benchmarks/ifbench/source/
 * (147 rows scored upstream by the 2025 checker code).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { FapoError } from '../../util/errors.ts';
import type { IfbenchMode } from './evaluate.ts';
import { readIfbenchResponses, verifyIfbench, type IfbenchResultRow } from './verify.ts';

export const IFBENCH_SOURCE_DIR = fileURLToPath(new URL('../../../benchmarks/ifbench/source/', import.meta.url));

/**
 * Checkers whose current code reproduces the reference vectors on the shipped rows (reference §7.3):
 * no NLTK/emoji/syllapy dependency and either unchanged since 2025 or changed only in edge cases
 * these rows never hit. Agreement on these must be exact.
 */
export const EXACT_ORACLE_IDS: ReadonlySet<string> = new Set([
  'count:conjunctions',
  'count:keywords_multiple',
  'count:numbers',
  'count:punctuation',
  'count:unique_word_count',
  'count:word_count_range',
  'count:words_japanese',
  'custom:character_reverse',
  'custom:csv_city',
  'custom:csv_quotes',
  'custom:csv_special_character',
  'custom:date_format_list',
  'custom:european_capitals_sort',
  'custom:mcq_count_length',
  'custom:multiples',
  'custom:reverse_newline',
  'format:line_indent',
  'format:list',
  'format:newline',
  'format:no_whitespace',
  'format:options',
  'format:output_template',
  'format:parentheses',
  'format:quotes',
  'format:sub-bullets',
  'format:thesis',
  'repeat:repeat_simple',
  'words:consonants',
  'words:no_consecutive',
  'words:palindrome',
  'words:prime_lengths',
  'words:repeats',
  'words:vowel',
  'count:person_names',
  'ratio:overlap',
  'format:quote_unquote',
  'repeat:repeat_change',
  'repeat:repeat_span',
  'words:alphabet',
  'words:paragraph_last_first',
]);

const ReferenceRowSchema = z.object({
  follow_all_instructions: z.boolean(),
  follow_instruction_list: z.array(z.boolean()),
  instruction_id_list: z.array(z.string()),
  prompt: z.string(),
  response: z.string(),
});

function readReference(file: string): IfbenchResultRow[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line, i) => {
      if (line.trim() === '') return [];
      let parsed;
      try {
        parsed = ReferenceRowSchema.safeParse(JSON.parse(line));
      } catch {
        throw new FapoError(`${file}:${i + 1}: not valid JSON`);
      }
      if (!parsed.success) throw new FapoError(`${file}:${i + 1}: not a reference result row`);
      return [parsed.data];
    });
}

export interface Disagreement {
  row: number;
  id: string;
  ours: boolean;
  reference: boolean;
  response: string;
}

export interface IdAgreement {
  agree: number;
  total: number;
}

export interface AgreementReport {
  mode: IfbenchMode;
  byId: Record<string, IdAgreement>;
  agree: number;
  total: number;
  /** Prompt-level follow_all agreement. */
  promptAgree: number;
  prompts: number;
  disagreements: Disagreement[];
  ours: { promptFollowed: number; instructionFollowed: number };
  reference: { promptFollowed: number; instructionFollowed: number };
}

export function measureAgreement(mode: IfbenchMode, sourceDir: string = IFBENCH_SOURCE_DIR): AgreementReport {
  const responses = readIfbenchResponses(`${sourceDir}sample_output.jsonl`);
  const reference = readReference(`${sourceDir}eval_results_${mode}.jsonl`);
  if (reference.length !== responses.length) {
    throw new FapoError(
      `reference vectors and sample_output differ in length (${reference.length} vs ${responses.length})`,
    );
  }
  const { results: ours, skipped } = verifyIfbench(responses, { loose: mode === 'loose' });
  if (skipped.length > 0)
    throw new FapoError(`sample_output rows ${skipped.map((s) => s.row).join(', ')} have no IFBench test prompt`);
  const report: AgreementReport = {
    mode,
    byId: {},
    agree: 0,
    total: 0,
    promptAgree: 0,
    prompts: ours.length,
    disagreements: [],
    ours: { promptFollowed: 0, instructionFollowed: 0 },
    reference: { promptFollowed: 0, instructionFollowed: 0 },
  };
  ours.forEach((row, r) => {
    const ref = reference[r];
    if (ref.prompt !== row.prompt || ref.instruction_id_list.join() !== row.instruction_id_list.join()) {
      throw new FapoError(`reference row ${r + 1} does not align with sample_output row ${r + 1}`);
    }
    if (row.follow_all_instructions === ref.follow_all_instructions) report.promptAgree++;
    if (row.follow_all_instructions) report.ours.promptFollowed++;
    if (ref.follow_all_instructions) report.reference.promptFollowed++;
    row.instruction_id_list.forEach((id, k) => {
      const mine = row.follow_instruction_list[k];
      const theirs = ref.follow_instruction_list[k];
      const counts = (report.byId[id] ??= { agree: 0, total: 0 });
      counts.total++;
      report.total++;
      if (mine) report.ours.instructionFollowed++;
      if (theirs) report.reference.instructionFollowed++;
      if (mine === theirs) {
        counts.agree++;
        report.agree++;
      } else {
        report.disagreements.push({ row: r + 1, id, ours: mine, reference: theirs, response: row.response });
      }
    });
  });
  return report;
}
