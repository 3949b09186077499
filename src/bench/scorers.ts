/**
 * What benchmark scorers import as `fapo/bench`: one scorer per shipped benchmark task, built on the
 * metric modules. Scorers run in the parent process (trusted), so they may use fapo's own code; chain
 * code never sees this module.
 */
import { z } from 'zod';
import type { StepRecord } from '../chain/types.ts';
import type { Case } from '../task/schema.ts';
import type { ScoreResult, ScorerInput } from '../task/scorer.ts';
import { FapoError } from '../util/errors.ts';
import { aimeFeedback, scoreAime } from './metrics/aime.ts';
import { answerTokenF1 } from './metrics/answer-match.ts';
import { ctiRcmFeedback, scoreCtiRcm } from './metrics/ctibench.ts';
import { hotpotqaFeedback, scoreHotpotQA } from './metrics/hotpotqa.ts';
import { hoverFeedback, scoreHover } from './metrics/hover.ts';
import { livebenchMathFeedback, scoreLiveBenchMath } from './metrics/livebench-math.ts';
import { countLeakedUnits, pupaFeedback, scorePupa } from './metrics/pupa.ts';
import type { HopRetrieval } from './metrics/retrieval.ts';
import { scoreIfbenchResponse } from './ifbench/metric.ts';

export type { ScoreResult, ScorerInput } from '../task/scorer.ts';

function parseCase<S extends z.ZodType>(c: Case, part: 'expected' | 'metadata', schema: S): z.infer<S> {
  const parsed = schema.safeParse(c[part]);
  if (!parsed.success) {
    throw new FapoError(
      `case "${c.id}": ${part} does not have the benchmark's fields: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`,
      'Rebuild the data with scripts/build-benchmark-data.ts.',
    );
  }
  return parsed.data;
}

/**
 * A named field of a step or chain output: DSPy-style steps produce `{reasoning, answer}` objects; a
 * variant that switched a step to plain text yields the string itself.
 */
export function outputField(output: unknown, field: string): string {
  if (typeof output === 'string') return output;
  if (output !== null && typeof output === 'object' && field in output)
    return String((output as Record<string, unknown>)[field] ?? '');
  return output === null || output === undefined ? '' : JSON.stringify(output);
}

/** The retrieval steps that ran, in execution order, with the documents each returned. */
export function retrievalHops(steps: readonly StepRecord[]): HopRetrieval[] {
  return steps
    .filter((s) => s.kind === 'retrieve' && !s.error && Array.isArray(s.output))
    .map((s) => ({ step: s.name, documents: (s.output as { title: string }[]).map((p) => ({ title: p.title })) }));
}

const SupportingFactsSchema = z
  .array(z.object({ title: z.string(), sentId: z.number(), sentence: z.string().optional() }))
  .default([]);
const GoldDocumentsSchema = z.array(z.object({ title: z.string(), text: z.string() })).default([]);

/** HotpotQA: answer exact match; the feedback follows the retrieval hop by hop (GEPA's hop-aware text). */
export function hotpotqaScorer({ case: c, output, steps }: ScorerInput): ScoreResult {
  const { answer } = parseCase(c, 'expected', z.object({ answer: z.string() }));
  const meta = parseCase(
    c,
    'metadata',
    z.object({
      supportingTitles: z.array(z.string()),
      supportingFacts: SupportingFactsSchema,
      goldDocuments: GoldDocumentsSchema,
    }),
  );
  const prediction = { answer: outputField(output, 'answer'), hops: retrievalHops(steps) };
  const gold = {
    answer,
    supportingTitles: meta.supportingTitles,
    supportingFacts: meta.supportingFacts,
    goldDocuments: meta.goldDocuments,
  };
  const result = scoreHotpotQA(prediction, gold);
  // One feedback text per case serves every module: written for the last hop's summary, it carries the
  // verdict, the per-hop retrieval account, the missing documents' text and the ideal summary.
  return { ...result, feedback: hotpotqaFeedback('summarize_hop2', prediction, gold) };
}

/** HoVer: 1 only if every gold supporting title is among the (at most 24) retrieved titles. */
export function hoverScorer({ case: c, steps }: ScorerInput): ScoreResult {
  const gold = parseCase(c, 'expected', z.object({ supportingTitles: z.array(z.string()).min(1) }));
  const hops = retrievalHops(steps);
  return { ...scoreHover(hops, gold), feedback: hoverFeedback('query_hop3', hops, gold) };
}

/** IFBench: fraction of constraints met (loose, GEPA's score); strict and prompt-level in the breakdown. */
export function ifbenchScorer({ case: c, output }: ScorerInput): ScoreResult {
  const constraints = parseCase(
    c,
    'expected',
    z.object({
      instructionIdList: z.array(z.string()),
      kwargs: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()]))),
    }),
  );
  const { score, breakdown, feedback } = scoreIfbenchResponse(constraints, outputField(output, 'final_response'));
  return { score, breakdown: { ...breakdown }, feedback };
}

/** The step whose rendered prompt is what the untrusted model saw. */
export const PUPA_UNTRUSTED_STEP = 'untrusted_llm';

/**
 * PUPA offline: leakage is the deterministic verbatim count of PII units in what the untrusted model was
 * actually sent (its rendered messages). Quality needs an LLM judge that a scorer cannot call, so the
 * score uses a labelled stand-in: token F1 between the final response and the target response
 * (`breakdown.judged = 0`). This is NOT the paper's metric; see docs/benchmarks.md.
 */
export function pupaScorer({ case: c, output, steps }: ScorerInput): ScoreResult {
  const expected = parseCase(c, 'expected', z.object({ targetResponse: z.string(), piiUnits: z.array(z.string()) }));
  const sent = steps
    .filter((s) => s.name === PUPA_UNTRUSTED_STEP && s.messages)
    .flatMap((s) => s.messages!.map((m) => m.content));
  if (sent.length === 0)
    throw new FapoError(
      `case "${c.id}": no "${PUPA_UNTRUSTED_STEP}" step ran, so leakage cannot be measured`,
      `Keep the ${PUPA_UNTRUSTED_STEP} step: it is the call to the untrusted model.`,
    );
  const leakage = countLeakedUnits(expected.piiUnits, sent.join('\n'));
  const qualityProxy = answerTokenF1(outputField(output, 'response'), expected.targetResponse).f1;
  const { score, breakdown } = scorePupa(qualityProxy, leakage.fraction);
  const feedback = pupaFeedback(qualityProxy, leakage).replace(
    /^.*\n/,
    `Quality (offline stand-in for the judge: token F1 against the reference response) = ${qualityProxy.toFixed(2)}.\n`,
  );
  return {
    score,
    breakdown: { ...breakdown, leakedUnits: leakage.leaked.length, piiUnits: leakage.total, judged: 0 },
    feedback,
  };
}

/** AIME: integer exact match; the reference solution is in the feedback on train cases only (GEPA). */
export function aimeScorer({ case: c, output }: ScorerInput): ScoreResult {
  const { answer } = parseCase(c, 'expected', z.object({ answer: z.union([z.number(), z.string()]) }));
  const { solution } = parseCase(c, 'metadata', z.object({ solution: z.string().optional() }));
  const text = outputField(output, 'answer');
  return { ...scoreAime(text, answer), feedback: aimeFeedback(text, { answer, ...(solution ? { solution } : {}) }) };
}

/** LiveBench-Math: LiveBench's scorer for the question's subtask; its debug line is the feedback. */
export function livebenchMathScorer({ case: c, output }: ScorerInput): ScoreResult {
  const { groundTruth } = parseCase(c, 'expected', z.object({ groundTruth: z.string() }));
  const { subtask } = parseCase(c, 'metadata', z.object({ subtask: z.string() }));
  const question = { subtask, groundTruth, question: String(c.input.question ?? '') };
  const text = outputField(output, 'answer');
  const { score, breakdown } = scoreLiveBenchMath(text, question);
  return { score, breakdown, feedback: livebenchMathFeedback(text, question) };
}

/** CTIBench-RCM: the CWE id on the response's last line equals the gold id. */
export function ctibenchScorer({ case: c, output }: ScorerInput): ScoreResult {
  const { cwe } = parseCase(c, 'expected', z.object({ cwe: z.string() }));
  const text = outputField(output, 'response');
  return { ...scoreCtiRcm(text, cwe), feedback: ctiRcmFeedback(text, cwe) };
}
