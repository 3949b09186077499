import { describeHopProgress, hopProgress, listOrNone, titleCoverage, type HopRetrieval } from './retrieval.ts';
import type { MetricResult } from './types.ts';

/** The baseline retrieves 7 + 7 + 10 passages; the metric never counts more (see benchmarks.md §4, gaming risk). */
export const HOVER_MAX_COUNTED_PASSAGES = 24;

export interface HoverGold {
  supportingTitles: string[];
}

/**
 * GEPA's `discrete_retrieval_eval`: 1 if every normalised gold title is among the normalised titles of the
 * retrieved documents (only the first `maxPassages` of them), else 0. Partial recall is in the breakdown.
 */
export function scoreHover(
  hops: readonly HopRetrieval[],
  gold: HoverGold,
  maxPassages = HOVER_MAX_COUNTED_PASSAGES,
): MetricResult {
  const retrieved = hops.flatMap((h) => h.documents);
  const cov = titleCoverage(gold.supportingTitles, retrieved, maxPassages);
  return {
    score: cov.missing.length === 0 ? 1 : 0,
    breakdown: {
      recall: cov.recall,
      goldFound: cov.found.length,
      goldTotal: cov.found.length + cov.missing.length,
      passagesCounted: cov.counted,
      passagesIgnored: retrieved.length - cov.counted,
    },
  };
}

/** The retrieval step each HoVer module is judged on. */
export const HOVER_MODULE_HOP: Readonly<Record<string, string>> = {
  summarize_hop1: 'retrieve_hop1',
  query_hop2: 'retrieve_hop2',
  summarize_hop2: 'retrieve_hop2',
  query_hop3: 'retrieve_hop3',
};

/** GEPA-style feedback: which gold documents were retrieved and missed overall, and what this module's hop added. */
export function hoverFeedback(
  module: string,
  hops: readonly HopRetrieval[],
  gold: HoverGold,
  maxPassages = HOVER_MAX_COUNTED_PASSAGES,
): string {
  const cov = titleCoverage(
    gold.supportingTitles,
    hops.flatMap((h) => h.documents),
    maxPassages,
  );
  const progress = hopProgress(gold.supportingTitles, hops);
  const lines = [
    cov.missing.length === 0
      ? `All ${cov.found.length} gold evidence documents were retrieved: ${listOrNone(cov.found)}.`
      : `The queries retrieved gold documents ${listOrNone(cov.found)} but missed ${listOrNone(cov.missing)}.`,
    'Retrieval by hop:',
    describeHopProgress(progress),
  ];
  const focus = progress.find((p) => p.step === HOVER_MODULE_HOP[module]);
  if (focus) {
    lines.push(
      module.startsWith('query')
        ? `Your query (${module}) helped retrieve ${listOrNone(focus.newlyFound)} at ${focus.step}; still missing after it: ${listOrNone(focus.missingAfter)}.`
        : `Your summary (${module}) was written from ${focus.step}, which found ${listOrNone(focus.foundSoFar)} so far; the next queries must find ${listOrNone(focus.missingAfter)}.`,
    );
  }
  return lines.join('\n');
}
