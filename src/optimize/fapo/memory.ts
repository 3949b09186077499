import type { Level } from '../../task/schema.ts';
import type { Verdict } from '../review/types.ts';
import { markdownText } from '../../util/markdown.ts';

/** One proposal's record in the iteration memory (written by the runtime, never by a proposer). */
export interface VariantMemory {
  kind: 'variant';
  iteration: number;
  round: number;
  /** Variant hash; absent when the proposal was discarded before it became a variant. */
  variant?: string;
  seq?: number;
  parent: string;
  level: Level;
  stepsChanged: string[];
  hypothesis: string;
  technique: string;
  trainMean?: number | null;
  valMean?: number | null;
  valSd?: number;
  delta?: number;
  ci?: { low: number; high: number };
  pValue?: number;
  review: Verdict | 'none';
  reviewReasons: string[];
  accepted: boolean;
  /** Why the proposal never reached validation (blocked twice, smoke failed …). */
  discarded?: string;
}

/** A level declared exhausted, with why (the original's resolved / plateau / ceiling). */
export interface ExhaustionMemory {
  kind: 'exhaustion';
  round: number;
  level: Level;
  reason: 'resolved' | 'plateau' | 'ceiling';
  finalScore: number | null;
  variantsTried: number;
  note: string;
}

export type MemoryRecord = VariantMemory | ExhaustionMemory;

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : (100 * x).toFixed(1));

/** The human change log (Markdown) rendered from the memory. */
export function renderChangeLog(records: MemoryRecord[], seqOf: (hash: string) => number | undefined): string {
  const lines = [
    '# Change log',
    '',
    '| # | round | variant | parent | level | steps changed | technique | hypothesis | train | val (mean ± sd) | Δ val [95% CI] | review | accepted |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const exhaustion: string[] = [];
  for (const r of records) {
    if (r.kind === 'exhaustion') {
      exhaustion.push(
        `- round ${r.round}: **${r.level}** level exhausted — ${r.reason} (best val ${pct(r.finalScore)} after ${r.variantsTried} variants). ${r.note}`,
      );
      continue;
    }
    const ci = r.ci ? ` [${pct(r.ci.low)}, ${pct(r.ci.high)}]` : '';
    lines.push(
      `| ${r.iteration} | ${r.round} | ${r.seq ? `v${r.seq}` : '—'} | v${seqOf(r.parent) ?? '?'} | ${r.level} | ${r.stepsChanged.join(', ')} | ${r.technique} | ${markdownText(r.hypothesis)} | ${pct(r.trainMean)} | ${r.valMean === undefined ? '—' : `${pct(r.valMean)} ± ${pct(r.valSd)}`} | ${r.delta === undefined ? (r.discarded ?? '—') : `${r.delta >= 0 ? '+' : ''}${pct(r.delta)}${ci}`} | ${r.review} | ${r.accepted ? 'yes' : 'no'} |`,
    );
  }
  if (exhaustion.length) lines.push('', '## Levels exhausted', '', ...exhaustion);
  return `${lines.join('\n')}\n`;
}
