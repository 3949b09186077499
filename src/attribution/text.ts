/** Text helpers shared by the attribution rules: normalisation, content tokens, overlap, containment. */
import { eng as ENGLISH_STOPWORDS } from 'stopword';

const STOPWORDS = new Set(ENGLISH_STOPWORDS);

/** Lowercase, strip diacritics and punctuation, drop English articles, collapse whitespace (SQuAD-style). */
export function normaliseAnswer(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .replace(/\b(a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Lowercased content words: split on anything that is not a letter or digit, English stopwords removed. */
export function contentTokens(text: string): Set<string> {
  const words = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u);
  return new Set(words.filter((w) => w.length > 0 && !STOPWORDS.has(w)));
}

/** Fraction of the query's content words that occur in the text; null when the query has none. */
export function tokenOverlap(query: string, text: string): number | null {
  const queryTokens = contentTokens(query);
  if (queryTokens.size === 0) return null;
  const textTokens = contentTokens(text);
  let shared = 0;
  for (const token of queryTokens) if (textTokens.has(token)) shared++;
  return shared / queryTokens.size;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whole-word containment: `1` does not occur in `1922`, `Paris` does not occur in `Parisian`. */
export function containsAsWords(haystack: string, needle: string): boolean {
  if (needle.length === 0) return false;
  return new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(needle)}(?![\\p{L}\\p{N}])`, 'u').test(haystack);
}

/** Shortens long evidence for reports and the analyst prompt, saying how much was cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… [+${text.length - max} chars]`;
}

/** A compact one-line rendering of any value (strings unquoted). */
export function compactText(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Normalised title key used to compare gold titles with retrieved titles (case, width and `_` vs space). */
export function titleKey(title: string): string {
  return title.normalize('NFKC').replace(/_/g, ' ').replace(/\s+/g, ' ').trim().toLowerCase();
}
