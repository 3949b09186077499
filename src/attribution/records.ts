/** Reading evidence out of step records and cases, by step KIND (never by step name). */
import type { ChainStructure, StepRecord } from '../chain/types.ts';
import type { Case } from '../task/schema.ts';
import { FapoError } from '../util/errors.ts';

export interface RetrievedPassage {
  id: string;
  title: string;
  text: string;
}

export interface RetrievalHop {
  /** 1-based position among the retrieve executions of the case, in execution order. */
  hop: number;
  step: string;
  iteration: number;
  query: string;
  k: number | null;
  passages: RetrievedPassage[];
}

export function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value.trim().length === 0;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.values(value).every(isEmptyValue);
  return false;
}

/**
 * A code step that returns `undefined` is a side-effect step (logging, bookkeeping), not an empty
 * result; llm and retrieve steps that return nothing are always empty.
 */
export function recordIsEmpty(record: StepRecord): boolean {
  if (record.kind === 'retrieve') return retrievedPassages(record).length === 0;
  if (record.kind === 'code' && record.output === undefined) return false;
  return isEmptyValue(record.output);
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/** Passages of a retrieve record: metadata from `passages`, text from `output` when it is an array of passages. */
export function retrievedPassages(record: StepRecord): RetrievedPassage[] {
  const fromOutput: RetrievedPassage[] = Array.isArray(record.output)
    ? record.output.flatMap((item) => {
        const passage = asRecord(item);
        if (!passage) return typeof item === 'string' ? [{ id: '', title: '', text: item }] : [];
        return [
          {
            id: typeof passage.id === 'string' || typeof passage.id === 'number' ? String(passage.id) : '',
            title: typeof passage.title === 'string' ? passage.title : '',
            text: typeof passage.text === 'string' ? passage.text : '',
          },
        ];
      })
    : [];
  const meta = record.passages ?? [];
  if (meta.length === 0) return fromOutput;
  const textById = new Map(fromOutput.filter((p) => p.id !== '').map((p) => [p.id, p.text]));
  return meta.map((p, index) => ({
    id: p.id,
    title: p.title,
    text: textById.get(p.id) ?? fromOutput[index]?.text ?? '',
  }));
}

function numericK(value: unknown): number | null {
  const k = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(k) ? k : null;
}

export function retrievalHops(records: StepRecord[]): RetrievalHop[] {
  return records
    .filter((record) => record.kind === 'retrieve')
    .map((record, index) => ({
      hop: index + 1,
      step: record.name,
      iteration: record.iteration,
      query: typeof record.inputs.query === 'string' ? record.inputs.query : '',
      k: numericK(record.inputs.k),
      passages: retrievedPassages(record),
    }));
}

/** Everything a hop retrieved, titles and texts, as one string. */
export function hopText(hop: RetrievalHop): string {
  return hop.passages.map((p) => `${p.title}\n${p.text}`).join('\n');
}

/** The step whose output is the chain's answer: the declared output step, else the last step that ran. */
export function finalStepName(records: StepRecord[], chain: ChainStructure): string | undefined {
  return chain.output ?? records.at(-1)?.name;
}

const ANSWER_FIELDS = ['answer', 'final_answer', 'output', 'response', 'text'];

/** The final output as text: a string as is; an object's answer-like field, else its string fields joined. */
export function finalOutputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (typeof output === 'number' || typeof output === 'boolean') return String(output);
  const object = asRecord(output);
  if (!object) return Array.isArray(output) ? output.filter((v) => typeof v === 'string').join('\n') : '';
  for (const field of ANSWER_FIELDS) if (typeof object[field] === 'string') return object[field];
  return Object.values(object)
    .filter((v): v is string => typeof v === 'string')
    .join('\n');
}

/** Answer strings in `expected`: a primitive, a list of aliases, or an object's answer/answers field. */
export function expectedAnswers(expected: unknown): string[] {
  if (typeof expected === 'string') return expected.trim() ? [expected.trim()] : [];
  if (typeof expected === 'number' || typeof expected === 'boolean') return [String(expected)];
  if (Array.isArray(expected))
    return expected.flatMap((item) => (typeof item === 'object' ? [] : expectedAnswers(item)));
  const object = asRecord(expected);
  if (!object) return [];
  return [...expectedAnswers(object.answer), ...expectedAnswers(object.answers)];
}

/** The case's question for the overlap rule: `input[questionKey]`, else `input.question`, else all string inputs. */
export function questionText(input: Record<string, unknown>, questionKey?: string): string {
  const preferred = input[questionKey ?? 'question'];
  if (typeof preferred === 'string') return preferred;
  return Object.values(input)
    .filter((v): v is string => typeof v === 'string')
    .join('\n');
}

/**
 * Gold titles under `metadata[key]`, accepting the shapes public datasets use: a title list, HoVer-style
 * `[title, sentence]` pairs, HotpotQA-style `{title: [...]}`, or `{title}` objects. Absent → [].
 */
export function goldTitles(testCase: Case, key: string | undefined): string[] {
  if (!key) return [];
  const raw = testCase.metadata[key];
  if (raw === undefined || raw === null) return [];
  const titles = extractTitles(raw);
  if (titles === null) {
    throw new FapoError(
      `case ${testCase.id}: metadata.${key} is not a recognised gold-evidence shape`,
      'use a list of titles, [title, sentence] pairs, {title: [...]} or a list of {title} objects',
    );
  }
  return [...new Set(titles)];
}

function extractTitles(raw: unknown): string[] | null {
  if (typeof raw === 'string') return [raw];
  const object = asRecord(raw);
  if (object) return object.title === undefined ? null : extractTitles(object.title);
  if (!Array.isArray(raw)) return null;
  const titles: string[] = [];
  for (const item of raw) {
    if (typeof item === 'string') titles.push(item);
    else if (Array.isArray(item) && typeof item[0] === 'string') titles.push(item[0]);
    else if (typeof asRecord(item)?.title === 'string') titles.push(asRecord(item)!.title as string);
    else return null;
  }
  return titles;
}
