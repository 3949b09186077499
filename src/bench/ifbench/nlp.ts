/**
 * Stand-ins for the NLTK / syllapy / emoji pieces the reference checkers call. None is exact; each
 * approximation is listed in docs/ifbench-checkers.md.
 */
import { createRequire } from 'node:module';
import { syllable } from 'syllable';
import { punktSentences } from './punkt.ts';
import { PUNCT, PY_WORD_CLASS, pyStrip } from './pyText.ts';

// en-pos and en-lexicon are large CommonJS tables (~1 s to load); only two checkers need them, so
// they are required on first use rather than at import.
const require = createRequire(import.meta.url);
let enPos: typeof import('en-pos') | undefined;
let lexicon: Readonly<Record<string, string>> | undefined;
const loadEnPos = () => (enPos ??= require('en-pos') as typeof import('en-pos'));
const loadLexicon = () => (lexicon ??= (require('en-lexicon') as typeof import('en-lexicon')).lexicon);

export { NLTK_ENGLISH_STOPWORDS } from './stopwords.ts';

/** NLTK `sent_tokenize`, approximated (see punkt.ts). */
export function sentTokenize(text: string): string[] {
  return punktSentences(text);
}

type Rule = [RegExp, string];
const W = `[${PY_WORD_CLASS}]`;

// NLTK's NLTKWordTokenizer (improved Treebank) rules, applied in the same order. Hand-written because
// the npm `natural` Treebank tokenizer pulls in database drivers (pg, mongoose, redis).
const STARTING_QUOTES: Rule[] = [
  [/([«“‘„]|`+)/gu, ' $1 '],
  [/^"/u, '``'],
  [/(``)/gu, ' $1 '],
  [/([ ([{<])("|'{2})/gu, '$1 `` '],
  [new RegExp(`(')(?!re|ve|ll|m|t|s|d|n)(${W})(?!${W})`, 'giu'), '$1 $2'],
];
const PUNCTUATION: Rule[] = [
  [/([^.])(\.)([\])}>"']*)\s*$/u, '$1 $2 $3 '],
  [/([:,])([^\p{Nd}])/gu, ' $1 $2'],
  [/([:,])$/u, ' $1 '],
  [/\.{2,}/gu, ' $& '],
  [/[;@#$%&]/gu, ' $& '],
  [/([^.])(\.)([\])}>"']*)\s*$/u, '$1 $2$3 '],
  [/[?!]/gu, ' $& '],
  [/([^'])' /gu, "$1 ' "],
  [/[*]/gu, ' $& '],
];
const PARENS_BRACKETS: Rule = [/[\][(){}<>]/gu, ' $& '];
const DOUBLE_DASHES: Rule = [/--/gu, ' -- '];
const ENDING_QUOTES: Rule[] = [
  [/([»”’])/gu, ' $1 '],
  [/''/gu, " '' "],
  [/"/gu, " '' "],
  [/([^' ])('[sS]|'[mM]|'[dD]|') /gu, '$1 $2 '],
  [/([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) /gu, '$1 $2 '],
];
const CONTRACTIONS: RegExp[] = [
  /(?<![\p{L}\p{N}_])(can)(not)(?![\p{L}\p{N}_])/giu,
  /(?<![\p{L}\p{N}_])(d)('ye)(?![\p{L}\p{N}_])/giu,
  /(?<![\p{L}\p{N}_])(gim)(me)(?![\p{L}\p{N}_])/giu,
  /(?<![\p{L}\p{N}_])(gon)(na)(?![\p{L}\p{N}_])/giu,
  /(?<![\p{L}\p{N}_])(got)(ta)(?![\p{L}\p{N}_])/giu,
  /(?<![\p{L}\p{N}_])(lem)(me)(?![\p{L}\p{N}_])/giu,
  /(?<![\p{L}\p{N}_])(more)('n)(?![\p{L}\p{N}_])/giu,
  /(?<![\p{L}\p{N}_])(wan)(na)(?=\s)/giu,
  / ('t)(is)(?![\p{L}\p{N}_])/giu,
  / ('t)(was)(?![\p{L}\p{N}_])/giu,
];

function applyRules(text: string, rules: Rule[]): string {
  return rules.reduce((t, [re, sub]) => t.replace(re, sub), text);
}

function treebankTokenize(sentence: string): string[] {
  let text = applyRules(sentence, STARTING_QUOTES);
  text = applyRules(text, PUNCTUATION);
  text = applyRules(text, [PARENS_BRACKETS, DOUBLE_DASHES]);
  text = applyRules(` ${text} `, ENDING_QUOTES);
  for (const re of CONTRACTIONS) text = text.replace(re, ' $1 $2 ');
  return text.split(/\s+/u).filter((t) => t !== '');
}

/** NLTK `word_tokenize`: sentence split, then the Treebank rules per sentence. */
export function wordTokenize(text: string): string[] {
  return sentTokenize(text).flatMap(treebankTokenize);
}

/**
 * Whether NLTK's `pos_tag(word_tokenize(text))` gives the first token a `VB*` tag; approximated with
 * en-pos (Brill). The first token's tag depends only on its neighbours, so only the opening
 * sentences are tokenized.
 */
export function startsWithVerbTag(text: string): boolean {
  const tokens = sentTokenize(text).slice(0, 3).flatMap(treebankTokenize).slice(0, 40);
  if (tokens.length === 0) return false;
  const tags = new (loadEnPos().Tag)(tokens).initial().smooth().tags;
  return tags[0].includes('VB');
}

const VOWELS = 'aeiouy';

/** syllapy's rule for words missing from its dictionary: vowel groups, a silent final e, a final consonant+"le". */
function heuristicSyllables(word: string): number {
  const cps = Array.from(word);
  let count = VOWELS.includes(cps[0]) ? 1 : 0;
  for (let i = 1; i < cps.length; i++) if (VOWELS.includes(cps[i]) && !VOWELS.includes(cps[i - 1])) count++;
  if (word.endsWith('e')) count--;
  if (word.endsWith('le') && cps.length > 2 && !VOWELS.includes(cps[cps.length - 3])) count++;
  return Math.max(count, 1);
}

/**
 * `syllapy.count(word)`: 0 for a blank word or one with a digit; a dictionary count for a known word;
 * syllapy's heuristic otherwise. Its CMU-derived dictionary is not shipped: en-lexicon stands in for
 * "known word" and the `syllable` package for the dictionary count.
 */
export function countSyllables(word: string): number {
  const w = pyStrip(pyStrip(word).toLowerCase(), PUNCT);
  if (w === '' || /\p{Nd}/u.test(w)) return 0;
  return Object.hasOwn(loadLexicon(), w) ? syllable(w) : heuristicSyllables(w);
}

const EMOJI_CHAR = /^[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}]$/u;

/** `emoji.is_emoji(ch)` for a single code point, approximated with Unicode emoji properties. */
export function isEmojiChar(ch: string): boolean {
  return EMOJI_CHAR.test(ch);
}
