import type { MetricResult } from './types.ts';

const CWE_ID = /CWE-\d+/g;

function lastNonEmptyLine(text: string): string {
  return (
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .at(-1) ?? ''
  );
}

/** The CWE id on the last non-empty line of a response (CTIBench asks for the id alone on the last line), upper-cased. */
export function extractCweId(response: string): string | null {
  return lastNonEmptyLine(response).toUpperCase().match(CWE_ID)?.at(-1) ?? null;
}

/**
 * CTIBench-RCM accuracy, FAPO form: the CWE id extracted from the last line equals the gold id.
 * `lastLineExact` records CTIBench's stricter original rule (the whole upper-cased last line equals the id).
 */
export function scoreCtiRcm(response: string, goldCwe: string): MetricResult {
  const gold = goldCwe.trim().toUpperCase();
  const extracted = extractCweId(response);
  const correct = extracted === gold;
  return {
    score: correct ? 1 : 0,
    breakdown: {
      correct: correct ? 1 : 0,
      idFound: extracted === null ? 0 : 1,
      lastLineExact: lastNonEmptyLine(response).toUpperCase() === gold ? 1 : 0,
    },
  };
}

/** Not part of GEPA (CTIBench was not in its study): the verdict, with CWE names when a catalogue is given. */
export function ctiRcmFeedback(response: string, goldCwe: string, cweNames?: ReadonlyMap<string, string>): string {
  const named = (id: string) => (cweNames?.get(id) ? `${id} (${cweNames.get(id)})` : id);
  const extracted = extractCweId(response);
  const gold = goldCwe.trim().toUpperCase();
  if (extracted === null)
    return `No CWE id was found on the last line of the response. The correct mapping is ${named(gold)}.`;
  return extracted === gold
    ? `Correct: ${named(gold)}.`
    : `Incorrect: answered ${named(extracted)}, but the root cause is ${named(gold)}.`;
}
