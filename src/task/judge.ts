/**
 * Judge scorers: a model grades an output against a guideline and, where the case has one, a rubric
 * of criteria, each met or not met with a reason. The score is the share of criteria met. What makes
 * a judge worth trusting is built in rather than left to the prompt's wording:
 * - structured verdicts, validated (an unreadable verdict is an infra error, never a zero);
 * - a position guard: with a reference answer, the judge is asked twice, the output shown before and
 *   after the reference, and a criterion counts as met only when both orders say so;
 * - a verbosity guard: the judge is told length earns nothing, and an output longer than the limit is
 *   shown cut, with its length stated;
 * - n-sample agreement: several independent verdicts per order, met by majority, agreement reported.
 * Calls go through the scorer's `judge` client (role `judge`): cached, metered and budgeted like every
 * other model call, so a rerun repays nothing.
 */
import { z } from 'zod';
import { FapoError, InfraError } from '../util/errors.ts';
import type { JudgeClient, ScoreResult, Scorer, ScorerInput } from './scorer.ts';

export interface JudgeScorerOptions {
  /** What a good output does, for every case (the standard the judge applies). */
  guideline: string;
  /**
   * The criteria of one case, each judged met / not met. Default: `case.expected.rubric` or
   * `case.metadata.rubric` when it is a list of strings; otherwise the guideline is the one criterion.
   */
  rubric?: (input: ScorerInput) => readonly string[] | undefined;
  /** A reference answer to compare with. Default: `case.expected` when it is a string. */
  reference?: (input: ScorerInput) => string | undefined;
  /** How the output is shown. Default: the string itself, or its JSON. */
  render?: (input: ScorerInput) => string;
  /** Independent verdicts per order (default 1); more than one samples at `temperature`. */
  samples?: number;
  /** Sampling temperature when `samples` > 1 (default 0.7); a single verdict is taken at 0. */
  temperature?: number;
  /** Characters of the output shown to the judge (default 8,000); a longer output is cut and its length stated. */
  maxOutputChars?: number;
  /** Output tokens a verdict may use (default 800). */
  maxTokens?: number;
}

// Built on first use: chain code imports `fapo` too, and a schema built at load would pull zod into
// every sandboxed chain bundle.
const verdictSchema = () => z.object({ criteria: z.array(z.object({ met: z.boolean(), reason: z.string() })) });
type Verdict = z.infer<ReturnType<typeof verdictSchema>>;

const VERDICT_JSON_SCHEMA = {
  type: 'object',
  properties: {
    criteria: {
      type: 'array',
      items: {
        type: 'object',
        properties: { met: { type: 'boolean' }, reason: { type: 'string' } },
        required: ['met', 'reason'],
        additionalProperties: false,
      },
    },
  },
  required: ['criteria'],
  additionalProperties: false,
} as const;

const SYSTEM = [
  'You are a strict, impartial grader. Judge the OUTPUT against each numbered criterion independently.',
  'A criterion is met only if the output clearly satisfies it; when in doubt, it is not met.',
  'Length earns nothing: a longer output is not better, and padding, repetition or hedging never meets a criterion.',
  'Where a REFERENCE is given, it shows one acceptable answer; the output need not copy its wording.',
  'Answer with JSON only: {"criteria": [{"met": true|false, "reason": "one sentence"}, ...]}, one entry per criterion, in order.',
].join('\n');

export function defineJudgeScorer(options: JudgeScorerOptions): Scorer {
  const samples = Math.max(1, Math.floor(options.samples ?? 1));
  const maxChars = options.maxOutputChars ?? 8000;
  return async (input) => {
    if (!input.judge) throw noJudgeError();
    const criteria = criteriaOf(input, options);
    const reference = (options.reference ?? defaultReference)(input);
    const shown = clip((options.render ?? defaultRender)(input), maxChars);
    const orders: ('output-first' | 'reference-first')[] =
      reference === undefined ? ['output-first'] : ['output-first', 'reference-first'];
    const verdicts: Verdict[][] = await Promise.all(
      orders.map((order) =>
        Promise.all(
          Array.from({ length: samples }, (_, s) =>
            askJudge(input.judge!, {
              user: userMessage(options.guideline, criteria, shown, reference, order),
              count: criteria.length,
              sampleKey: `judge/${order}/s${s}`,
              temperature: samples > 1 ? (options.temperature ?? 0.7) : 0,
              maxTokens: options.maxTokens ?? 800,
            }),
          ),
        ),
      ),
    );
    return combine(criteria, verdicts);
  };
}

/** The scorer asked for a judge the run was not given: a configuration error that stops the run. */
export function noJudgeError(): FapoError {
  return new FapoError(
    'the scorer asks a judge model, and this run has none',
    'Pass --judge-model provider:model, or set `judge: { model: provider:model }` in fapo.task.yaml.',
  );
}

function criteriaOf(input: ScorerInput, options: JudgeScorerOptions): readonly string[] {
  const given = options.rubric
    ? options.rubric(input)
    : (stringList(input.case.expected, 'rubric') ?? stringList(input.case.metadata, 'rubric'));
  if (given && given.length > 0) return given;
  return [options.guideline];
}

function stringList(holder: unknown, key: string): string[] | undefined {
  if (!holder || typeof holder !== 'object') return undefined;
  const value = (holder as Record<string, unknown>)[key];
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
}

function defaultReference(input: ScorerInput): string | undefined {
  return typeof input.case.expected === 'string' ? input.case.expected : undefined;
}

function defaultRender(input: ScorerInput): string {
  return typeof input.output === 'string' ? input.output : JSON.stringify(input.output, null, 2);
}

function clip(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}\n[... output cut by the grader's harness: ${text.length} characters in all, ${maxChars} shown]`;
}

function userMessage(
  guideline: string,
  criteria: readonly string[],
  output: string,
  reference: string | undefined,
  order: 'output-first' | 'reference-first',
): string {
  const outputBlock = `OUTPUT:\n<<<\n${output}\n>>>`;
  const blocks = [`GUIDELINE:\n${guideline}`, `CRITERIA:\n${criteria.map((c, i) => `${i + 1}. ${c}`).join('\n')}`];
  if (reference === undefined) blocks.push(outputBlock);
  else {
    const referenceBlock = `REFERENCE:\n<<<\n${reference}\n>>>`;
    blocks.push(...(order === 'output-first' ? [outputBlock, referenceBlock] : [referenceBlock, outputBlock]));
  }
  return blocks.join('\n\n');
}

async function askJudge(
  judge: JudgeClient,
  ask: { user: string; count: number; sampleKey: string; temperature: number; maxTokens: number },
): Promise<Verdict> {
  const response = await judge.generate({
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: ask.user },
    ],
    sampling: { temperature: ask.temperature, maxTokens: ask.maxTokens },
    schema: VERDICT_JSON_SCHEMA,
    sampleKey: ask.sampleKey,
  });
  const parsed = verdictSchema().safeParse(response.object ?? parseJson(response.text));
  if (!parsed.success)
    throw new InfraError(
      `judge ${judge.id}: the verdict is not {criteria: [{met, reason}]} (${response.text.slice(0, 200)})`,
    );
  if (parsed.data.criteria.length !== ask.count)
    throw new InfraError(
      `judge ${judge.id}: the verdict judged ${parsed.data.criteria.length} criteria where ${ask.count} were asked`,
    );
  return parsed.data;
}

const UNMET = '- not met: ';
const REASON = ' — judge: ';

/** The criteria a judge scorer's feedback lists as not met (what attribution and proposers act on). */
export function unmetCriteria(feedback: string | undefined): string[] {
  if (!feedback) return [];
  return feedback
    .split('\n')
    .filter((line) => line.startsWith(UNMET))
    .map((line) => line.slice(UNMET.length).split(REASON)[0]!.trim())
    .filter(Boolean);
}

function parseJson(text: string): unknown {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) return undefined;
  try {
    return JSON.parse(text.slice(start, end + 1));
  } catch {
    return undefined;
  }
}

/**
 * Per criterion: met by majority within each order (ties count as not met), and met overall only if
 * every order says so. Agreement is the mean share of verdicts that side with their order's majority.
 */
function combine(criteria: readonly string[], byOrder: Verdict[][]): ScoreResult {
  let agreeing = 0;
  let votes = 0;
  let orderDisagreements = 0;
  const met = criteria.map((_, i) => {
    const perOrder = byOrder.map((verdicts) => {
      const yes = verdicts.filter((v) => v.criteria[i]!.met).length;
      const majority = yes * 2 > verdicts.length;
      agreeing += majority ? yes : verdicts.length - yes;
      votes += verdicts.length;
      return majority;
    });
    if (perOrder.some((m) => m !== perOrder[0])) orderDisagreements++;
    return perOrder.every(Boolean);
  });
  const score = met.filter(Boolean).length / criteria.length;
  const unmet = criteria.flatMap((criterion, i) => {
    if (met[i]) return [];
    const reason = byOrder.flat().find((v) => !v.criteria[i]!.met)?.criteria[i]?.reason ?? '';
    return [`${UNMET}${criterion}${reason ? `${REASON}${reason}` : ''}`];
  });
  return {
    score,
    breakdown: {
      criteria_met: met.filter(Boolean).length,
      criteria: criteria.length,
      judge_agreement: votes ? agreeing / votes : 1,
      ...(byOrder.length > 1 ? { position_disagreements: orderDisagreements } : {}),
    },
    ...(unmet.length ? { feedback: unmet.join('\n') } : {}),
  };
}
