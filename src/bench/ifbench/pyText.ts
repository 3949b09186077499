/**
 * Python `str` / `re` semantics the IFBench checkers depend on. JS differs from Python on the
 * whitespace set, Unicode-awareness of `\w`/`\d`/`\b`, and UTF-16 vs code-point indexing, so the
 * checkers use these helpers instead of the built-ins.
 */

/** Python's `string.punctuation`: ASCII only (curly quotes, dashes, `…` are not in it). */
export const PUNCT = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
/** `string.punctuation + ' '`, the strip set most checkers use. */
export const PUNCT_SPACE = `${PUNCT} `;
export const DIGITS = '0123456789';

/** Characters for which Python's `str.isspace()` is true (differs from JS `\s`: no U+FEFF, adds U+001C–U+001F, U+0085). */
export const PY_WS_CLASS =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** Python `re` `\w` with Unicode strings (letters, numbers, underscore; combining marks excluded). */
export const PY_WORD_CLASS = '\\p{L}\\p{N}_';

const WS_RUN = new RegExp(`[${PY_WS_CLASS}]+`, 'u');
const WS_CHAR = new RegExp(`^[${PY_WS_CLASS}]$`, 'u');
const WORD_RUN = new RegExp(`[${PY_WORD_CLASS}]+`, 'gu');
const DIGIT_RUN = /\p{Nd}+/gu;
const PUNCT_CHARS = new RegExp(`[${escapeForClass(PUNCT)}]`, 'g');

export function escapeForClass(chars: string): string {
  return chars.replace(/[\\\][^-]/g, (c) => `\\${c}`);
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export function isPySpace(ch: string): boolean {
  return WS_CHAR.test(ch);
}

/** Python `s.split()` (no argument): split on whitespace runs, drop empty strings. */
export function pySplit(text: string): string[] {
  return text.split(WS_RUN).filter((t) => t !== '');
}

function stripEnds(text: string, remove: (ch: string) => boolean, left: boolean, right: boolean): string {
  // Walks code points from each end without materialising the whole string (responses can be long).
  let start = 0;
  let end = text.length;
  if (left) {
    while (start < end) {
      const ch = String.fromCodePoint(text.codePointAt(start)!);
      if (!remove(ch)) break;
      start += ch.length;
    }
  }
  if (right) {
    while (end > start) {
      const low = text.charCodeAt(end - 1);
      const width = low >= 0xdc00 && low <= 0xdfff && end - 2 >= start ? 2 : 1;
      const ch = String.fromCodePoint(text.codePointAt(end - width)!);
      if (!remove(ch)) break;
      end -= width;
    }
  }
  return text.slice(start, end);
}

function remover(chars?: string): (ch: string) => boolean {
  if (chars === undefined) return isPySpace;
  const set = new Set(Array.from(chars));
  return (ch) => set.has(ch);
}

/** Python `s.strip(chars)`; whitespace when `chars` is omitted. */
export function pyStrip(text: string, chars?: string): string {
  return stripEnds(text, remover(chars), true, true);
}
export function pyLstrip(text: string, chars?: string): string {
  return stripEnds(text, remover(chars), true, false);
}
export function pyRstrip(text: string, chars?: string): string {
  return stripEnds(text, remover(chars), false, true);
}

/** `s.translate(str.maketrans('', '', string.punctuation))`. */
export function deletePunct(text: string): string {
  return text.replace(PUNCT_CHARS, '');
}

/** Python `len(s)`: code points. */
export function pyLen(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Python `s[start:stop]` on code points, including negative indices and clamping. */
export function pySlice(text: string, start: number, stop?: number): string {
  const cps = Array.from(text);
  const norm = (i: number) => (i < 0 ? Math.max(0, cps.length + i) : Math.min(i, cps.length));
  return cps.slice(norm(start), stop === undefined ? cps.length : norm(stop)).join('');
}

/** Python `s.count(sub)` / `len(re.findall(re.escape(sub), s))`: non-overlapping occurrences. */
export function countOccurrences(text: string, sub: string): number {
  if (sub === '') return pyLen(text) + 1;
  return text.split(sub).length - 1;
}

/** `re.findall(r'\w+', s)` with Unicode `\w` (also NLTK's `RegexpTokenizer(r"\w+")`). */
export function wordRuns(text: string): string[] {
  return text.match(WORD_RUN) ?? [];
}

/** `re.findall(r'\d+', s)` with Unicode `\d`. */
export function digitRuns(text: string): string[] {
  return text.match(DIGIT_RUN) ?? [];
}

/** A regex source for `\bword\b` with Python's Unicode word boundaries. */
export function wordBoundaryPattern(word: string): string {
  const w = `[${PY_WORD_CLASS}]`;
  const escaped = escapeRegExp(word);
  // \b only asserts a boundary where the keyword's own edge is a word character.
  const startsWord = new RegExp(`^${w}`, 'u').test(word);
  const endsWord = new RegExp(`${w}$`, 'u').test(word);
  const before = startsWord ? `(?<!${w})` : `(?<=${w})`;
  const after = endsWord ? `(?!${w})` : `(?=${w})`;
  return word === '' ? `(?:(?<=${w})(?!${w})|(?<!${w})(?=${w}))` : `${before}${escaped}${after}`;
}

const CASED_UPPER = /[\p{Uppercase}\p{Lt}]/u;
const LOWER = /\p{Lowercase}/u;

/** Python `s.islower()`: at least one cased character and no upper/title-case one. */
export function pyIsLower(text: string): boolean {
  let cased = false;
  for (const ch of text) {
    if (CASED_UPPER.test(ch)) return false;
    if (LOWER.test(ch)) cased = true;
  }
  return cased;
}

/** Python `s.isupper()`: at least one cased character and no lower/title-case one. */
export function pyIsUpper(text: string): boolean {
  let cased = false;
  for (const ch of text) {
    if (LOWER.test(ch) || /\p{Lt}/u.test(ch)) return false;
    if (/\p{Uppercase}/u.test(ch)) cased = true;
  }
  return cased;
}

/** Python `s.isalpha()`. */
export function pyIsAlpha(text: string): boolean {
  return text !== '' && /^\p{L}+$/u.test(text);
}

// Python's isdigit() also accepts Numeric_Type=Digit characters (superscripts, circled digits…),
// which have no JS property escape.
const DIGIT_CHAR =
  /^[\p{Nd}\u00B2\u00B3\u00B9\u1369-\u1371\u19DA\u2070\u2074-\u2079\u2080-\u2089\u2460-\u2468\u2474-\u247C\u2488-\u2490\u24EA\u24F5-\u24FD\u24FF\u2776-\u277E\u2780-\u2788\u278A-\u2792\u{1F100}-\u{1F10A}]+$/u;

/** Python `s.isdigit()`. */
export function pyIsDigit(text: string): boolean {
  return DIGIT_CHAR.test(text);
}

/** Python `s.isalnum()` for one character. */
export function pyIsAlnum(ch: string): boolean {
  return /^[\p{L}\p{N}]$/u.test(ch);
}

/** Python `int(s)` on Unicode decimal digits: every contiguous Nd run is whole 0–9 blocks. */
export function pyInt(digits: string): number {
  let value = 0;
  for (const ch of digits) {
    const cp = ch.codePointAt(0)!;
    let runStart = cp;
    while (/\p{Nd}/u.test(String.fromCodePoint(runStart - 1))) runStart--;
    value = value * 10 + ((cp - runStart) % 10);
  }
  return value;
}

/** `unicodedata.normalize('NFKD', s).encode('ascii', 'ignore').decode()`. */
export function nfkdAscii(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range starts at NUL on purpose (Python's encode('ascii', 'ignore'))
  return text.normalize('NFKD').replace(/[^\x00-\x7F]/g, '');
}
