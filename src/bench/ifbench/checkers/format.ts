import { isEmojiChar, sentTokenize, wordTokenize } from '../nlp.ts';
import {
  DIGITS,
  PUNCT,
  PUNCT_SPACE,
  PY_WORD_CLASS,
  PY_WS_CLASS,
  countOccurrences,
  deletePunct,
  isPySpace,
  pyIsAlpha,
  pyIsLower,
  pyIsUpper,
  pyLstrip,
  pySplit,
  pyStrip,
} from '../pyText.ts';
import { strArg, type Checker } from './types.ts';

const OPENERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
// re.match(r"\W*[aA]\W*[bB]\W*[cC]\W*") with Python's Unicode \W.
const NOT_WORD = `[^${PY_WORD_CLASS}]*`;
const MULTIPLE_CHOICE_OPTIONS = new RegExp(`^${NOT_WORD}[aA]${NOT_WORD}[bB]${NOT_WORD}[cC]`, 'u');
const PY_WS_RUN = new RegExp(`[${PY_WS_CLASS}]+`, 'gu');

function leadingSpaces(line: string): number {
  return line.length - pyLstrip(line, ' ').length;
}

/**
 * `for line in lines: if not line.strip(): lines.remove(line)` — mutating while iterating: each
 * removal removes the first equal element and shifts the list, so the iterator skips an element.
 */
function removeBlankLinesLikePython(lines: string[]): string[] {
  const list = [...lines];
  for (let i = 0; i < list.length; i++) {
    const line = list[i];
    if (pyStrip(line) === '') list.splice(list.indexOf(line), 1);
  }
  return list;
}

function parseOptions(options: string): { strict: boolean; choices: string[] } {
  const separator = options.includes('/') ? '/' : options.includes('or') ? 'or' : ',';
  return {
    strict: MULTIPLE_CHOICE_OPTIONS.test(options),
    choices: options.split(separator).map((o) => pyStrip(o)),
  };
}

function lastTwoChars(text: string): [string, string] {
  const cps = Array.from(text);
  const last = cps[cps.length - 1];
  return [last, cps.length > 1 ? cps[cps.length - 2] : last];
}

export const formatCheckers: Record<string, Checker> = {
  'format:parentheses': {
    args: [],
    check: (value) => {
      let stack: string[] = [];
      let maxDepth = 0;
      for (const ch of value) {
        if ('([{'.includes(ch)) {
          stack.push(ch);
          maxDepth = Math.max(maxDepth, stack.length);
        } else if (ch in OPENERS) {
          if (stack.length > 0 && stack[stack.length - 1] === OPENERS[ch]) {
            stack.pop();
            if (maxDepth >= 5 && stack.length < maxDepth) return true;
          } else {
            stack = [];
            maxDepth = 0;
          }
        }
      }
      return false;
    },
  },
  'format:quotes': {
    args: [],
    check: (value) => {
      const stack: string[] = [];
      let reached = 0;
      for (const ch of value) {
        if (stack.length > 0 && ch === stack[stack.length - 1]) {
          stack.pop();
          if (reached - stack.length >= 3) return true;
        } else if (ch === '"' || ch === "'") {
          stack.push(ch);
          reached = Math.max(reached, stack.length);
        }
      }
      return false;
    },
  },
  'format:options': {
    args: ['options'],
    check: (value, kw) => {
      const { strict, choices } = parseOptions(strArg(kw, 'options'));
      if (strict) return choices.includes(value);
      const answer = pyStrip(value, PUNCT_SPACE).toLowerCase();
      return choices.some((o) => pyStrip(o, PUNCT_SPACE).toLowerCase() === answer);
    },
  },
  'format:newline': {
    args: [],
    check: (value) => {
      const text = pyStrip(deletePunct(value));
      const lines = text.split('\n').filter((l) => l !== '');
      return lines.length === pySplit(text).length;
    },
  },
  'format:emoji': {
    args: [],
    approximation: ['nltk', 'emoji'],
    check: (value) => {
      const sentences = sentTokenize(value);
      const cleaned = sentences.map((s) => pyStrip(deletePunct(s)));
      return cleaned.every((text, i) => {
        if (text === '') return false;
        const [last, secondLast] = lastTwoChars(text);
        if (isEmojiChar(last) || isEmojiChar(secondLast)) return true;
        if (i === cleaned.length - 1) return false;
        const next = cleaned[i + 1];
        return next !== '' && isEmojiChar(String.fromCodePoint(next.codePointAt(0)!));
      });
    },
  },
  'format:line_indent': {
    args: [],
    check: (value) => {
      const lines = removeBlankLinesLikePython(value.split('\n'));
      return lines.every((line, i) => i + 1 >= lines.length || leadingSpaces(lines[i + 1]) > leadingSpaces(line));
    },
  },
  'format:quote_unquote': {
    args: [],
    check: (value) => {
      // The current reference's curly→straight quote mapping is a no-op ('"' → '"'), so it is omitted.
      const text = value.replaceAll("'\"'", '').replace(PY_WS_RUN, '');
      if (text.includes('""')) return false;
      const stripped = pyStrip(text, DIGITS + PUNCT.replace('"', ''));
      return !(stripped !== '' && stripped.endsWith('"'));
    },
  },
  'format:list': {
    args: ['sep'],
    check: (value, kw) => countOccurrences(value, strArg(kw, 'sep')) >= 2,
  },
  'format:thesis': {
    args: [],
    check: (value) => {
      let index = value.indexOf('<i>');
      if (index === -1) index = value.indexOf('<em>');
      if (index === -1) return false;
      const rest = value.slice(index);
      let end = rest.indexOf('</i>');
      if (end === -1) end = rest.indexOf('</em>');
      if (end === -1) return false;
      // Python slices rest[3:end]; a negative or reversed range is simply empty.
      const thesis = end > 3 ? rest.slice(3, end) : '';
      return pyStrip(thesis) !== '' && pyStrip(rest.slice(end + 4)) !== '';
    },
  },
  'format:sub-bullets': {
    args: [],
    check: (value) =>
      value
        .split('*')
        .slice(1)
        .every((piece) => piece.includes('-')),
  },
  'format:no_bullets_bullets': {
    args: [],
    approximation: ['nltk'],
    check: (value) => {
      let beforeBullets = true;
      let sentences = 0;
      let bullets = 0;
      for (const line of value.split('\n')) {
        if (pyStrip(line).startsWith('*')) {
          beforeBullets = false;
          if (sentences < 2) return false;
          bullets++;
        } else if (beforeBullets) {
          // Python reuses the flag for the line's sentence list: a blank line makes it falsy.
          const found = sentTokenize(pyStrip(line));
          sentences += found.length;
          beforeBullets = found.length > 0;
        } else {
          return false;
        }
      }
      return bullets >= 2;
    },
  },
  'format:title_case': {
    args: [],
    approximation: ['nltk'],
    check: (value) =>
      wordTokenize(value).every((word) => {
        const cps = Array.from(word);
        if (cps.length === 0 || !pyIsAlpha(cps[0])) return true;
        if (cps.length === 1) return !pyIsLower(cps[0]);
        const rest = cps.slice(1).join('');
        if (pyIsUpper(cps[0]) && pyIsLower(rest)) return true;
        return !(pyIsLower(cps[0]) && (pyIsUpper(rest) || pyIsLower(rest)));
      }),
  },
  'format:output_template': {
    args: [],
    check: (value) => ['My Answer:', 'My Conclusion:', 'Future Outlook:'].every((t) => value.includes(t)),
  },
  'format:no_whitespace': {
    args: [],
    check: (value) => !Array.from(value).some(isPySpace),
  },
};
