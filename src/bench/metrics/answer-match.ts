import { normalizeText } from './normalize.ts';

/** Exact match after `normalizeText` (DSPy `answer_exact_match` for a single gold answer). */
export function answerExactMatch(prediction: string, gold: string): boolean {
  return normalizeText(prediction) === normalizeText(gold);
}

export interface TokenF1 {
  f1: number;
  precision: number;
  recall: number;
}

const SPECIAL_ANSWERS = new Set(['yes', 'no', 'noanswer']);

/**
 * HotpotQA's official token F1: SQuAD token overlap on normalised answers, except that a yes/no/noanswer
 * answer on either side scores 0 unless both sides are identical (so "no" vs "no way" is not half right).
 */
export function answerTokenF1(prediction: string, gold: string): TokenF1 {
  const p = normalizeText(prediction);
  const g = normalizeText(gold);
  const zero = { f1: 0, precision: 0, recall: 0 };
  if ((SPECIAL_ANSWERS.has(p) || SPECIAL_ANSWERS.has(g)) && p !== g) return zero;
  const predTokens = p === '' ? [] : p.split(' ');
  const goldTokens = g === '' ? [] : g.split(' ');
  const goldCounts = new Map<string, number>();
  for (const t of goldTokens) goldCounts.set(t, (goldCounts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of predTokens) {
    const left = goldCounts.get(t) ?? 0;
    if (left > 0) {
      same++;
      goldCounts.set(t, left - 1);
    }
  }
  if (same === 0) return zero;
  const precision = same / predTokens.length;
  const recall = same / goldTokens.length;
  return { f1: (2 * precision * recall) / (precision + recall), precision, recall };
}
