import { countSyllables, sentTokenize, startsWithVerbTag, wordTokenize } from '../nlp.ts';
import { PUNCT, PUNCT_SPACE, deletePunct, pyIsAlnum, pyLen, pyLstrip, pyRstrip, pySplit, pyStrip } from '../pyText.ts';
import { numArg, strArg, type Checker } from './types.ts';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';
const CONSONANTS = new Set(Array.from('bcdfghjklmnpqrstvwxyz'));
const PRIMES = new Set([
  2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
]);

const firstChar = (s: string) => String.fromCodePoint(s.codePointAt(0)!);

function hasConsonantPair(word: string): boolean {
  const cps = Array.from(word);
  return cps.some((c, i) => i + 1 < cps.length && CONSONANTS.has(c) && CONSONANTS.has(cps[i + 1]));
}

/** Python's `_word_tokens_without_punctuation`: word_tokenize minus tokens with no alphanumeric character. */
function wordTokensWithoutPunct(text: string): string[] {
  return wordTokenize(text).filter((t) => Array.from(t).some(pyIsAlnum));
}

export const wordsCheckers: Record<string, Checker> = {
  'words:alphabet': {
    args: [],
    check: (value) => {
      const words = pySplit(pyStrip(deletePunct(value), PUNCT_SPACE));
      if (words.length === 0) return false;
      let expected = firstChar(words[0]).toLowerCase();
      // `in string.ascii_lowercase` is a substring test; lower() can yield two characters (İ → i̇).
      if (!ALPHABET.includes(expected)) return false;
      for (const raw of words.slice(1)) {
        const word = pyStrip(raw, PUNCT_SPACE).toLowerCase();
        if (word === '') continue;
        expected = ALPHABET[(ALPHABET.indexOf(expected) + 1) % 26];
        if (firstChar(word) !== expected) return false;
      }
      return true;
    },
  },
  'words:vowel': {
    args: [],
    check: (value) => {
      const paragraphs = pyStrip(value).split('\n');
      if (paragraphs.length !== 1) return false;
      const vowels = new Set(Array.from(paragraphs[0].toLowerCase()).filter((c) => 'aeiou'.includes(c)));
      return vowels.size <= 3;
    },
  },
  'words:consonants': {
    args: [],
    check: (value) => pySplit(pyStrip(value.toLowerCase())).every(hasConsonantPair),
  },
  'words:palindrome': {
    args: [],
    check: (value) => {
      const words = pySplit(deletePunct(value).toLowerCase());
      const palindromes = words.filter((w) => {
        const cps = Array.from(w);
        return cps.length >= 5 && cps.join('') === cps.reverse().join('');
      });
      return palindromes.length >= 10;
    },
  },
  'words:prime_lengths': {
    args: [],
    check: (value) => pySplit(deletePunct(value)).every((w) => PRIMES.has(pyLen(w))),
  },
  'words:start_verb': {
    args: [],
    approximation: ['nltk'],
    check: (value) => startsWithVerbTag(value),
  },
  'words:repeats': {
    args: ['small_n'],
    check: (value, kw) => {
      const counts = new Map<string, number>();
      for (const w of pySplit(deletePunct(value.toLowerCase()))) counts.set(w, (counts.get(w) ?? 0) + 1);
      const limit = numArg(kw, 'small_n');
      return [...counts.values()].every((c) => c <= limit);
    },
  },
  'words:odd_even_syllables': {
    args: [],
    approximation: ['syllapy'],
    check: (value) => {
      const parities = pySplit(deletePunct(value).toLowerCase()).map((w) => countSyllables(w) % 2);
      return parities.every((p, i) => i + 1 >= parities.length || p !== parities[i + 1]);
    },
  },
  'words:last_first': {
    args: [],
    approximation: ['nltk'],
    check: (value) => {
      const sentences = sentTokenize(value);
      for (let i = 0; i + 1 < sentences.length; i++) {
        const last = pySplit(pyRstrip(sentences[i], PUNCT_SPACE));
        const first = pySplit(pyLstrip(sentences[i + 1], PUNCT_SPACE));
        if (last.length === 0 || first.length === 0) return false;
        if (last[last.length - 1].toLowerCase() !== first[0].toLowerCase()) return false;
      }
      return true;
    },
  },
  'words:paragraph_last_first': {
    args: [],
    check: (value) =>
      value.split('\n').every((line) => {
        const paragraph = pyStrip(line).toLowerCase();
        if (paragraph === '') return true;
        const words = pySplit(pyStrip(paragraph, PUNCT_SPACE));
        return words.length === 0 || words[0] === words[words.length - 1];
      }),
  },
  'words:no_consecutive': {
    args: [],
    check: (value) => {
      const words = pySplit(deletePunct(value.toLowerCase()));
      return words.every((w, i) => i + 1 >= words.length || firstChar(w) !== firstChar(words[i + 1]));
    },
  },
  'words:keywords_specific_position': {
    args: ['keyword', 'n', 'm'],
    approximation: ['nltk'],
    check: (value, kw) => {
      const n = numArg(kw, 'n');
      const m = numArg(kw, 'm');
      const sentences = sentTokenize(value);
      if (sentences.length < n) return false;
      const words = wordTokensWithoutPunct(sentences[n - 1]);
      if (words.length < m) return false;
      return words[m - 1].toLowerCase() === pyStrip(strArg(kw, 'keyword')).toLowerCase();
    },
  },
  'words:words_position': {
    args: ['keyword'],
    approximation: ['nltk'],
    check: (value, kw) => {
      const words = wordTokenize(value).map((w) => w.toLowerCase());
      const keyword = pyStrip(strArg(kw, 'keyword')).toLowerCase();
      if (words.length < 2) return false;
      // `words[-1] in string.punctuation` is a substring test.
      if (PUNCT.includes(words[words.length - 1])) {
        return words.length >= 3 && words[1] === words[words.length - 3] && words[1] === keyword;
      }
      return words[1] === words[words.length - 2] && words[1] === keyword;
    },
  },
};
