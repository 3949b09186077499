/**
 * An approximation of NLTK's `sent_tokenize` (Punkt with its trained English parameters).
 *
 * Hand-written: the npm splitters tried (sentence-splitter, sbd) never split inside quote or bracket
 * pairs, or skip plain breaks, while Punkt splits wherever a `.`, `?` or `!` is followed by whitespace
 * or certain punctuation. What is kept from Punkt:
 * - candidate ends: `\S*[.?!]` followed by whitespace or one of `?!)";}]*:@'({[`;
 * - `?` and `!` always end a sentence; `.` does unless it ends a known abbreviation, an initial or a
 *   number/ellipsis followed by a lower-case word;
 * - closing quotes/brackets right after the end move to the sentence they close;
 * - sentences are slices of the text without the whitespace between them.
 * What is not: Punkt's learned orthographic statistics (they decide, e.g., whether an abbreviation
 * followed by a capitalised word ends a sentence); a common-word list stands in for them.
 */
import { PY_WS_CLASS, pyRstrip } from './pyText.ts';
import { NLTK_ENGLISH_STOPWORDS } from './stopwords.ts';

const WS = `[${PY_WS_CLASS}]`;
const NOT_WS = `[^${PY_WS_CLASS}]`;
// Matches start only at the start of a non-space run: Punkt's greedy `\S*` takes the last valid end
// in a run, so a start inside the run adds nothing, and anchoring keeps long runs linear.
const CANDIDATE = new RegExp(`(?<!${NOT_WS})${NOT_WS}*[.?!](?=([?!)";}\\]*:@'({[])|${WS}+(${NOT_WS}+))`, 'gu');
/** Punkt's word tokenizer never starts a token with these; they precede the token proper. */
const TOKEN_PREFIX = /^[("`{[:;&#*@)}\]\-,]+/u;
const CLOSING_AT_START = new RegExp(`^["')\\]}]+(?=${WS}|$)`, 'u');
const LEADING_WS = new RegExp(`^${WS}+`, 'u');

/** Titles precede names, so a capitalised word after them does not start a sentence. */
const TITLES = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'st',
  'jr',
  'sr',
  'rev',
  'gen',
  'col',
  'capt',
  'lt',
  'sgt',
  'gov',
  'sen',
  'rep',
]);
/** Frequent English abbreviations (a stand-in for Punkt's learned `abbrev_types`). */
const ABBREVIATIONS = new Set([
  ...TITLES,
  'vs',
  'etc',
  'inc',
  'ltd',
  'co',
  'corp',
  'dept',
  'univ',
  'assn',
  'bros',
  'approx',
  'est',
  'fig',
  'no',
  'vol',
  'ed',
  'eds',
  'al',
  'cf',
  'jan',
  'feb',
  'mar',
  'apr',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
  'mt',
  'ft',
  'ave',
  'blvd',
  'calif',
  'mass',
  'conn',
  'fla',
  'ga',
  'ill',
  'pa',
  'va',
  'wash',
]);

type Kind = 'plain' | 'abbreviation' | 'title' | 'initial' | 'number' | 'ellipsis';

function classify(token: string): Kind {
  const word = token.replace(TOKEN_PREFIX, '');
  if (/\.\.+$/u.test(word)) return 'ellipsis';
  const stem = word.slice(0, -1).toLowerCase();
  if (TITLES.has(stem)) return 'title';
  // Tokens with inner periods (e.g., a.m, u.s) are abbreviations to Punkt.
  if (ABBREVIATIONS.has(stem) || /^(?:\p{L}\.)+\p{L}$/u.test(stem)) return 'abbreviation';
  if (/^\p{L}$/u.test(stem)) return 'initial';
  if (/^[\p{N}.,-]+$/u.test(stem) && /\p{N}/u.test(stem)) return 'number';
  return 'plain';
}

function startsLower(word: string): boolean {
  return /^\p{Ll}/u.test(word.replace(TOKEN_PREFIX, ''));
}

function startsUpper(word: string): boolean {
  return /^\p{Lu}/u.test(word.replace(TOKEN_PREFIX, ''));
}

function isBreak(token: string, next: string | undefined): boolean {
  if (!token.endsWith('.')) return true;
  const kind = classify(token);
  if (kind === 'plain') return true;
  if (next === undefined) return true;
  switch (kind) {
    case 'number':
      return !startsLower(next);
    case 'ellipsis':
      return startsUpper(next);
    case 'abbreviation':
      return startsUpper(next) && NLTK_ENGLISH_STOPWORDS.has(next.replace(TOKEN_PREFIX, '').toLowerCase());
    default:
      return false; // titles and initials
  }
}

export function punktSentences(text: string): string[] {
  const slices: Array<[number, number]> = [];
  let lastBreak = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const end = match.index + match[0].length;
    if (!isBreak(match[0], match[2])) continue;
    slices.push([lastBreak, end]);
    lastBreak = match[2] !== undefined ? text.indexOf(match[2], end) : end;
  }
  slices.push([lastBreak, pyRstrip(text).length]);

  // Realign: closing quotes/brackets at the start of a sentence belong to the previous one.
  const sentences: string[] = [];
  for (const [start, stop] of slices) {
    let sentence = text.slice(start, stop);
    const closing = sentences.length > 0 ? CLOSING_AT_START.exec(sentence) : null;
    if (closing) {
      sentences[sentences.length - 1] += closing[0];
      sentence = sentence.slice(closing[0].length).replace(LEADING_WS, '');
    }
    if (pyRstrip(sentence) !== '') sentences.push(sentence);
  }
  return sentences;
}
