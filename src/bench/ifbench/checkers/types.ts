import { FapoError } from '../../../util/errors.ts';

/** An instruction's kwargs after dropping the `null` entries, as in the reference harness. */
export type Kwargs = Readonly<Record<string, string | number>>;

/** Why a checker cannot reproduce the reference exactly; absent when it can. */
export type Approximation = 'nltk' | 'syllapy' | 'emoji';

export interface Checker {
  /** kwargs that must be present (the reference would draw random ones otherwise). */
  args: readonly string[];
  approximation?: readonly Approximation[];
  /** The reference `check_following`: called on a non-blank response, unstripped. */
  check(response: string, kwargs: Kwargs): boolean;
}

export function numArg(kwargs: Kwargs, key: string): number {
  const value = kwargs[key];
  if (typeof value !== 'number') {
    throw new FapoError(`IFBench kwarg "${key}" must be a number, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function strArg(kwargs: Kwargs, key: string): string {
  const value = kwargs[key];
  if (typeof value !== 'string') {
    throw new FapoError(`IFBench kwarg "${key}" must be a string, got ${JSON.stringify(value)}`);
  }
  return value;
}
