import { normalizeText, retrievedTitle, type RetrievedDocument } from './normalize.ts';

export interface TitleCoverage {
  /** Gold titles (as given) whose normalised form is among the retrieved titles. */
  found: string[];
  missing: string[];
  /** found / gold; 1 when there is no gold title. */
  recall: number;
  /** How many retrieved documents were looked at (after the cap). */
  counted: number;
}

/** Which gold titles appear among the first `maxDocuments` retrieved documents, compared after `normalizeText`. */
export function titleCoverage(
  goldTitles: readonly string[],
  retrieved: readonly RetrievedDocument[],
  maxDocuments = Infinity,
): TitleCoverage {
  const counted = retrieved.slice(0, maxDocuments);
  const seen = new Set(counted.map((d) => normalizeText(retrievedTitle(d))));
  const gold = uniqueByNormalizedTitle(goldTitles);
  const found = gold.filter((t) => seen.has(normalizeText(t)));
  const missing = gold.filter((t) => !seen.has(normalizeText(t)));
  return { found, missing, recall: gold.length === 0 ? 1 : found.length / gold.length, counted: counted.length };
}

export function uniqueByNormalizedTitle(titles: readonly string[]): string[] {
  const byKey = new Map<string, string>();
  for (const t of titles) if (!byKey.has(normalizeText(t))) byKey.set(normalizeText(t), t);
  return [...byKey.values()];
}

/** One retrieval step of a run: its node name and the documents it returned, in order. */
export interface HopRetrieval {
  step: string;
  documents: RetrievedDocument[];
}

export interface HopProgress {
  step: string;
  /** Gold titles first retrieved by this hop. */
  newlyFound: string[];
  /** Gold titles retrieved by this hop or an earlier one. */
  foundSoFar: string[];
  missingAfter: string[];
}

/** Gold-title coverage hop by hop, for feedback that tells each module what its own hop added. */
export function hopProgress(goldTitles: readonly string[], hops: readonly HopRetrieval[]): HopProgress[] {
  const progress: HopProgress[] = [];
  let before: string[] = [];
  const soFar: RetrievedDocument[] = [];
  for (const hop of hops) {
    soFar.push(...hop.documents);
    const cov = titleCoverage(goldTitles, soFar);
    progress.push({
      step: hop.step,
      newlyFound: cov.found.filter((t) => !before.includes(t)),
      foundSoFar: cov.found,
      missingAfter: cov.missing,
    });
    before = cov.found;
  }
  return progress;
}

export const listOrNone = (titles: readonly string[]): string =>
  titles.length === 0 ? '(none)' : titles.map((t) => `"${t}"`).join(', ');

/** Plain-text account of which gold documents each hop retrieved and which are still missing. */
export function describeHopProgress(progress: readonly HopProgress[]): string {
  return progress
    .map(
      (p) =>
        `- ${p.step}: newly retrieved gold documents ${listOrNone(p.newlyFound)}; found so far ${listOrNone(p.foundSoFar)}; still missing ${listOrNone(p.missingAfter)}.`,
    )
    .join('\n');
}
