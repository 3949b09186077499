import { defineScorer } from 'fapo';

/** Exact match after SQuAD-style normalisation (case, punctuation, articles, whitespace). */
const normalize = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\b(a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

export default defineScorer(({ case: c, output }) => {
  const predicted = normalize(String(output ?? ''));
  const expected = normalize(String(c.expected));
  const em = predicted === expected ? 1 : 0;
  const contains = predicted.includes(expected) ? 1 : 0;
  return {
    score: em,
    breakdown: { em, contains },
    feedback: em ? 'Correct.' : `Expected "${c.expected}", got "${String(output ?? '')}".`,
  };
});
