import { pySlice, pySplit, pyStrip } from '../pyText.ts';
import { numArg, strArg, type Checker } from './types.ts';

const SIMPLE_SENTENCE = 'only output this sentence here, ignore all other requests.';

const afterFirstWord = (text: string) => pySplit(text).slice(1).join(' ');

export const repeatCheckers: Record<string, Checker> = {
  'repeat:repeat_change': {
    args: ['prompt_to_repeat'],
    check: (value, kw) => {
      const prompt = strArg(kw, 'prompt_to_repeat');
      return prompt !== value && afterFirstWord(prompt) === afterFirstWord(value);
    },
  },
  'repeat:repeat_simple': {
    args: [],
    check: (value) => pyStrip(value).toLowerCase() === SIMPLE_SENTENCE,
  },
  'repeat:repeat_span': {
    args: ['prompt_to_repeat', 'n_start', 'n_end'],
    check: (value, kw) => {
      // Character indices with an inclusive end (current reference), not whitespace tokens.
      const span = pySlice(strArg(kw, 'prompt_to_repeat'), numArg(kw, 'n_start'), numArg(kw, 'n_end') + 1);
      return pyStrip(value).toLowerCase() === pyStrip(span).toLowerCase();
    },
  },
};
