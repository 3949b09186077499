import { NLTK_ENGLISH_STOPWORDS, sentTokenize } from '../nlp.ts';
import { pyLen, pyStrip, wordRuns } from '../pyText.ts';
import { numArg, strArg, type Checker } from './types.ts';

/** `set(nltk.ngrams(text, 3))`: trigrams of code points, keyed as strings. */
function charTrigrams(text: string): Set<string> {
  const cps = Array.from(text);
  const grams = new Set<string>();
  for (let i = 0; i + 3 <= cps.length; i++) grams.add(JSON.stringify(cps.slice(i, i + 3)));
  return grams;
}

function countEndings(sentences: string[], ending: string): number {
  return sentences.filter((s) => s.endsWith(ending)).length;
}

export const ratioCheckers: Record<string, Checker> = {
  'ratio:stop_words': {
    args: ['percentage'],
    approximation: ['nltk'],
    check: (value, kw) => {
      const words = wordRuns(value);
      if (words.length === 0) return false;
      const stop = words.filter((w) => NLTK_ENGLISH_STOPWORDS.has(w.toLowerCase())).length;
      return (stop / words.length) * 100 <= numArg(kw, 'percentage');
    },
  },
  'ratio:sentence_type': {
    args: [],
    approximation: ['nltk'],
    check: (value) => {
      const sentences = sentTokenize(value);
      return countEndings(sentences, '.') === 2 * countEndings(sentences, '?');
    },
  },
  'ratio:sentence_balance': {
    args: [],
    approximation: ['nltk'],
    check: (value) => {
      const sentences = sentTokenize(value);
      const declarative = countEndings(sentences, '.');
      return declarative === countEndings(sentences, '?') && declarative === countEndings(sentences, '!');
    },
  },
  'ratio:overlap': {
    args: ['reference_text', 'percentage'],
    check: (value, kw) => {
      const grams = charTrigrams(value);
      if (grams.size === 0) return false;
      const reference = charTrigrams(strArg(kw, 'reference_text'));
      let shared = 0;
      for (const g of grams) if (reference.has(g)) shared++;
      const percent = (shared / grams.size) * 100;
      const target = numArg(kw, 'percentage');
      return target - 2 <= percent && percent <= target + 2;
    },
  },
  'ratio:sentence_words': {
    args: [],
    approximation: ['nltk'],
    check: (value) => {
      const sentences = sentTokenize(value);
      if (sentences.length !== 3) return false;
      const length = pyLen(pyStrip(sentences[0]));
      return sentences.every((s) => pyLen(pyStrip(s)) === length);
    },
  },
};
