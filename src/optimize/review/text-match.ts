/** Text normalisation and phrase hashing shared by the leakage and train-copy checks. */
import { createHash } from 'node:crypto';

/** Lower-cased, accent-free word tokens: punctuation and markup never hide a copy. */
export function tokens(text: string): string[] {
  return (
    text
      .normalize('NFKD')
      // Combining marks and invisible format characters (zero-width spaces, joiners) must not split or hide words.
      .replace(/[\p{M}\p{Cf}]/gu, '')
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((t) => t.length > 0)
  );
}

export function phraseHash(words: readonly string[]): string {
  return createHash('sha256').update(words.join(' ')).digest('hex').slice(0, 16);
}

/** Every string leaf of a value with its path, e.g. `input.question`, `expected[0]`. */
export function stringLeaves(value: unknown, path: string): { path: string; text: string }[] {
  if (typeof value === 'string') return [{ path, text: value }];
  if (typeof value === 'number' || typeof value === 'boolean') return [{ path, text: String(value) }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, `${path}.${k}`));
  }
  return [];
}
