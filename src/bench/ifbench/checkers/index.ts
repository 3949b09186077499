import { countCheckers } from './count.ts';
import { customCheckers } from './custom.ts';
import { formatCheckers } from './format.ts';
import { ratioCheckers } from './ratio.ts';
import { repeatCheckers } from './repeat.ts';
import { sentenceCheckers } from './sentence.ts';
import type { Checker } from './types.ts';
import { wordsCheckers } from './words.ts';

export type { Approximation, Checker, Kwargs } from './types.ts';

/** The 58 IFBench test ("out-of-distribution") instruction checkers, by instruction id. */
export const IFBENCH_CHECKERS: Readonly<Record<string, Checker>> = {
  ...countCheckers,
  ...ratioCheckers,
  ...wordsCheckers,
  ...sentenceCheckers,
  ...formatCheckers,
  ...customCheckers,
  ...repeatCheckers,
};
