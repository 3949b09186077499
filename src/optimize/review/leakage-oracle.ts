/**
 * Answers "does this text contain a held-out case?" without holding the cases: only hashes of
 * distinctive phrases are kept, in private fields, so nothing can be serialised or logged back out.
 */
import type { Case, Split } from '../../task/schema.ts';
import { phraseHash, stringLeaves, tokens } from './text-match.ts';

export interface LeakHit {
  split: Split;
  caseId: string;
  /** `input.<key>` or `expected[...]` path of the matched field. */
  field: string;
}

export interface LeakageOracle {
  findLeaks(text: string): LeakHit[];
}

export interface LeakageThresholds {
  /** Long fields are indexed as overlapping shingles of this many tokens. */
  shingleTokens: number;
  /** An expected answer counts only with at least this many tokens… */
  minAnswerTokens: number;
  /** …or this many characters, so "yes", "no" and small numbers never match. */
  minAnswerChars: number;
  /** Input fields shorter than a shingle are indexed whole from this many tokens up. */
  minInputTokens: number;
  /** A phrase found in more than max(minSharedCases, maxCaseShare × cases) cases is boilerplate, not distinctive. */
  maxCaseShare: number;
  minSharedCases: number;
}

export const DEFAULT_LEAKAGE_THRESHOLDS: LeakageThresholds = {
  shingleTokens: 8,
  minAnswerTokens: 3,
  minAnswerChars: 12,
  minInputTokens: 5,
  maxCaseShare: 0.05,
  minSharedCases: 2,
};

interface Phrase {
  length: number;
  hash: string;
  field: string;
}

function fieldPhrases(words: string[], field: string, indexWhole: boolean, shingle: number): Phrase[] {
  if (words.length <= shingle) return indexWhole ? [{ length: words.length, hash: phraseHash(words), field }] : [];
  const out: Phrase[] = [];
  for (let i = 0; i + shingle <= words.length; i++)
    out.push({ length: shingle, hash: phraseHash(words.slice(i, i + shingle)), field });
  return out;
}

function casePhrases(c: Case, t: LeakageThresholds): Phrase[] {
  const inputs = stringLeaves(c.input, 'input').flatMap(({ path, text }) => {
    const words = tokens(text);
    return fieldPhrases(words, path, words.length >= t.minInputTokens, t.shingleTokens);
  });
  const answers = stringLeaves(c.expected, 'expected').flatMap(({ path, text }) => {
    const words = tokens(text);
    const long = words.length >= t.minAnswerTokens || words.join(' ').length >= t.minAnswerChars;
    return fieldPhrases(words, path, long && words.length > 0, t.shingleTokens);
  });
  return [...inputs, ...answers];
}

class HashedCaseIndex implements LeakageOracle {
  /** phrase length → phrase hash → where it came from. */
  readonly #index = new Map<number, Map<string, LeakHit[]>>();

  constructor(splits: Partial<Record<Split, Case[]>>, t: LeakageThresholds) {
    const byHash = new Map<string, { length: number; hits: LeakHit[]; cases: Set<string> }>();
    let caseCount = 0;
    for (const [split, cases] of Object.entries(splits) as [Split, Case[]][]) {
      for (const c of cases) {
        caseCount++;
        for (const p of casePhrases(c, t)) {
          const entry = byHash.get(p.hash) ?? { length: p.length, hits: [], cases: new Set<string>() };
          entry.cases.add(`${split}/${c.id}`);
          if (!entry.hits.some((h) => h.split === split && h.caseId === c.id && h.field === p.field)) {
            entry.hits.push({ split, caseId: c.id, field: p.field });
          }
          byHash.set(p.hash, entry);
        }
      }
    }
    const maxCases = Math.max(t.minSharedCases, t.maxCaseShare * caseCount);
    for (const [hash, entry] of byHash) {
      if (entry.cases.size > maxCases) continue;
      const bucket = this.#index.get(entry.length) ?? new Map<string, LeakHit[]>();
      bucket.set(hash, entry.hits);
      this.#index.set(entry.length, bucket);
    }
  }

  findLeaks(text: string): LeakHit[] {
    const words = tokens(text);
    const found = new Map<string, LeakHit>();
    for (const [length, bucket] of this.#index) {
      for (let i = 0; i + length <= words.length; i++) {
        for (const hit of bucket.get(phraseHash(words.slice(i, i + length))) ?? []) {
          found.set(`${hit.split}\u0000${hit.caseId}\u0000${hit.field}`, hit);
        }
      }
    }
    return [...found.values()];
  }
}

/**
 * Builds an oracle over the given splits' cases (validation + test for leakage, train for the
 * train-copy check). Thresholds are explicit so a report can state what counted as a match.
 */
export function createLeakageOracle(
  splits: Partial<Record<Split, Case[]>>,
  thresholds: Partial<LeakageThresholds> = {},
): LeakageOracle {
  return new HashedCaseIndex(splits, { ...DEFAULT_LEAKAGE_THRESHOLDS, ...thresholds });
}
