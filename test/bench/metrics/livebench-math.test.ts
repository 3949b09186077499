import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  extractExpressionIds,
  latexEquivalent,
  livebenchMathFeedback,
  scoreLiveBenchMath,
  sequenceEditDistance,
} from '../../../src/bench/metrics/livebench-math.ts';

const AMC_QUESTION =
  'How far? $\\textbf{(A) }20\\qquad\\textbf{(B) }24\\qquad\\textbf{(C) }25\\qquad\\textbf{(D) }26\\qquad\\textbf{(E) }27$ If you cannot determine...';
const amc = (answer: string, gt = 'E') =>
  scoreLiveBenchMath(answer, { subtask: 'amc_12a_2023', groundTruth: gt, question: AMC_QUESTION }).score;

describe('LiveBench multiple choice (AMC/SMC)', () => {
  it('accepts each documented answer form', () => {
    assert.equal(amc('... so the answer is EEEEE'), 1);
    assert.equal(amc('<solution>eeeee</solution>'), 1);
    assert.equal(amc('Thus $\\boxed{\\text{E}}$ wins'), 1);
    assert.equal(amc('They meet 27'), 1, 'option text at the end');
    assert.equal(amc('Reasoning\n**(E)** final'), 1, 'letter in parentheses on the last line');
    assert.equal(amc('Reasoning\ne'), 1);
  });
  it('rejects wrong letters and strips <think> blocks first', () => {
    assert.equal(amc('DDDDD'), 0);
    assert.equal(amc('<think>EEEEE maybe</think>DDDDD'), 0);
    const r = scoreLiveBenchMath('DDDDD', {
      subtask: 'updated_amc_12b_2023',
      groundTruth: 'B',
      question: AMC_QUESTION,
    });
    assert.equal(r.scorer, 'multiple_choice');
    assert.match(r.debug, /expected B \(BBBBB\)/);
  });
});

describe('LiveBench AIME', () => {
  it('looks for the zero-padded answer in the last 50 characters', () => {
    const q = { subtask: 'aime_i_2024', groundTruth: '025' };
    assert.equal(scoreLiveBenchMath('The answer is 025', q).score, 1);
    assert.equal(scoreLiveBenchMath('The answer is 25', q).score, 0);
    assert.equal(scoreLiveBenchMath(`025 ${'x'.repeat(60)}`, q).score, 0);
    assert.equal(
      scoreLiveBenchMath('1025', q).score,
      1,
      'a longer number containing the digits passes, as in LiveBench',
    );
  });
});

describe('LiveBench proof rearrangement', () => {
  it('edit distance over id sequences', () => {
    assert.equal(sequenceEditDistance(['1', '2', '3'], ['1', '3']), 1);
    assert.equal(sequenceEditDistance([], ['1', '2']), 2);
    assert.equal(sequenceEditDistance(['2', '1'], ['1', '2']), 2);
  });
  it('extracts ids after "Answer:", from a box, or from the last line', () => {
    assert.deepEqual(extractExpressionIds('reasoning\n**Answer:** 1, 6, 7.'), ['1', '6', '7']);
    assert.deepEqual(extractExpressionIds('Answer:\n<expression 2>, $3$, x'), ['2', '3', 'NO ANSWER']);
    assert.deepEqual(extractExpressionIds('so \\boxed{4,5,6} done'), ['4', '5', '6']);
    assert.deepEqual(extractExpressionIds('order:\n(1), 2, 3]'), ['1', '2', '3']);
  });
  it('gives partial credit 1 − distance / max length', () => {
    const q = { subtask: 'usamo', groundTruth: '1,6,7,2' };
    assert.equal(scoreLiveBenchMath('Answer: 1,6,7,2', q).score, 1);
    const r = scoreLiveBenchMath('Answer: 1,7,6,2', q);
    assert.equal(r.score, 0.5);
    assert.equal(r.breakdown.editDistance, 2);
    assert.equal(scoreLiveBenchMath('Answer: 1,6,7', q).score, 0.75);
    assert.equal(
      livebenchMathFeedback('Answer: 1,7,6,2', q),
      'Score 0.50 (proof_rearrangement scorer): predicted order [1, 7, 6, 2], gold order [1, 6, 7, 2], edit distance 2, score 0.500. The correct answer is 1,6,7,2.',
    );
  });
});

describe('LiveBench AMPS_Hard (symbolic)', () => {
  const q = (gt: string) => ({ subtask: 'amps_hard_factor_polynomials', groundTruth: gt });
  it('accepts equivalent expressions and rejects different ones', () => {
    assert.ok(latexEquivalent('-3 (\\sqrt{2}-x) (x-\\frac{1}{\\sqrt{2}})', '-3(\\sqrt{2}-x)(x-\\frac{\\sqrt{2}}{2})'));
    assert.ok(latexEquivalent('\\frac{23}{\\sqrt{2}}', '\\frac{23\\sqrt{2}}{2}'));
    assert.ok(latexEquivalent('4 i \\sqrt{5}', '\\sqrt{-80}'));
    assert.ok(!latexEquivalent('x^2+1', 'x^2-1'));
    assert.ok(!latexEquivalent('x^2', '\\foo{'));
  });
  it('reads the last boxed answer, drops +C and the left side of "="', () => {
    assert.equal(scoreLiveBenchMath('so $\\boxed{f(x) = (x+1)^2 + C}$', q('x^2+2x+1')).score, 1);
    assert.equal(scoreLiveBenchMath('We get \\boxed{\\dfrac{1}{5}}', q('\\frac{1}{5}')).score, 1);
    assert.equal(scoreLiveBenchMath('We get \\boxed{0.3}', q('\\frac{1}{5}')).score, 0);
    assert.equal(
      scoreLiveBenchMath('The result is $y = 0.2$', q('\\frac{1}{5}')).score,
      1,
      'last $…$ block on the last line',
    );
  });
  it('handles n-th roots and explicit "\\ " products as in the shipped ground truths', () => {
    const gm = (gt: string) => ({ subtask: 'amps_hard_geometric_mean', groundTruth: gt });
    assert.equal(scoreLiveBenchMath('\\boxed{63 \\sqrt[3]{2}}', gm('63 \\sqrt[3]{2}')).score, 1);
    assert.equal(scoreLiveBenchMath('\\boxed{63 \\sqrt[3]{3}}', gm('63 \\sqrt[3]{2}')).score, 0);
    assert.equal(scoreLiveBenchMath('\\boxed{20\\ 2^{3/5} 5^{2/5}}', gm('20\\ 2^{3/5} 5^{2/5}')).score, 1);
  });
  it('falls back to the answer ending with the ground truth', () => {
    assert.equal(scoreLiveBenchMath('the gcd is 693.', q('693')).score, 1);
    assert.equal(scoreLiveBenchMath('the gcd is 69', q('693')).score, 0);
  });
});
