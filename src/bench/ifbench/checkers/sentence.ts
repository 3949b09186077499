import { sentTokenize } from '../nlp.ts';
import { PUNCT_SPACE, deletePunct, pyLstrip, pySplit, pyStrip, wordBoundaryPattern } from '../pyText.ts';
import { numArg, strArg, type Checker } from './types.ts';

/** A run of adjacent same-initial pairs scores 2 for its first pair and 1 for each further pair. */
function alliterationScore(sentence: string): number {
  const words = pySplit(sentence.toLowerCase())
    .map((w) => pyLstrip(w, PUNCT_SPACE))
    .filter((w) => w !== '');
  let score = 0;
  let inRun = false;
  for (let i = 0; i + 1 < words.length; i++) {
    if (words[i].codePointAt(0) === words[i + 1].codePointAt(0)) {
      score += inRun ? 1 : 2;
      inRun = true;
    } else {
      inRun = false;
    }
  }
  return score;
}

export const sentenceCheckers: Record<string, Checker> = {
  'sentence:alliteration_increment': {
    args: [],
    approximation: ['nltk'],
    check: (value) => {
      let previous = -1;
      for (const sentence of sentTokenize(value)) {
        const score = alliterationScore(sentence);
        if (score <= previous) return false;
        previous = score;
      }
      return true;
    },
  },
  'sentence:keyword': {
    args: ['word', 'N'],
    approximation: ['nltk'],
    check: (value, kw) => {
      const position = numArg(kw, 'N');
      const sentences = sentTokenize(value);
      if (sentences.length < position) return false;
      const pattern = new RegExp(wordBoundaryPattern(strArg(kw, 'word')), 'iu');
      return pattern.test(sentences.at(Math.trunc(position - 1)) ?? '');
    },
  },
  'sentence:increment': {
    args: ['small_n'],
    approximation: ['nltk'],
    check: (value, kw) => {
      const step = numArg(kw, 'small_n');
      const counts = sentTokenize(value).map((s) => pySplit(pyStrip(deletePunct(s))).length);
      // Python indexes sentences[0] unguarded; a non-blank text always has one sentence.
      return counts.every((c, i) => i === 0 || c === counts[i - 1] + step);
    },
  },
};
