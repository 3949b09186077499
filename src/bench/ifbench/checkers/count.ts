import { wordTokenize } from '../nlp.ts';
import {
  PUNCT_SPACE,
  countOccurrences,
  deletePunct,
  digitRuns,
  pyIsDigit,
  pySplit,
  pyStrip,
  wordBoundaryPattern,
  wordRuns,
} from '../pyText.ts';
import { numArg, strArg, type Checker } from './types.ts';

const CONJUNCTIONS = new Set(['and', 'but', 'for', 'nor', 'or', 'so', 'yet']);

const PERSON_NAMES = (
  'Emma Liam Sophia Jackson Olivia Noah Ava Lucas Isabella Mason Mia Ethan Charlotte Alexander Amelia ' +
  'Benjamin Harper Leo Zoe Daniel Chloe Samuel Lily Matthew Grace Owen Abigail Gabriel Ella Jacob ' +
  'Scarlett Nathan Victoria Elijah Layla Nicholas Audrey David Hannah Christopher Penelope Thomas Nora ' +
  'Andrew Aria Joseph Claire Ryan Stella Jonathan'
)
  .split(' ')
  .map((name) => new RegExp(wordBoundaryPattern(name), 'u'));

const PRONOUNS = new Set(
  (
    'i me we us you he him she her it they them ' +
    'my mine our ours your yours his hers its their theirs ' +
    'myself ourselves yourself yourselves himself herself itself themselves ' +
    'this that these those who whom whose which what whoever whomever whatever whichever ' +
    'anybody anyone anything everybody everyone everything nobody nothing somebody someone something ' +
    'each either neither both all some any none'
  ).split(' '),
);

const JAPANESE_CHAR = /[\u3040-\u30ff\u4e00-\u9fff]/u;
const KEYWORD_COUNTS = [1, 2, 3, 5, 7] as const;

export const countCheckers: Record<string, Checker> = {
  'count:word_count_range': {
    args: ['min_words', 'max_words'],
    check: (value, kw) => {
      const n = wordRuns(value).length;
      return numArg(kw, 'min_words') <= n && n <= numArg(kw, 'max_words');
    },
  },
  'count:unique_word_count': {
    args: ['N'],
    check: (value, kw) => {
      const unique = new Set(pySplit(value.toLowerCase()).map((w) => pyStrip(w, PUNCT_SPACE)));
      return unique.size >= numArg(kw, 'N');
    },
  },
  'count:conjunctions': {
    args: ['small_n'],
    check: (value, kw) => {
      // The set holds the raw tokens, so "and" and "And," are different members.
      const kept = pySplit(value).filter((w) => CONJUNCTIONS.has(pyStrip(w, PUNCT_SPACE).toLowerCase()));
      return new Set(kept).size >= numArg(kw, 'small_n');
    },
  },
  'count:person_names': {
    args: ['N'],
    check: (value, kw) => PERSON_NAMES.filter((re) => re.test(value)).length >= numArg(kw, 'N'),
  },
  'count:numbers': {
    args: ['N'],
    check: (value, kw) => digitRuns(deletePunct(value)).length === numArg(kw, 'N'),
  },
  'count:punctuation': {
    args: [],
    check: (value) => {
      if (!(value.includes('!?') || value.includes('?!') || value.includes('‽'))) return false;
      let rest = value.replace('?!', '');
      if (rest.length === value.length) rest = value.replace('!?', '');
      return ['.', ',', '!', '?', ';', ':'].every((p) => rest.includes(p));
    },
  },
  'count:words_japanese': {
    args: ['N'],
    check: (value, kw) => {
      const every = numArg(kw, 'N');
      return pySplit(value).every((raw, i) => {
        const word = pyStrip(raw, PUNCT_SPACE);
        return (i + 1) % every !== 0 || word === '' || pyIsDigit(word) || JAPANESE_CHAR.test(word);
      });
    },
  },
  'count:pronouns': {
    args: ['N'],
    approximation: ['nltk'],
    check: (value, kw) => {
      const tokens = wordTokenize(value.replaceAll('/', ' ').toLowerCase());
      return tokens.filter((t) => PRONOUNS.has(t)).length >= numArg(kw, 'N');
    },
  },
  'count:keywords_multiple': {
    args: ['keyword1', 'keyword2', 'keyword3', 'keyword4', 'keyword5'],
    check: (value, kw) => {
      const lower = value.toLowerCase();
      return KEYWORD_COUNTS.every((count, i) => {
        const keyword = pyStrip(strArg(kw, `keyword${i + 1}`)).toLowerCase();
        return countOccurrences(lower, keyword) === count;
      });
    },
  },
};
