import { answerExactMatch, answerTokenF1 } from './answer-match.ts';
import { describeHopProgress, hopProgress, listOrNone, titleCoverage, type HopRetrieval } from './retrieval.ts';
import type { MetricResult } from './types.ts';
import { normalizeText } from './normalize.ts';

export interface SupportingFact {
  title: string;
  sentId: number;
  /** The sentence text, when the sentence index is in range. */
  sentence?: string;
}

export interface HotpotGold {
  answer: string;
  supportingTitles: string[];
  supportingFacts?: SupportingFact[];
  /** Full text of the gold paragraphs, for feedback about missing documents. */
  goldDocuments?: { title: string; text: string }[];
}

export interface HotpotPrediction {
  answer: string;
  /** The pipeline's retrieval steps, when available, for the recall diagnostic and feedback. */
  hops?: HopRetrieval[];
}

/** HotpotQA objective: normalised answer exact match. F1 and retrieval recall are logged, never optimised. */
export function scoreHotpotQA(prediction: HotpotPrediction, gold: HotpotGold): MetricResult {
  const em = answerExactMatch(prediction.answer, gold.answer) ? 1 : 0;
  const { f1, precision, recall } = answerTokenF1(prediction.answer, gold.answer);
  const breakdown: Record<string, number> = { exactMatch: em, f1, precision, recall };
  if (prediction.hops) {
    const cov = titleCoverage(
      gold.supportingTitles,
      prediction.hops.flatMap((h) => h.documents),
    );
    breakdown.retrievalRecall = cov.recall;
    breakdown.allGoldRetrieved = cov.missing.length === 0 ? 1 : 0;
  }
  return { score: em, breakdown };
}

/** The retrieval step whose results each HotpotQA module is judged on. */
export const HOTPOTQA_MODULE_HOP: Readonly<Record<string, string>> = {
  summarize_hop1: 'retrieve_hop1',
  query_hop2: 'retrieve_hop2',
  summarize_hop2: 'retrieve_hop2',
};

/**
 * GEPA-style feedback for one HotpotQA module: the answer verdict, which gold documents each hop retrieved,
 * what this module's hop added, the text of the documents still missing, and an "ideal summary" made of
 * the supporting-fact sentences of the gold documents retrieved so far.
 */
export function hotpotqaFeedback(module: string, prediction: HotpotPrediction, gold: HotpotGold): string {
  const em = answerExactMatch(prediction.answer, gold.answer);
  const lines = [
    em
      ? `The final answer "${prediction.answer}" is correct.`
      : `The final answer "${prediction.answer}" is incorrect; the correct answer is "${gold.answer}" (token F1 ${answerTokenF1(prediction.answer, gold.answer).f1.toFixed(2)}).`,
  ];
  const hops = prediction.hops ?? [];
  if (hops.length === 0) return lines.join('\n');
  const progress = hopProgress(gold.supportingTitles, hops);
  lines.push(
    `Gold supporting documents: ${listOrNone(gold.supportingTitles)}.`,
    'Retrieval by hop:',
    describeHopProgress(progress),
  );
  const focusStep = HOTPOTQA_MODULE_HOP[module];
  const focusIndex = focusStep ? progress.findIndex((p) => p.step === focusStep) : progress.length - 1;
  const focus = progress[focusIndex];
  if (!focus) return lines.join('\n');
  if (focusStep)
    lines.push(
      `This module (${module}) works with ${focus.step}, which retrieved ${listOrNone(focus.newlyFound)} and left ${listOrNone(focus.missingAfter)} missing.`,
    );
  for (const title of focus.missingAfter) {
    const doc = gold.goldDocuments?.find((d) => normalizeText(d.title) === normalizeText(title));
    if (doc) lines.push(`Missing document "${doc.title}": ${doc.text}`);
  }
  const found = new Set(focus.foundSoFar.map(normalizeText));
  const ideal = (gold.supportingFacts ?? [])
    .filter((f) => found.has(normalizeText(f.title)) && f.sentence)
    .map((f) => f.sentence!.trim());
  if (module.startsWith('summarize') && ideal.length > 0)
    lines.push(`Ideal summary from the retrieved evidence: ${ideal.join(' ')}`);
  return lines.join('\n');
}
