import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerExactMatch, answerTokenF1 } from '../../../src/bench/metrics/answer-match.ts';
import { hotpotqaFeedback, scoreHotpotQA } from '../../../src/bench/metrics/hotpotqa.ts';
import { HOVER_MAX_COUNTED_PASSAGES, hoverFeedback, scoreHover } from '../../../src/bench/metrics/hover.ts';
import { normalizeText, titleOfDocument } from '../../../src/bench/metrics/normalize.ts';

describe('normalizeText (DSPy normalize_text)', () => {
  it('lower-cases, strips ASCII punctuation and articles, collapses spaces', () => {
    assert.equal(normalizeText('  The  Eiffel-Tower, in A city!'), 'eiffeltower in city');
    assert.equal(normalizeText('Theatre and an apple'), 'theatre and apple');
  });
  it('applies NFD, so accents become separate marks that are kept', () => {
    assert.equal(normalizeText('Café'), 'cafe\u0301');
    assert.equal(normalizeText('Café'), normalizeText('Cafe\u0301'));
  });
  it('treats non-ASCII letters as word characters when removing articles', () => {
    assert.equal(normalizeText('theß a'), 'theß');
  });
  it('takes a title from "title | text"', () => {
    assert.equal(titleOfDocument('Paris | Paris is | big'), 'Paris');
    assert.equal(titleOfDocument('No separator'), 'No separator');
  });
});

describe('HotpotQA answer metrics', () => {
  it('exact match after normalisation', () => {
    assert.ok(answerExactMatch('The Beatles.', 'beatles'));
    assert.ok(!answerExactMatch('Beatles band', 'beatles'));
  });
  it('token F1 with known values', () => {
    // pred tokens [barack, obama, jr], gold [barack, obama]: p = 2/3, r = 1, f1 = 0.8
    const r = answerTokenF1('Barack Obama Jr.', 'Barack Obama');
    assert.ok(Math.abs(r.f1 - 0.8) < 1e-12);
    assert.ok(Math.abs(r.precision - 2 / 3) < 1e-12);
    assert.equal(r.recall, 1);
    assert.equal(answerTokenF1('no way', 'no').f1, 0);
    assert.equal(answerTokenF1('yes', 'yes').f1, 1);
    assert.equal(answerTokenF1('', 'x').f1, 0);
  });
  it('scores EM as the objective and logs F1 and retrieval recall', () => {
    const gold = { answer: 'Paris', supportingTitles: ['Seine', 'Paris'] };
    const hops = [{ step: 'retrieve_hop1', documents: [{ title: 'Seine' }, { title: 'Loire' }] }];
    const r = scoreHotpotQA({ answer: 'Paris, France', hops }, gold);
    assert.equal(r.score, 0);
    assert.ok(Math.abs(r.breakdown.f1! - 2 / 3) < 1e-12);
    assert.equal(r.breakdown.retrievalRecall, 0.5);
    assert.equal(r.breakdown.allGoldRetrieved, 0);
    assert.equal(scoreHotpotQA({ answer: 'paris' }, gold).score, 1);
    assert.equal(scoreHotpotQA({ answer: 'paris' }, gold).breakdown.retrievalRecall, undefined);
  });
  it('gives hop-aware feedback with missing documents and an ideal summary', () => {
    const gold = {
      answer: 'Paris',
      supportingTitles: ['Seine', 'Paris'],
      supportingFacts: [
        { title: 'Seine', sentId: 0, sentence: 'The Seine flows through Paris.' },
        { title: 'Paris', sentId: 0, sentence: 'Paris is the capital of France.' },
      ],
      goldDocuments: [{ title: 'Paris', text: 'Paris is the capital of France.' }],
    };
    const hops = [
      { step: 'retrieve_hop1', documents: ['Seine | The Seine flows through Paris.', 'Loire | A river.'] },
      { step: 'retrieve_hop2', documents: ['Lyon | A city.'] },
    ];
    const text = hotpotqaFeedback('summarize_hop1', { answer: 'Lyon', hops }, gold);
    assert.match(text, /incorrect; the correct answer is "Paris"/);
    assert.match(
      text,
      /retrieve_hop1: newly retrieved gold documents "Seine"; found so far "Seine"; still missing "Paris"/,
    );
    assert.match(text, /Missing document "Paris": Paris is the capital of France\./);
    assert.match(text, /Ideal summary from the retrieved evidence: The Seine flows through Paris\.$/m);
    const q2 = hotpotqaFeedback('query_hop2', { answer: 'Lyon', hops }, gold);
    assert.match(q2, /query_hop2\) works with retrieve_hop2, which retrieved \(none\) and left "Paris" missing/);
    assert.doesNotMatch(q2, /Ideal summary/);
  });
});

describe('HoVer retrieval metric', () => {
  const gold = { supportingTitles: ['The Beatles', 'Abbey Road', 'EMI'] };
  it('is 1 only when every normalised gold title was retrieved', () => {
    const hops = [
      { step: 'retrieve_hop1', documents: ['Beatles | band', 'Other | x'] },
      { step: 'retrieve_hop2', documents: ['abbey road | album'] },
      { step: 'retrieve_hop3', documents: ['EMI. | label'] },
    ];
    const r = scoreHover(hops, gold);
    assert.equal(r.score, 1);
    assert.equal(r.breakdown.recall, 1);
    const partial = scoreHover(hops.slice(0, 2), gold);
    assert.equal(partial.score, 0);
    assert.ok(Math.abs(partial.breakdown.recall! - 2 / 3) < 1e-12);
  });
  it('counts at most 24 passages, so extra retrieval cannot raise the score', () => {
    const filler = Array.from({ length: HOVER_MAX_COUNTED_PASSAGES }, (_, i) => ({ title: `Filler ${i}` }));
    const hops = [
      {
        step: 'retrieve_hop1',
        documents: [...filler, { title: 'The Beatles' }, { title: 'Abbey Road' }, { title: 'EMI' }],
      },
    ];
    const r = scoreHover(hops, gold);
    assert.equal(r.score, 0);
    assert.equal(r.breakdown.passagesCounted, 24);
    assert.equal(r.breakdown.passagesIgnored, 3);
    assert.equal(scoreHover(hops, gold, 27).score, 1);
  });
  it('gives hop-specific feedback to query and summary modules', () => {
    const hops = [
      { step: 'retrieve_hop1', documents: ['The Beatles | band'] },
      { step: 'retrieve_hop2', documents: ['Abbey Road | album'] },
      { step: 'retrieve_hop3', documents: ['Decca | label'] },
    ];
    const q3 = hoverFeedback('query_hop3', hops, gold);
    assert.match(q3, /retrieved gold documents "The Beatles", "Abbey Road" but missed "EMI"/);
    assert.match(
      q3,
      /Your query \(query_hop3\) helped retrieve \(none\) at retrieve_hop3; still missing after it: "EMI"/,
    );
    const q2 = hoverFeedback('query_hop2', hops, gold);
    assert.match(q2, /helped retrieve "Abbey Road" at retrieve_hop2/);
    assert.match(
      hoverFeedback('summarize_hop1', hops, gold),
      /Your summary \(summarize_hop1\) was written from retrieve_hop1/,
    );
  });
});
