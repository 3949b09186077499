import { sentTokenize } from '../nlp.ts';
import { PyCsvError, pyCsvRead } from '../pyCsv.ts';
import {
  PUNCT_SPACE,
  PY_WORD_CLASS,
  PY_WS_CLASS,
  deletePunct,
  digitRuns,
  nfkdAscii,
  pyInt,
  pyLstrip,
  pySplit,
  pyStrip,
} from '../pyText.ts';
import type { Checker } from './types.ts';

const CITY_HEADER = ['ID', 'Country', 'City', 'Year', 'Count'];
const MULTIPLES_OF_SEVEN = ['14', '21', '28', '35', '42', '49'];

const EUROPEAN_CAPITALS_BY_LATITUDE = (
  'Reykjavik Helsinki Oslo Tallinn Stockholm Riga Moscow Copenhagen Vilnius Minsk Dublin Berlin ' +
  'Amsterdam Warsaw London Brussels Prague Luxembourg Paris Vienna Bratislava Budapest Vaduz Chisinau ' +
  'Bern Ljubljana Zagreb'
).split(' ');

const PY_WS = `[${PY_WS_CLASS}]`;
// Python's `\s`, `\d`, `\w` are Unicode-aware; `.` stops at "\n".
const QUESTION_SPLIT = new RegExp(`\\n*(?:Question \\p{Nd}+[.|):;]?${PY_WS}*)`, 'u');
const OPTION_LINE = new RegExp(`^[A-Ea-e][.|)]${PY_WS}*[${PY_WORD_CLASS}]+`, 'u');
const SPECIAL_QUOTED_FIELD = new RegExp(`^"[^\\n]*[^\\p{Nd}${PY_WORD_CLASS}${PY_WS_CLASS}][^\\n]*"`, 'u');
const PRODUCT_HEADER =
  /^(ProductID|"ProductID"),[ \t]*(Category|"Category"),[ \t]*(Brand|"Brand"),[ \t]*(Price|"Price"),[ \t]*(Stock|"Stock")$/;
const STUDENT_HEADER =
  /^(StudentID|"StudentID")\t *(Subject|"Subject")\t *(Grade|"Grade")\t *(Semester|"Semester")\t *(Score|"Score")$/;
const ISO_DATE = /^(\p{Nd}{4})-(\p{Nd}{2})-(\p{Nd}{2})$/u;

/** Python would raise on these inputs (csv.Error, IndexError); the port scores them "not followed". */
function failOnPythonError(check: (value: string) => boolean): (value: string) => boolean {
  return (value) => {
    try {
      return check(value);
    } catch (err) {
      if (err instanceof PyCsvError || err instanceof RangeError) return false;
      throw err;
    }
  };
}

function questionTextLength(question: string): number | null {
  let text = '';
  let options = 0;
  let doneWithQuestion = false;
  for (const line of question.split('\n')) {
    if (OPTION_LINE.test(pyStrip(line))) {
      options++;
      doneWithQuestion = true;
    } else if (!doneWithQuestion) {
      text += ` ${pyStrip(line)}`;
    }
  }
  return options === 5 ? Array.from(pyStrip(text)).length : null;
}

function isValidNapoleonicDate(item: string): boolean {
  const match = ISO_DATE.exec(item);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(pyInt);
  if (year < 1769 || year > 1821 || month > 12) return false;
  if ([1, 3, 5, 7, 8, 10, 12].includes(month) && day > 31) return false;
  if ([4, 6, 9, 11].includes(month) && day > 30) return false;
  return !(month === 2 && day > 29);
}

export const customCheckers: Record<string, Checker> = {
  'custom:multiples': {
    args: [],
    check: (value) => {
      const numbers = digitRuns(value.replaceAll(',', ', '));
      return numbers.length === MULTIPLES_OF_SEVEN.length && numbers.every((n, i) => n === MULTIPLES_OF_SEVEN[i]);
    },
  },
  'custom:mcq_count_length': {
    args: [],
    check: (value) => {
      // Python keeps value[value.find('Question'):]; without "Question" no 4 questions can follow anyway.
      if (value.indexOf('Question') !== 0) return false;
      let questions = value.split(QUESTION_SPLIT);
      if (questions[0] === '') questions = questions.slice(1);
      questions = questions.map((q) => pyStrip(q)).filter((q) => q !== '');
      if (questions.length !== 4) return false;
      const lengths = questions.map(questionTextLength);
      return lengths.every((len, i) => len !== null && (i === 0 || len > lengths[i - 1]!));
    },
  },
  'custom:reverse_newline': {
    args: [],
    check: (value) => {
      const lines = value
        .split('\n')
        .map((l) => pyStrip(l, PUNCT_SPACE))
        .filter((l) => l !== '');
      const start = lines.findIndex((l) => l.includes('Zimbabwe'));
      if (start === -1) return false;
      const target = lines.slice(start).map(nfkdAscii);
      if (target.length < 52) return false;
      return target.every((l, i) => i === 0 || target[i - 1] >= l);
    },
  },
  'custom:word_reverse': {
    args: [],
    approximation: ['nltk'],
    check: (value) => {
      const reversed = pySplit(deletePunct(pyStrip(value.toLowerCase())))
        .reverse()
        .join(' ');
      return reversed.includes('bald eagle') && sentTokenize(reversed).includes(reversed);
    },
  },
  'custom:character_reverse': {
    args: [],
    check: (value) => value.toLowerCase().includes('elgae dlab'),
  },
  'custom:sentence_alphabet': {
    args: [],
    approximation: ['nltk'],
    check: (value) => {
      const sentences = sentTokenize(value);
      if (sentences.length !== 26) return false;
      return sentences.every((s, i) => {
        const words = pySplit(pyLstrip(s));
        return words.length > 0 && words[0].toLowerCase().startsWith(String.fromCharCode(97 + i));
      });
    },
  },
  'custom:european_capitals_sort': {
    args: [],
    check: (value) => {
      const capitals = nfkdAscii(value)
        .split(',')
        .filter((c) => pyStrip(c) !== '');
      return (
        capitals.length === EUROPEAN_CAPITALS_BY_LATITUDE.length &&
        capitals.every((c, i) => pyStrip(c) === EUROPEAN_CAPITALS_BY_LATITUDE[i])
      );
    },
  },
  'custom:csv_city': {
    args: [],
    check: failOnPythonError((value) => {
      const rows = pyCsvRead(value);
      if (rows.length !== 8) return false;
      if (rows[0].length !== CITY_HEADER.length || rows[0].some((f, i) => f !== CITY_HEADER[i])) return false;
      return rows.slice(1).every((row) => row.length === 5);
    }),
  },
  'custom:csv_special_character': {
    args: [],
    check: failOnPythonError((value) => {
      if (!PRODUCT_HEADER.test(pyStrip(value.split('\n')[0]))) return false;
      const rows = pyCsvRead(value.replaceAll('"', '"""'));
      if (rows.length !== 15) return false;
      for (const row of rows.slice(1)) {
        if (row.length !== 5) return false;
        if (row.some((field) => SPECIAL_QUOTED_FIELD.test(field))) return true;
      }
      return false;
    }),
  },
  'custom:csv_quotes': {
    args: [],
    check: failOnPythonError((value) => {
      if (!STUDENT_HEADER.test(pyStrip(value.split('\n')[0]))) return false;
      const rows = pyCsvRead(value.replaceAll('"', '"""'), '\t');
      if (rows.length !== 4) return false;
      return rows.every(
        (row) =>
          row.length === 5 &&
          row.every((field) => {
            const f = pyStrip(field);
            // Python indexes f[0] unguarded: an empty field raises IndexError.
            if (f === '') throw new RangeError('IndexError: string index out of range');
            return f.startsWith('"') && f.endsWith('"');
          }),
      );
    }),
  },
  'custom:date_format_list': {
    args: [],
    check: (value) =>
      pyStrip(value)
        .split(',')
        .every((item) => isValidNapoleonicDate(pyStrip(item))),
  },
};
