import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countSyllables, isEmojiChar, sentTokenize, wordTokenize } from '../../../src/bench/ifbench/nlp.ts';

describe('sentTokenize (Punkt approximation)', () => {
  it('ends sentences at . ? ! followed by whitespace, keeping inner newlines', () => {
    assert.deepEqual(sentTokenize('One here. Two?\nThree!  Line\nwithout end'), [
      'One here.',
      'Two?',
      'Three!',
      'Line\nwithout end',
    ]);
  });
  it('moves a closing quote or bracket to the sentence it closes', () => {
    assert.deepEqual(sentTokenize('He said "go." Then left. (Really.) Done'), [
      'He said "go."',
      'Then left.',
      '(Really.)',
      'Done',
    ]);
  });
  it('needs whitespace or punctuation after the terminal', () => {
    assert.deepEqual(sentTokenize('Hello world.This stays. 3.14 too'), ['Hello world.This stays.', '3.14 too']);
    assert.deepEqual(sentTokenize('Hi!😀 there'), ['Hi!😀 there']);
  });
  it('does not end at abbreviations, titles or initials', () => {
    assert.deepEqual(sentTokenize('Mr. Smith met J. Doe at 5 p.m. today. Next.'), [
      'Mr. Smith met J. Doe at 5 p.m. today.',
      'Next.',
    ]);
  });
  it('returns nothing for blank text', () => {
    assert.deepEqual(sentTokenize(' \n '), []);
  });
});

describe('wordTokenize (Treebank rules)', () => {
  it('splits clitics, quotes and punctuation like NLTK', () => {
    assert.deepEqual(wordTokenize('I don\'t think "it\'s" great, cannot -- ok?'), [
      'I',
      'do',
      "n't",
      'think',
      '``',
      'it',
      "'s",
      "''",
      'great',
      ',',
      'can',
      'not',
      '--',
      'ok',
      '?',
    ]);
  });
  it('keeps decimals and splits the sentence-final period', () => {
    assert.deepEqual(wordTokenize('Pay 3.50 now. Then go.'), ['Pay', '3.50', 'now', '.', 'Then', 'go', '.']);
  });
});

describe('countSyllables (syllapy structure)', () => {
  it('gives 0 for words with digits and counts known and unknown words', () => {
    assert.equal(countSyllables('abc1'), 0);
    assert.equal(countSyllables('beautiful'), 3);
    // Not a dictionary word: syllapy's vowel-group heuristic.
    assert.equal(countSyllables('evennumbered'), 5);
  });
});

describe('isEmojiChar', () => {
  it('accepts pictographs and skin-tone modifiers, not digits or variation selectors', () => {
    assert.ok(isEmojiChar('😀'));
    assert.ok(isEmojiChar('\u{1F3FB}'));
    assert.ok(!isEmojiChar('1'));
    assert.ok(!isEmojiChar('\uFE0F'));
  });
});
