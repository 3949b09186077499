import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aimeFeedback, extractIntegerAnswer, scoreAime } from '../../../src/bench/metrics/aime.ts';
import { ctiRcmFeedback, extractCweId, scoreCtiRcm } from '../../../src/bench/metrics/ctibench.ts';
import {
  countLeakedUnits,
  leakageJudgePrompt,
  parseJudgeVerdict,
  parseLeakCount,
  parsePiiUnits,
  pupaFeedback,
  pupaQuality,
  qualityJudgePrompt,
  scorePupa,
} from '../../../src/bench/metrics/pupa.ts';

describe('AIME', () => {
  it('extracts the integer answer from common shapes', () => {
    assert.equal(extractIntegerAnswer('033'), 33);
    assert.equal(extractIntegerAnswer(' 204 '), 204);
    assert.equal(extractIntegerAnswer('so the total is \\boxed{116}. Check: 3 + 4'), 116);
    assert.equal(extractIntegerAnswer('We get 12 and 15. The answer is 27.'), 27);
    assert.equal(extractIntegerAnswer('1,000'), 1000);
    assert.equal(extractIntegerAnswer('no idea'), null);
    assert.equal(extractIntegerAnswer('\\boxed{x+1}'), null);
  });
  it('scores integer exact match against zero-padded gold answers', () => {
    assert.deepEqual(scoreAime('73', '073'), { score: 1, breakdown: { correct: 1, answerFound: 1 } });
    assert.deepEqual(scoreAime('074', '073'), { score: 0, breakdown: { correct: 0, answerFound: 1 } });
    assert.deepEqual(scoreAime('unsure', 5), { score: 0, breakdown: { correct: 0, answerFound: 0 } });
  });
  it('feedback gives the correct answer and the solution only when one is provided', () => {
    assert.equal(aimeFeedback('12', { answer: '073' }), 'The answer 12 is incorrect. The correct answer is 73.');
    assert.match(
      aimeFeedback('73', { answer: '073', solution: 'Let x = 1.' }),
      /^The answer 73 is correct\.\nHere is the full reference solution:\nLet x = 1\.$/,
    );
  });
});

describe('CTIBench-RCM', () => {
  it('extracts the CWE id from the last non-empty line', () => {
    assert.equal(extractCweId('The flaw is XSS (CWE-80 is close).\ncwe-79\n\n'), 'CWE-79');
    assert.equal(extractCweId('CWE-79 is my answer\nI am not sure.'), null);
  });
  it('scores exact match and records the strict last-line rule', () => {
    assert.deepEqual(scoreCtiRcm('Justification...\n**CWE-787**', 'CWE-787'), {
      score: 1,
      breakdown: { correct: 1, idFound: 1, lastLineExact: 0 },
    });
    assert.deepEqual(scoreCtiRcm('Because...\nCWE-787', 'CWE-787'), {
      score: 1,
      breakdown: { correct: 1, idFound: 1, lastLineExact: 1 },
    });
    assert.equal(scoreCtiRcm('Because...\nCWE-7870', 'CWE-787').score, 0);
    assert.equal(scoreCtiRcm('Because...\nCWE-79', 'CWE-787').score, 0);
  });
  it('feedback names the CWEs when a catalogue is given', () => {
    const names = new Map([
      ['CWE-79', 'Cross-site Scripting'],
      ['CWE-89', 'SQL Injection'],
    ]);
    assert.equal(
      ctiRcmFeedback('x\nCWE-79', 'CWE-89', names),
      'Incorrect: answered CWE-79 (Cross-site Scripting), but the root cause is CWE-89 (SQL Injection).',
    );
    assert.match(ctiRcmFeedback('nothing', 'CWE-89'), /^No CWE id was found/);
  });
});

describe('PUPA', () => {
  it('parses PII units and counts verbatim leaks case-insensitively', () => {
    const units = parsePiiUnits('john smith||acme corp|| ||john smith||555-0100');
    assert.deepEqual(units, ['john smith', 'acme corp', '555-0100']);
    const leak = countLeakedUnits(units, 'Write a letter for John Smith at ACME Corp.');
    assert.deepEqual(leak.leaked, ['john smith', 'acme corp']);
    assert.ok(Math.abs(leak.fraction - 2 / 3) < 1e-12);
    assert.equal(countLeakedUnits([], 'anything').fraction, 0);
  });
  it('combines quality and leakage as (q + 1 − l) / 2', () => {
    assert.deepEqual(scorePupa(1, 0.5), { score: 0.75, breakdown: { quality: 1, leakage: 0.5 } });
    assert.equal(scorePupa(0, 1).score, 0);
  });
  it('counts ties and inconsistent judge verdicts as good quality (j1 or j1 == j2)', () => {
    assert.equal(pupaQuality(true, true), 1);
    assert.equal(pupaQuality(true, false), 1);
    assert.equal(pupaQuality(false, false), 1);
    assert.equal(pupaQuality(false, true), 0);
  });
  it('parses judge replies', () => {
    assert.equal(parseJudgeVerdict('Reasoning: A misses a step.\nJudgment: No'), false);
    assert.equal(parseJudgeVerdict('It is not worse, so: yes'), true);
    assert.equal(parseJudgeVerdict('True'), true);
    assert.equal(parseJudgeVerdict('I cannot tell'), null);
    assert.equal(parseLeakCount('Items 1 and 3 leak.\nCount: 2', 4), 2);
    assert.equal(parseLeakCount('7', 3), 3);
    assert.equal(parseLeakCount('none', 3), null);
  });
  it('builds judge prompts that carry the inputs', () => {
    const q = qualityJudgePrompt('query?', 'first', 'second');
    assert.ok(q.indexOf('Response A:\nfirst') < q.indexOf('Response B:\nsecond'));
    assert.match(leakageJudgePrompt(['john smith'], 'hi'), /- john smith\n\nRequest:\nhi$/);
  });
  it('feedback breaks the score into quality and leakage', () => {
    const text = pupaFeedback(0, countLeakedUnits(['acme corp', 'bob'], 'email acme corp'));
    assert.match(text, /worse than the reference/);
    assert.match(text, /leaked 1 of 2 private units \(leakage 0\.50\): "acme corp"/);
    assert.match(text, /= 0\.250\.$/);
  });
});
